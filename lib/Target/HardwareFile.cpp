//===- HardwareFile.cpp - JSON hardware descriptions and presets ----------===//

#include "moesaic/Target/HardwareFile.h"
#include "moesaic/Support/InputChecks.h"
#include "moesaic/Support/JsonIntegers.h"
#include "moesaic/Support/NumberFormat.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cmath>
#include <set>

using namespace moesaic;
using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

namespace {

/// The presets, generated from hardware/*.json by CMake.
struct EmbeddedPreset {
  const char *name;
  const char *text;
};
#include "moesaic/HardwarePresets.inc"

constexpr int64_t kMaxFileBytes = 16 << 20;
// SystemModel keeps all-pairs routes (6 bytes per pair, built per destination on first use):
// 4096 devices are at most 96 MiB of routes; more is refused (SystemModel::kMaxDevices).
constexpr int64_t kMaxDevices = SystemModel::kMaxDevices;

/// Builds a SystemModel from a parsed document, recording the first error
/// with the JSON path where it occurred.
class Reader {
public:
  explicit Reader(std::string source) : source(std::move(source)) {}

  llvm::Expected<SystemModel> read(const Value &root);

private:
  std::string source;
  std::string error;
  SystemModel sys;
  /// Group name -> device indices (for "count"/"grid" entries).
  std::map<std::string, std::vector<unsigned>> groups;
  /// Device name -> index, the first device of that name (what
  /// SystemModel::lookup answers, without its linear scan: members lists of
  /// thousands of names were quadratic).
  llvm::StringMap<unsigned> byName;

  unsigned addDevice(Device d) {
    std::string name = d.name;
    unsigned index = sys.addDevice(std::move(d));
    byName.try_emplace(name, index);
    return index;
  }
  std::optional<unsigned> lookup(llvm::StringRef name) const {
    auto it = byName.find(name);
    if (it == byName.end())
      return std::nullopt;
    return it->second;
  }

  bool fail(const std::string &path, const std::string &message) {
    if (error.empty())
      error = path.empty() ? message : path + ": " + message;
    return false;
  }
  llvm::Error makeError() const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "hardware file '" + source + "': " + error);
  }

  bool checkKeys(const Object &obj, const std::string &path,
                 std::initializer_list<const char *> allowed);
  bool getString(const Object &obj, const std::string &path, const char *key,
                 std::string &out, bool required);
  bool getNumber(const Object &obj, const std::string &path, const char *key,
                 double &out, bool required, bool positive);
  bool getInt(const Object &obj, const std::string &path, const char *key,
              int64_t &out, bool required, int64_t min, int64_t max);
  bool readDevice(const Object &obj, const std::string &path);
  bool readDeviceFields(const Object &obj, const std::string &path,
                        Device &device);
  bool resolveMembers(const Value *value, const std::string &path,
                      std::vector<unsigned> &out);
  bool resolveDevice(const Value *value, const std::string &path,
                     unsigned &out);
  bool readLink(const Object &obj, const std::string &path);
  bool readTopology(const Object &obj, const std::string &path);
};

bool Reader::checkKeys(const Object &obj, const std::string &path,
                       std::initializer_list<const char *> allowed) {
  for (const auto &kv : obj) {
    llvm::StringRef key = kv.first;
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&](const char *a) { return key == a; })) {
      std::string list;
      for (const char *a : allowed)
        list += (list.empty() ? "" : ", ") + std::string(a);
      return fail(path, "unknown key '" + key.str() + "' (expected one of: " +
                            list + ")");
    }
  }
  return true;
}

bool Reader::getString(const Object &obj, const std::string &path,
                       const char *key, std::string &out, bool required) {
  const Value *v = obj.get(key);
  if (!v)
    return required ? fail(path, std::string("missing '") + key + "'") : true;
  auto s = v->getAsString();
  if (!s)
    return fail(path, std::string("'") + key + "' must be a string");
  out = s->str();
  return true;
}

