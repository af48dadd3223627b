//===- SystemModel.cpp - The target system's facts ------------------------===//

#include "moesaic/Target/SystemModel.h"

#include "RouteTable.h"

#include <algorithm>
#include <cmath>
#include <array>
#include <set>
#include <sstream>

using namespace moesaic;

const char *moesaic::toString(SystemKind kind) {
  switch (kind) {
  case SystemKind::Chiplet: return "chiplet";
  case SystemKind::Wafer: return "wafer";
  case SystemKind::GpuNdp: return "gpu-ndp";
  case SystemKind::GpuCluster: return "gpu-cluster";
  }
  return "?";
}

const char *moesaic::toString(DeviceKind kind) {
  switch (kind) {
  case DeviceKind::Chiplet: return "chiplet";
  case DeviceKind::Die: return "die";
  case DeviceKind::Gpu: return "gpu";
  case DeviceKind::Ndp: return "ndp";
  case DeviceKind::Cpu: return "cpu";
  case DeviceKind::Switch: return "switch";
  }
  return "?";
}

const char *moesaic::toString(TopologyKind kind) {
  switch (kind) {
  case TopologyKind::Explicit: return "explicit";
  case TopologyKind::Ring: return "ring";
  case TopologyKind::Mesh: return "mesh";
  case TopologyKind::Switch: return "switch";
  case TopologyKind::Pcie: return "pcie";
  }
  return "?";
}

std::optional<SystemKind> moesaic::parseSystemKind(const std::string &name) {
  for (SystemKind k : {SystemKind::Chiplet, SystemKind::Wafer,
                       SystemKind::GpuNdp, SystemKind::GpuCluster})
    if (name == toString(k))
      return k;
  return std::nullopt;
}

std::optional<DeviceKind> moesaic::parseDeviceKind(const std::string &name) {
  for (DeviceKind k : {DeviceKind::Chiplet, DeviceKind::Die, DeviceKind::Gpu,
                       DeviceKind::Ndp, DeviceKind::Cpu, DeviceKind::Switch})
    if (name == toString(k))
      return k;
  return std::nullopt;
}

std::optional<TopologyKind> moesaic::parseTopologyKind(const std::string &name) {
  for (TopologyKind k : {TopologyKind::Ring, TopologyKind::Mesh,
                         TopologyKind::Switch, TopologyKind::Pcie})
    if (name == toString(k))
      return k;
  return std::nullopt;
}

double Device::peakFor(const std::string &dtype) const {
  // Narrow types run on the widest unit that supports them when the device
  // has no native support (e.g. int4 weights dequantised to bf16).
  static const char *order[] = {"int2", "int3", "int4", "int8", "fp8",
                                "bf16", "fp16", "fp32"};
  auto it = peakTflops.find(dtype);
  if (it != peakTflops.end())
    return it->second;
  bool seen = false;
  for (const char *name : order) {
    if (dtype == name)
      seen = true;
    if (!seen)
      continue;
    auto found = peakTflops.find(name);
    if (found != peakTflops.end())
      return found->second;
  }
  // Unknown type: the best the device offers for floating point.
  for (const char *name : {"bf16", "fp16", "fp32"}) {
    auto found = peakTflops.find(name);
    if (found != peakTflops.end())
      return found->second;
  }
  return peakTflops.empty() ? 0.0 : peakTflops.begin()->second;
}

unsigned SystemModel::addDevice(Device device) {
  devices.push_back(std::move(device));
  return devices.size() - 1;
}

static std::string deviceRef(const SystemModel &sys, unsigned index) {
  if (index < sys.devices.size())
    return "device '" + sys.devices[index].name + "'";
  return "device #" + std::to_string(index);
}

static bool positiveFinite(double v) { return v > 0 && std::isfinite(v); }