bool Reader::getNumber(const Object &obj, const std::string &path,
                       const char *key, double &out, bool required,
                       bool positive) {
  const Value *v = obj.get(key);
  if (!v)
    return required ? fail(path, std::string("missing '") + key + "'") : true;
  auto d = v->getAsNumber();
  if (!d || !std::isfinite(*d))
    return fail(path, std::string("'") + key + "' must be a number");
  if (positive ? !(*d > 0) : *d < 0)
    return fail(path, std::string("'") + key + "' must be a " +
                          (positive ? "positive" : "non-negative") +
                          " number, got " + llvm::formatv("{0}", *d).str());
  // Rates and latencies far outside any hardware (isPlausibleRate).
  if (!isPlausibleRate(*d))
    return fail(path, std::string("'") + key + "' = " +
                          shortestRoundTrip(*d) + " is " + kPlausibleRange);
  out = *d;
  return true;
}

bool Reader::getInt(const Object &obj, const std::string &path, const char *key,
                    int64_t &out, bool required, int64_t min, int64_t max) {
  const Value *v = obj.get(key);
  if (!v)
    return required ? fail(path, std::string("missing '") + key + "'") : true;
  std::optional<int64_t> i = jsonInteger(*v);
  if (!i) {
    // Accept integral doubles such as 4.0e9 written by hand.
    std::optional<double> d = v->getAsNumber();
    if (d && std::isfinite(*d) && std::floor(*d) == *d && std::fabs(*d) < 9e18)
      i = (int64_t)*d;
  }
  if (!i)
    return fail(path, std::string("'") + key + "' must be an integer");
  if (*i < min || *i > max)
    return fail(path, std::string("'") + key + "' must be in [" +
                          std::to_string(min) + ", " + std::to_string(max) +
                          "], got " + std::to_string(*i));
  out = *i;
  return true;
}

bool Reader::readDeviceFields(const Object &obj, const std::string &path,
                              Device &d) {
  std::string kind = "chiplet";
  if (!getString(obj, path, "kind", kind, false))
    return false;
  auto k = parseDeviceKind(kind);
  if (!k || *k == DeviceKind::Switch)
    return fail(path, "unknown device kind '" + kind +
                          "' (expected chiplet, die, gpu, ndp or cpu)");
  d.kind = *k;
  if (const Value *peaks = obj.get("peak_tflops")) {
    const Object *p = peaks->getAsObject();
    if (!p)
      return fail(path, "'peak_tflops' must be an object from data type to "
                        "TFLOP/s");
    for (const auto &kv : *p) {
      static const std::set<std::string> known = {
          "fp32", "fp16", "bf16", "fp8", "int8", "int4", "int2", "int3"};
      if (!known.count(kv.first.str()))
        return fail(path + ".peak_tflops",
                    "unknown data type '" + kv.first.str() +
                        "' (expected fp32, fp16, bf16, fp8, int8, int4)");
      double v = 0;
      if (!getNumber(*p, path + ".peak_tflops", kv.first.str().c_str(), v,
                     true, true))
        return false;
      d.peakTflops[kv.first.str()] = v;
    }
  }
  const int64_t maxBytes = kMaxDeviceBytes;
  if (!getInt(obj, path, "onchip_bytes", d.onchipBytes, false, 0, maxBytes) ||
      !getInt(obj, path, "offchip_bytes", d.offchipBytes, false, 0, maxBytes) ||
      !getNumber(obj, path, "offchip_gbps", d.offchipGBps, false, false) ||
      !getInt(obj, path, "offchip_channels", d.offchipChannels, false, 1,
              1 << 16))
    return false;
  if (d.offchipBytes > 0 && !(d.offchipGBps > 0))
    return fail(path, "'offchip_bytes' is set but 'offchip_gbps' is not "
                      "positive");
  if (d.kind == DeviceKind::Ndp && d.peakTflops.empty())
    return fail(path, "an NDP unit needs 'peak_tflops'");
  return true;
}

bool Reader::readDevice(const Object &obj, const std::string &path) {
  if (!checkKeys(obj, path,
                 {"name", "kind", "coord", "count", "grid", "peak_tflops",
                  "onchip_bytes", "offchip_bytes", "offchip_gbps",
                  "offchip_channels", "attached_to", "note"}))
    return false;
  Device proto;
  std::string name;
  if (!getString(obj, path, "name", name, true))
    return false;
  if (name.empty() || name.find_first_of(" \t\n\"@") != std::string::npos)
    return fail(path, "device name '" + name +
                          "' must be non-empty without spaces, quotes or '@'");
  if (!readDeviceFields(obj, path, proto))
    return false;
  if (const Value *c = obj.get("coord")) {
    const Array *a = c->getAsArray();
    if (!a || a->size() != 2)
      return fail(path, "'coord' must be [row, col]");
    for (const Value &x : *a) {
      auto i = jsonInteger(x);
      if (!i || *i < 0 || *i > 1 << 20)
        return fail(path, "'coord' entries must be non-negative integers");
      proto.coord.push_back(*i);
    }
  }
  int64_t count = 0;
  if (!getInt(obj, path, "count", count, false, 1, kMaxDevices))
    return false;
  std::vector<int64_t> grid;
  if (const Value *g = obj.get("grid")) {
    const Array *a = g->getAsArray();
    if (!a || a->size() != 2)
      return fail(path, "'grid' must be [rows, cols]");
    for (const Value &x : *a) {
      auto i = jsonInteger(x);
      if (!i || *i <= 0 || *i > 4096)
        return fail(path, "'grid' entries must be integers in [1, 4096]");
      grid.push_back(*i);
    }
    if (grid[0] * grid[1] > kMaxDevices)
      return fail(path, "'grid' has more than " + std::to_string(kMaxDevices) +
                            " devices");
  }
  if (count && !grid.empty())
    return fail(path, "'count' and 'grid' cannot both be given");
  if ((count || !grid.empty()) && !proto.coord.empty())
    return fail(path, "'coord' applies to single devices, not to a group");
  if (const Value *att = obj.get("attached_to")) {
    unsigned host = 0;
    if (!resolveDevice(att, path + ".attached_to", host))
      return false;
    proto.attachedTo = host;
  }
  // This entry adds a grid's devices, `count` of them, or one.
  int64_t adds = !grid.empty() ? grid[0] * grid[1] : std::max<int64_t>(count, 1);
  if ((int64_t)sys.devices.size() + adds > kMaxDevices)
    return fail(path, "the system has more than " +
                          std::to_string(kMaxDevices) + " devices");
  if (!grid.empty()) {
    std::vector<unsigned> &members = groups[name];
    for (int64_t r = 0; r < grid[0]; ++r)
      for (int64_t c = 0; c < grid[1]; ++c) {
        Device d = proto;
        d.name = name + "_" + std::to_string(r) + "_" + std::to_string(c);
        d.coord = {r, c};
        members.push_back(addDevice(d));
      }
  } else if (count) {
    std::vector<unsigned> &members = groups[name];
    for (int64_t i = 0; i < count; ++i) {
      Device d = proto;
      d.name = name + std::to_string(i);
      members.push_back(addDevice(d));
    }
  } else {
    proto.name = name;
    groups[name] = {addDevice(proto)};
  }
  return true;
}

bool Reader::resolveDevice(const Value *value, const std::string &path,
                           unsigned &out) {
  auto s = value->getAsString();
  if (!s)
    return fail(path, "must name a device");
  if (auto idx = lookup(*s)) {
    out = *idx;
    return true;
  }
  return fail(path, "unknown device '" + s->str() + "'");
}