std::string SystemModel::validate() const {
  std::ostringstream err;
  if (devices.empty())
    return "the system has no devices";
  std::set<std::string> names;
  std::set<std::vector<int64_t>> coords;
  for (const Device &d : devices) {
    if (d.name.empty())
      return "a device has no name";
    if (!names.insert(d.name).second)
      return "device name '" + d.name + "' is used twice";
    if (!d.coord.empty() && !d.implicit && !coords.insert(d.coord).second) {
      err << "device '" << d.name << "' has the coordinates [";
      for (size_t i = 0; i < d.coord.size(); ++i)
        err << (i ? ", " : "") << d.coord[i];
      err << "] of another device";
      return err.str();
    }
    for (auto &[dtype, tflops] : d.peakTflops)
      if (!positiveFinite(tflops))
        return "device '" + d.name + "' has a non-positive peak for " + dtype;
    if (d.onchipBytes < 0 || d.offchipBytes < 0)
      return "device '" + d.name + "' has a negative memory size";
    if (d.offchipBytes > 0 && !positiveFinite(d.offchipGBps))
      return "device '" + d.name +
             "' has off-chip memory but no positive off-chip bandwidth";
    if (d.offchipGBps < 0 || !std::isfinite(d.offchipGBps))
      return "device '" + d.name + "' has a negative off-chip bandwidth";
    if (d.offchipChannels <= 0)
      return "device '" + d.name + "' needs at least one off-chip channel";
    if (d.attachedTo) {
      if (*d.attachedTo >= devices.size())
        return "device '" + d.name + "' is attached to an unknown device";
      if (d.kind != DeviceKind::Ndp)
        return "device '" + d.name + "' is attached to a host but is not an "
                                     "NDP unit";
    }
    if (d.kind == DeviceKind::Ndp && !d.canCompute())
      return "NDP unit '" + d.name + "' has no compute peak";
  }
  for (size_t i = 0; i < linkDecls.size(); ++i) {
    const LinkDecl &l = linkDecls[i];
    if (l.a >= devices.size() || l.b >= devices.size())
      return "link " + std::to_string(i) + " ends at an unknown device";
    if (l.a == l.b)
      return "link " + std::to_string(i) + " joins " + deviceRef(*this, l.a) +
             " to itself";
    if (!positiveFinite(l.gbps))
      return "link " + deviceRef(*this, l.a) + " -> " + deviceRef(*this, l.b) +
             " has a non-positive bandwidth";
    if (l.latencyNs < 0 || !std::isfinite(l.latencyNs))
      return "link " + deviceRef(*this, l.a) + " -> " + deviceRef(*this, l.b) +
             " has a negative latency";
  }
  for (const TopologyDecl &t : topologyDecls) {
    std::string what = std::string(toString(t.kind)) + " topology";
    if (t.members.size() < 2)
      return what + " needs at least two members";
    std::set<unsigned> seen;
    for (unsigned m : t.members) {
      if (m >= devices.size())
        return what + " names an unknown device";
      if (!seen.insert(m).second)
        return what + " lists " + deviceRef(*this, m) + " twice";
    }
    if (!positiveFinite(t.gbps))
      return what + " has a non-positive bandwidth";
    if (t.latencyNs < 0 || !std::isfinite(t.latencyNs))
      return what + " has a negative latency";
    if (t.kind == TopologyKind::Mesh) {
      if (t.rows <= 0 || t.cols <= 0)
        return "mesh topology needs positive rows and cols";
      if ((int64_t)t.members.size() != t.rows * t.cols)
        return "mesh topology of " + std::to_string(t.rows) + " x " +
               std::to_string(t.cols) + " has " +
               std::to_string(t.members.size()) + " members";
      for (unsigned m : t.members) {
        const Device &d = devices[m];
        if (d.coord.size() != 2)
          return "mesh member '" + d.name + "' needs coordinates [row, col]";
        if (d.coord[0] < 0 || d.coord[0] >= t.rows || d.coord[1] < 0 ||
            d.coord[1] >= t.cols)
          return "mesh member '" + d.name + "' lies outside the " +
                 std::to_string(t.rows) + " x " + std::to_string(t.cols) +
                 " mesh";
      }
    }
    if (t.kind == TopologyKind::Pcie) {
      if (!t.hub)
        return "pcie topology needs a hub";
      if (!seen.count(*t.hub))
        return "pcie hub " + deviceRef(*this, *t.hub) +
               " is not one of the members";
    }
  }
  // A mesh only has links between neighbours.
  for (const TopologyDecl &t : topologyDecls) {
    if (t.kind != TopologyKind::Mesh)
      continue;
    std::set<unsigned> members(t.members.begin(), t.members.end());
    for (size_t i = 0; i < linkDecls.size(); ++i) {
      const LinkDecl &l = linkDecls[i];
      if (!members.count(l.a) || !members.count(l.b))
        continue;
      const Device &a = devices[l.a], &b = devices[l.b];
      int64_t dist = std::llabs(a.coord[0] - b.coord[0]) +
                     std::llabs(a.coord[1] - b.coord[1]);
      if (dist != 1)
        return "link " + std::to_string(i) + " ('" + a.name + "' -> '" +
               b.name + "') joins mesh members that are not neighbours";
    }
  }
  return "";
}

std::optional<unsigned> SystemModel::lookup(const std::string &name) const {
  for (unsigned i = 0; i < devices.size(); ++i)
    if (devices[i].name == name)
      return i;
  return std::nullopt;
}