bool Reader::resolveMembers(const Value *value, const std::string &path,
                            std::vector<unsigned> &out) {
  if (!value)
    return fail(path, "missing 'members'");
  if (auto s = value->getAsString()) {
    if (*s == "all") {
      for (unsigned i = 0; i < sys.devices.size(); ++i)
        out.push_back(i);
      return true;
    }
    auto g = groups.find(s->str());
    if (g == groups.end())
      return fail(path, "unknown device group '" + s->str() + "'");
    out = g->second;
    return true;
  }
  const Array *a = value->getAsArray();
  if (!a)
    return fail(path, "'members' must be \"all\", a group name or a list of "
                      "device or group names");
  for (size_t i = 0; i < a->size(); ++i) {
    auto s = (*a)[i].getAsString();
    if (!s)
      return fail(path + "[" + std::to_string(i) + "]",
                  "must name a device or group");
    if (auto idx = lookup(*s)) {
      out.push_back(*idx);
      continue;
    }
    auto g = groups.find(s->str());
    if (g == groups.end())
      return fail(path + "[" + std::to_string(i) + "]",
                  "unknown device '" + s->str() + "'");
    out.insert(out.end(), g->second.begin(), g->second.end());
  }
  return true;
}

bool Reader::readLink(const Object &obj, const std::string &path) {
  if (!checkKeys(obj, path, {"src", "dst", "gbps", "latency_ns",
                             "bidirectional", "type", "note"}))
    return false;
  SystemModel::LinkDecl l;
  const Value *src = obj.get("src"), *dst = obj.get("dst");
  if (!src || !dst)
    return fail(path, "a link needs 'src' and 'dst'");
  if (!resolveDevice(src, path + ".src", l.a) ||
      !resolveDevice(dst, path + ".dst", l.b) ||
      !getNumber(obj, path, "gbps", l.gbps, true, true) ||
      !getNumber(obj, path, "latency_ns", l.latencyNs, false, false) ||
      !getString(obj, path, "type", l.type, false))
    return false;
  if (const Value *b = obj.get("bidirectional")) {
    auto v = b->getAsBoolean();
    if (!v)
      return fail(path, "'bidirectional' must be true or false");
    l.bidirectional = *v;
  }
  sys.linkDecls.push_back(l);
  return true;
}

bool Reader::readTopology(const Object &obj, const std::string &path) {
  if (!checkKeys(obj, path, {"kind", "members", "rows", "cols", "hub", "gbps",
                             "latency_ns", "type", "note"}))
    return false;
  SystemModel::TopologyDecl t;
  std::string kind;
  if (!getString(obj, path, "kind", kind, true))
    return false;
  auto k = parseTopologyKind(kind);
  if (!k)
    return fail(path, "unknown topology '" + kind +
                          "' (expected ring, mesh, switch or pcie)");
  t.kind = *k;
  if (!resolveMembers(obj.get("members"), path + ".members", t.members) ||
      !getNumber(obj, path, "gbps", t.gbps, true, true) ||
      !getNumber(obj, path, "latency_ns", t.latencyNs, false, false) ||
      !getString(obj, path, "type", t.type, false) ||
      !getInt(obj, path, "rows", t.rows, t.kind == TopologyKind::Mesh, 1,
              4096) ||
      !getInt(obj, path, "cols", t.cols, t.kind == TopologyKind::Mesh, 1,
              4096))
    return false;
  // A mesh places its members by their coordinates; say how to give them
  // (SystemModel's check, shared with the hw dialect, says only that they
  // are missing).
  if (t.kind == TopologyKind::Mesh)
    for (unsigned m : t.members)
      if (sys.devices[m].coord.size() != 2)
        return fail(path, "mesh member '" + sys.devices[m].name +
                              "' has no coordinates: give its device entry "
                              "\"coord\": [row, col], or its group "
                              "\"grid\": [rows, cols] instead of \"count\"");
  if (const Value *hub = obj.get("hub")) {
    unsigned h = 0;
    if (!resolveDevice(hub, path + ".hub", h))
      return false;
    t.hub = h;
  } else if (t.kind == TopologyKind::Pcie) {
    return fail(path, "a pcie topology needs a 'hub'");
  }
  sys.topologyDecls.push_back(t);
  return true;
}

llvm::Expected<SystemModel> Reader::read(const Value &rootValue) {
  const Object *root = rootValue.getAsObject();
  if (!root) {
    fail("", "the top level must be a JSON object");
    return makeError();
  }
  if (!checkKeys(*root, "",
                 {"schema", "name", "kind", "description", "sources",
                  "devices", "links", "topology", "note"}))
    return makeError();
  std::string schema;
  if (!getString(*root, "", "schema", schema, false))
    return makeError();
  if (!schema.empty() && schema != "moesaic.hw/1") {
    fail("", "unsupported schema '" + schema + "' (expected moesaic.hw/1)");
    return makeError();
  }
  std::string kind;
  if (!getString(*root, "", "name", sys.name, true) ||
      !getString(*root, "", "kind", kind, true) ||
      !getString(*root, "", "description", sys.description, false))
    return makeError();
  // The name is echoed in every error and becomes the IR symbol: one
  // printable line.
  if (sys.name.empty() ||
      llvm::any_of(sys.name, [](char c) {
        return (unsigned char)c < 0x20 || c == 0x7f;
      })) {
    fail("", "the system 'name' must be non-empty, one line of printable "
             "characters");
    return makeError();
  }
  auto k = parseSystemKind(kind);
  if (!k) {
    fail("", "unknown system kind '" + kind +
                 "' (expected chiplet, wafer, gpu-ndp or gpu-cluster)");
    return makeError();
  }
  sys.kind = *k;
  if (const Value *src = root->get("sources")) {
    const Object *o = src->getAsObject();
    if (!o) {
      fail("", "'sources' must be an object from field to source");
      return makeError();
    }
    for (const auto &kv : *o) {
      auto s = kv.second.getAsString();
      if (!s) {
        fail("sources", "'" + kv.first.str() + "' must be a string");
        return makeError();
      }
      sys.sources[kv.first.str()] = s->str();
    }
  }
  const Value *devs = root->get("devices");
  const Array *devArray = devs ? devs->getAsArray() : nullptr;
  if (!devArray || devArray->empty()) {
    fail("", "'devices' must be a non-empty list");
    return makeError();
  }
  for (size_t i = 0; i < devArray->size(); ++i) {
    std::string path = "devices[" + std::to_string(i) + "]";
    const Object *o = (*devArray)[i].getAsObject();
    if (!o) {
      fail(path, "must be an object");
      return makeError();
    }
    if (!readDevice(*o, path))
      return makeError();
  }
  if (const Value *ls = root->get("links")) {
    const Array *a = ls->getAsArray();
    if (!a) {
      fail("", "'links' must be a list");
      return makeError();
    }
    for (size_t i = 0; i < a->size(); ++i) {
      std::string path = "links[" + std::to_string(i) + "]";
      const Object *o = (*a)[i].getAsObject();
      if (!o || !readLink(*o, path)) {
        if (!o)
          fail(path, "must be an object");
        return makeError();
      }
    }
  }
  if (const Value *ts = root->get("topology")) {
    // One topology object or a list of them.
    std::vector<const Object *> items;
    if (const Object *o = ts->getAsObject())
      items.push_back(o);
    else if (const Array *a = ts->getAsArray())
      for (const Value &v : *a)
        items.push_back(v.getAsObject());
    else {
      fail("", "'topology' must be an object or a list of objects");
      return makeError();
    }
    for (size_t i = 0; i < items.size(); ++i) {
      std::string path = "topology[" + std::to_string(i) + "]";
      if (!items[i]) {
        fail(path, "must be an object");
        return makeError();
      }
      if (!readTopology(*items[i], path))
        return makeError();
    }
  }
  if (sys.linkDecls.empty() && sys.topologyDecls.empty() &&
      sys.devices.size() > 1) {
    fail("", "devices are not connected: give 'links' or a 'topology'");
    return makeError();
  }
  std::string problem = sys.finalize();
  if (!problem.empty()) {
    fail("", problem);
    return makeError();
  }
  return std::move(sys);
}

} // namespace