std::string SystemModel::check() const {
  SystemModel copy = *this;
  if (copy.finalized)
    return "";
  std::string problem = copy.expand();
  if (!problem.empty())
    return problem;
  if (copy.connected())
    return "";
  // Unreachable: the routes name the first pair, as finalize() does.
  return copy.buildRoutes();
}

bool SystemModel::connected() const {
  // All computing devices reach each other iff the first one reaches all of
  // them and all of them reach it (paths may pass through switches).
  unsigned n = devices.size();
  std::vector<unsigned> computing;
  for (unsigned i = 0; i < n; ++i)
    if (devices[i].kind != DeviceKind::Switch)
      computing.push_back(i);
  if (computing.size() <= 1)
    return true;
  std::vector<std::vector<unsigned>> in(n);
  for (unsigned i = 0; i < links.size(); ++i)
    in[links[i].dst].push_back(i);
  auto covers = [&](bool forward) {
    std::vector<char> seen(n, 0);
    std::vector<unsigned> queue{computing.front()};
    seen[computing.front()] = 1;
    for (size_t head = 0; head < queue.size(); ++head) {
      unsigned v = queue[head];
      for (unsigned li : forward ? out[v] : in[v]) {
        unsigned u = forward ? links[li].dst : links[li].src;
        if (!seen[u]) {
          seen[u] = 1;
          queue.push_back(u);
        }
      }
    }
    for (unsigned c : computing)
      if (!seen[c])
        return false;
    return true;
  };
  return covers(true) && covers(false);
}

std::string SystemModel::finalize() {
  if (finalized)
    return "";
  std::string problem = expand();
  if (!problem.empty())
    return problem;
  return buildRoutes();
}

std::string SystemModel::expand() {
  std::string problem = validate();
  if (!problem.empty())
    return problem;

  links.clear();
  auto addDirected = [&](unsigned s, unsigned d, double gbps, double lat,
                         const std::string &type) {
    links.push_back(Link{s, d, gbps, lat, type});
  };
  auto addDuplex = [&](unsigned a, unsigned b, double gbps, double lat,
                       const std::string &type) {
    addDirected(a, b, gbps, lat, type);
    addDirected(b, a, gbps, lat, type);
  };
  for (const LinkDecl &l : linkDecls) {
    addDirected(l.a, l.b, l.gbps, l.latencyNs, l.type);
    if (l.bidirectional)
      addDirected(l.b, l.a, l.gbps, l.latencyNs, l.type);
  }
  for (const TopologyDecl &t : topologyDecls) {
    switch (t.kind) {
    case TopologyKind::Ring: {
      size_t n = t.members.size();
      for (size_t i = 0; i < n; ++i) {
        if (n == 2 && i == 1)
          break; // two members: one link, not two parallel ones
        addDuplex(t.members[i], t.members[(i + 1) % n], t.gbps, t.latencyNs,
                  t.type.empty() ? "ring" : t.type);
      }
      break;
    }
    case TopologyKind::Mesh: {
      std::map<std::pair<int64_t, int64_t>, unsigned> at;
      for (unsigned m : t.members)
        at[{devices[m].coord[0], devices[m].coord[1]}] = m;
      for (unsigned m : t.members) {
        int64_t r = devices[m].coord[0], c = devices[m].coord[1];
        for (auto [dr, dc] : {std::pair<int, int>{0, 1}, {1, 0}}) {
          auto it = at.find({r + dr, c + dc});
          if (it != at.end())
            addDuplex(m, it->second, t.gbps, t.latencyNs,
                      t.type.empty() ? "mesh" : t.type);
        }
      }
      meshRows = t.rows;
      meshCols = t.cols;
      break;
    }
    case TopologyKind::Switch: {
      Device sw;
      sw.name = "switch" + std::to_string(&t - topologyDecls.data());
      sw.kind = DeviceKind::Switch;
      sw.implicit = true;
      unsigned s = addDevice(sw);
      for (unsigned m : t.members)
        addDuplex(m, s, t.gbps, t.latencyNs,
                  t.type.empty() ? "switch" : t.type);
      break;
    }
    case TopologyKind::Pcie:
      for (unsigned m : t.members)
        if (m != *t.hub)
          addDuplex(*t.hub, m, t.gbps, t.latencyNs,
                    t.type.empty() ? "pcie" : t.type);
      break;
    case TopologyKind::Explicit:
      break;
    }
    if (topology == TopologyKind::Explicit)
      topology = t.kind;
  }

  unsigned n = devices.size();
  if (n > kMaxDevices) {
    links.clear();
    return "the system has " + std::to_string(n) +
           " devices (switches included); at most " +
           std::to_string(kMaxDevices) + " are supported";
  }
  out.assign(n, {});
  for (unsigned i = 0; i < links.size(); ++i)
    out[links[i].src].push_back(i);

  accel.clear();
  ndp.clear();
  host.reset();
  for (unsigned i = 0; i < n; ++i) {
    switch (devices[i].kind) {
    case DeviceKind::Chiplet:
    case DeviceKind::Die:
    case DeviceKind::Gpu:
      accel.push_back(i);
      break;
    case DeviceKind::Ndp:
      ndp.push_back(i);
      break;
    case DeviceKind::Cpu:
      if (!host)
        host = i;
      break;
    case DeviceKind::Switch:
      break;
    }
  }
  if (accel.empty() && host)
    accel.push_back(*host);

  return "";
}