llvm::Expected<SystemModel> moesaic::parseHardwareJSON(llvm::StringRef text,
                                                       llvm::StringRef source) {
  if ((int64_t)text.size() > kMaxFileBytes)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "hardware file '" + source +
                                       "': larger than 16 MiB");
  if (std::optional<std::string> deep = jsonNestingProblem(text))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "hardware file '" + source +
                                       "': not a hardware description: " +
                                       *deep);
  llvm::Expected<Value> parsed = llvm::json::parse(text);
  if (!parsed)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "hardware file '" + source +
            "': not valid JSON: " + llvm::toString(parsed.takeError()));
  if (std::optional<std::string> dup = jsonDuplicateKey(text))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "hardware file '" + source + "': " + *dup +
                                       ": a key may appear once per object");
  Reader reader(source.str());
  return reader.read(*parsed);
}

llvm::Expected<SystemModel> moesaic::loadHardwareFile(llvm::StringRef path) {
  if (std::optional<std::string> why = notARegularFile(path))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "hardware file '" + path + "': " + *why);
  uint64_t size = 0;
  if (std::error_code ec = llvm::sys::fs::file_size(path, size))
    return llvm::createStringError(ec, "hardware file '" + path +
                                           "': " + ec.message());
  if (size > (uint64_t)kMaxFileBytes)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "hardware file '" + path +
                                       "': larger than 16 MiB");
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "hardware file '" + path +
                                       "': " + buffer.getError().message());
  return parseHardwareJSON((*buffer)->getBuffer(), path);
}

const std::vector<PresetInfo> &moesaic::listPresets() {
  static const std::vector<PresetInfo> presets = [] {
    std::vector<PresetInfo> list;
    for (const EmbeddedPreset &p : kEmbeddedPresets) {
      PresetInfo info;
      info.name = p.name;
      info.text = p.text;
      if (auto v = llvm::json::parse(p.text))
        if (const Object *o = v->getAsObject()) {
          if (auto k = o->getString("kind"))
            info.kind = k->str();
          if (auto d = o->getString("description"))
            info.summary = d->str();
        }
      list.push_back(std::move(info));
    }
    std::sort(list.begin(), list.end(),
              [](const PresetInfo &a, const PresetInfo &b) {
                return a.name < b.name;
              });
    return list;
  }();
  return presets;
}

llvm::StringRef moesaic::defaultPresetName() { return "edge-chiplet-4"; }

llvm::Expected<SystemModel> moesaic::loadHardware(llvm::StringRef nameOrPath) {
  for (const PresetInfo &p : listPresets())
    if (p.name == nameOrPath)
      return parseHardwareJSON(p.text, "preset " + p.name);
  if (llvm::sys::fs::exists(nameOrPath))
    return loadHardwareFile(nameOrPath);
  std::string names;
  for (const PresetInfo &p : listPresets())
    names += (names.empty() ? "" : ", ") + p.name;
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "unknown hardware '" + nameOrPath +
          "': not a preset and no such file (presets: " + names + ")");
}

llvm::json::Value moesaic::toJSON(const SystemModel &sys) {
  Object root;
  root["schema"] = "moesaic.hw/1";
  root["name"] = sys.name;
  root["kind"] = toString(sys.kind);
  if (!sys.description.empty())
    root["description"] = sys.description;
  if (!sys.sources.empty()) {
    Object src;
    for (auto &[k, v] : sys.sources)
      src[k] = v;
    root["sources"] = std::move(src);
  }
  Array devs;
  for (const Device &d : sys.devices) {
    if (d.implicit)
      continue;
    Object o;
    o["name"] = d.name;
    o["kind"] = toString(d.kind);
    if (!d.coord.empty())
      o["coord"] = Array{d.coord[0], d.coord[1]};
    if (!d.peakTflops.empty()) {
      Object p;
      for (auto &[k, v] : d.peakTflops)
        p[k] = v;
      o["peak_tflops"] = std::move(p);
    }
    if (d.onchipBytes)
      o["onchip_bytes"] = d.onchipBytes;
    if (d.offchipBytes)
      o["offchip_bytes"] = d.offchipBytes;
    if (d.offchipGBps)
      o["offchip_gbps"] = d.offchipGBps;
    if (d.offchipChannels != 1)
      o["offchip_channels"] = d.offchipChannels;
    if (d.attachedTo)
      o["attached_to"] = sys.devices[*d.attachedTo].name;
    devs.push_back(std::move(o));
  }
  root["devices"] = std::move(devs);
  Array links;
  for (const SystemModel::LinkDecl &l : sys.linkDecls) {
    Object o{{"src", sys.devices[l.a].name},
             {"dst", sys.devices[l.b].name},
             {"gbps", l.gbps},
             {"latency_ns", l.latencyNs}};
    if (!l.bidirectional)
      o["bidirectional"] = false;
    if (!l.type.empty())
      o["type"] = l.type;
    links.push_back(std::move(o));
  }
  if (!links.empty())
    root["links"] = std::move(links);
  Array topos;
  for (const SystemModel::TopologyDecl &t : sys.topologyDecls) {
    Object o{{"kind", toString(t.kind)}, {"gbps", t.gbps},
             {"latency_ns", t.latencyNs}};
    Array members;
    for (unsigned m : t.members)
      members.push_back(sys.devices[m].name);
    o["members"] = std::move(members);
    if (t.kind == TopologyKind::Mesh) {
      o["rows"] = t.rows;
      o["cols"] = t.cols;
    }
    if (t.hub)
      o["hub"] = sys.devices[*t.hub].name;
    if (!t.type.empty())
      o["type"] = t.type;
    topos.push_back(std::move(o));
  }
  if (!topos.empty())
    root["topology"] = std::move(topos);
  return Value(std::move(root));
}

llvm::json::Object moesaic::hardwareSummary(const SystemModel &sys) {
  Object o;
  o["name"] = sys.name;
  o["kind"] = toString(sys.kind);
  o["num_devices"] = (int64_t)sys.acceleratorDevices().size();
  o["num_ndp_units"] = (int64_t)sys.ndpDevices().size();
  o["topology"] = toString(sys.topology);
  if (sys.meshRows > 0) {
    o["mesh_rows"] = sys.meshRows;
    o["mesh_cols"] = sys.meshCols;
  }
  int64_t onchip = 0, offchip = 0;
  double offchipGBps = 0, tflops = 0;
  for (unsigned d : sys.acceleratorDevices()) {
    // Saturating: 128 devices of 2^56 bytes each wrapped to INT64_MIN.
    auto add = [](int64_t &sum, int64_t bytes) {
      if (__builtin_add_overflow(sum, bytes, &sum))
        sum = INT64_MAX;
    };
    add(onchip, sys.devices[d].onchipBytes);
    add(offchip, sys.devices[d].offchipBytes);
    offchipGBps += sys.devices[d].offchipGBps;
    tflops += sys.devices[d].peakFor("bf16");
  }
  o["onchip_bytes"] = onchip;
  o["offchip_bytes"] = offchip;
  o["offchip_gbps"] = offchipGBps;
  o["peak_bf16_tflops"] = tflops;
  o["num_links"] = (int64_t)sys.links.size();
  return o;
}