std::string SystemModel::buildRoutes() {
  // Routes are built per destination on first use (RouteTable.h): the
  // first link of each route by dimension order on a mesh (column first,
  // then row, the usual XY routing) and by breadth-first search (fewest
  // hops, ties to the lower-latency, then lower-index link) elsewhere.
  routes = std::make_shared<detail::RouteTable>(*this);
  finalized = true;
  // Every computing device must reach every other one: two searches,
  // O(links); only when that fails are the routes asked which pair (in the
  // order users read the message) is cut off.
  if (connected())
    return "";
  unsigned n = devices.size();
  for (unsigned a = 0; a < n; ++a)
    for (unsigned b = 0; b < n; ++b)
      if (a != b && devices[a].kind != DeviceKind::Switch &&
          devices[b].kind != DeviceKind::Switch && !reachable(a, b)) {
        finalized = false;
        routes.reset();
        return "device '" + devices[a].name + "' cannot reach device '" +
               devices[b].name + "' over any link";
      }
  return "";
}

std::optional<unsigned> SystemModel::directLink(unsigned a, unsigned b) const {
  if (a >= out.size())
    return std::nullopt;
  std::optional<unsigned> best;
  for (unsigned li : out[a])
    if (links[li].dst == b &&
        (!best || links[li].bandwidthGBps > links[*best].bandwidthGBps))
      best = li;
  return best;
}

void SystemModel::appendRoute(unsigned src, unsigned dst,
                              std::vector<unsigned> &route) const {
  if (!routes || src >= routes->size() || dst >= routes->size())
    return;
  // Speed (docs/performance.md): each hop's next device comes from the
  // table's dense copy of the links' ends (16 KB for a 32 x 32 mesh), not
  // from `links` (56 bytes a link), so the walk's chain of loads stays in
  // L1.
  const detail::RouteTable &table = *routes;
  const std::vector<unsigned> &next = table.row(dst).next;
  unsigned at = src;
  while (at != dst) {
    unsigned li = next[at];
    if (li == ~0u)
      return;
    route.push_back(li);
    at = table.linkDst(li);
  }
}

std::vector<unsigned> SystemModel::route(unsigned src, unsigned dst) const {
  std::vector<unsigned> r;
  appendRoute(src, dst, r);
  return r;
}

int SystemModel::hops(unsigned src, unsigned dst) const {
  if (!routes || src >= routes->size() || dst >= routes->size())
    return -1;
  return routes->row(dst).hops[src];
}

bool SystemModel::reachable(unsigned src, unsigned dst) const {
  return hops(src, dst) >= 0;
}

double SystemModel::transferUs(unsigned src, unsigned dst,
                               int64_t bytes) const {
  if (src == dst || bytes <= 0)
    return 0;
  double latencyUs = 0, slowest = 0;
  bool first = true;
  if (!routes || src >= routes->size() || dst >= routes->size())
    return INFINITY;
  const std::vector<unsigned> &next = routes->row(dst).next;
  for (unsigned at = src; at != dst;) {
    unsigned li = next[at];
    if (li == ~0u)
      return INFINITY;
    latencyUs += links[li].latencyNs * 1e-3;
    if (first || links[li].bandwidthGBps < slowest)
      slowest = links[li].bandwidthGBps;
    first = false;
    at = links[li].dst;
  }
  return latencyUs + bytesToUs((double)bytes, slowest);
}

int64_t SystemModel::totalOffchipBytes() const {
  int64_t total = 0;
  for (unsigned d : accel)
    total += devices[d].offchipBytes;
  return total;
}

double SystemModel::bisectionGBps() const {
  if (meshRows <= 0 || meshCols <= 0)
    return 0;
  // Cut across the longer dimension: min(rows, cols) links cross it.
  double linkGBps = 0;
  for (const TopologyDecl &t : topologyDecls)
    if (t.kind == TopologyKind::Mesh)
      linkGBps = t.gbps;
  return std::min(meshRows, meshCols) * linkGBps;
}
