//===- WaferLayout.cpp - Where attention rings and experts sit ------------===//

#include "moesaic/Runtime/Wafer/WaferLayout.h"
#include "moesaic/Support/JsonIntegers.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <set>

using namespace moesaic;
using namespace moesaic::wafer;

const char *wafer::toString(Dispatch d) {
  return d == Dispatch::Domain ? "domain" : "owner";
}

std::vector<int> WaferLayout::ringOfDie(unsigned numDevices) const {
  std::vector<int> out(numDevices, -1);
  for (size_t r = 0; r < rings.size(); ++r)
    for (unsigned d : rings[r])
      if (d < numDevices)
        out[d] = (int)r;
  return out;
}

std::vector<int> WaferLayout::domainOfDie(unsigned numDevices) const {
  std::vector<int> out(numDevices, -1);
  for (size_t i = 0; i < domains.size(); ++i)
    for (unsigned d : domains[i])
      if (d < numDevices)
        out[d] = (int)i;
  return out;
}

std::vector<std::vector<unsigned>>
WaferLayout::ringMemberInDomain(unsigned numDevices) const {
  std::vector<int> dom = domainOfDie(numDevices);
  std::vector<std::vector<unsigned>> out(
      rings.size(), std::vector<unsigned>(domains.size(), ~0u));
  for (size_t r = 0; r < rings.size(); ++r)
    for (unsigned d : rings[r])
      if (d < numDevices && dom[d] >= 0)
        out[r][dom[d]] = d;
  return out;
}

static llvm::json::Array toArray(const std::vector<std::vector<unsigned>> &v) {
  llvm::json::Array out;
  for (const auto &inner : v) {
    llvm::json::Array a;
    for (unsigned x : inner)
      a.push_back((int64_t)x);
    out.push_back(std::move(a));
  }
  return out;
}

llvm::json::Object WaferLayout::toJSON() const {
  llvm::json::Array units;
  for (unsigned d : unitDie)
    units.push_back((int64_t)d);
  return llvm::json::Object{{"rings", toArray(rings)},
                            {"domains", toArray(domains)},
                            {"dispatch", wafer::toString(dispatch)},
                            {"shards", shards},
                            {"units_per_die", unitsPerDie},
                            {"unit_die", std::move(units)}};
}

static llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "wafer layout: " + msg);
}

static llvm::Expected<std::vector<std::vector<unsigned>>>
readNested(const llvm::json::Object &obj, llvm::StringRef key) {
  const llvm::json::Array *outer = obj.getArray(key);
  if (!outer)
    return err("missing array '" + key + "'");
  std::vector<std::vector<unsigned>> out;
  for (const llvm::json::Value &v : *outer) {
    const llvm::json::Array *inner = v.getAsArray();
    if (!inner)
      return err("'" + key + "' must hold arrays of die indices");
    std::vector<unsigned> row;
    for (const llvm::json::Value &x : *inner) {
      std::optional<int64_t> i = jsonInteger(x);
      if (!i || *i < 0)
        return err("'" + key + "' holds a non-index entry");
      row.push_back((unsigned)*i);
    }
    out.push_back(std::move(row));
  }
  return out;
}

llvm::Expected<WaferLayout> wafer::layoutFromJSON(const llvm::json::Object &obj) {
  WaferLayout layout;
  auto rings = readNested(obj, "rings");
  if (!rings)
    return rings.takeError();
  auto domains = readNested(obj, "domains");
  if (!domains)
    return domains.takeError();
  layout.rings = std::move(*rings);
  layout.domains = std::move(*domains);
  std::optional<llvm::StringRef> dispatch = obj.getString("dispatch");
  if (!dispatch || (*dispatch != "owner" && *dispatch != "domain"))
    return err("'dispatch' must be \"owner\" or \"domain\"");
  layout.dispatch = *dispatch == "domain" ? Dispatch::Domain : Dispatch::Owner;
  std::optional<int64_t> shards = jsonInteger(obj, "shards");
  std::optional<int64_t> upd = jsonInteger(obj, "units_per_die");
  if (!shards || *shards < 1 || !upd || *upd < 1)
    return err("'shards' and 'units_per_die' must be positive integers");
  layout.shards = *shards;
  layout.unitsPerDie = *upd;
  const llvm::json::Array *units = obj.getArray("unit_die");
  if (!units)
    return err("missing array 'unit_die'");
  for (const llvm::json::Value &v : *units) {
    std::optional<int64_t> i = jsonInteger(v);
    if (!i || *i < 0)
      return err("'unit_die' holds a non-index entry");
    layout.unitDie.push_back((unsigned)*i);
  }
  if (layout.unitDie.size() % layout.shards)
    return err("'unit_die' length is not a multiple of 'shards'");
  return layout;
}

std::string wafer::validate(const WaferLayout &layout,
                            const SystemModel &system) {
  const std::vector<unsigned> &accel = system.acceleratorDevices();
  std::set<unsigned> dies(accel.begin(), accel.end());
  auto partition = [&](const std::vector<std::vector<unsigned>> &sets,
                       const char *what) -> std::string {
    std::set<unsigned> seen;
    for (const auto &s : sets)
      for (unsigned d : s) {
        if (!dies.count(d))
          return llvm::formatv("{0} name device {1}, which is not a die of "
                               "'{2}'", what, d, system.name);
        if (!seen.insert(d).second)
          return llvm::formatv("die {0} is in two {1}", d, what);
      }
    if (seen.size() != dies.size())
      return llvm::formatv("{0} cover {1} of the {2} dies", what, seen.size(),
                           dies.size());
    return "";
  };
  if (std::string e = partition(layout.rings, "rings"); !e.empty())
    return e;
  if (std::string e = partition(layout.domains, "domains"); !e.empty())
    return e;
  if (layout.dispatch == Dispatch::Domain) {
    std::vector<int> ring = layout.ringOfDie(system.numDevices());
    for (size_t i = 0; i < layout.domains.size(); ++i) {
      std::vector<int> count(layout.rings.size(), 0);
      for (unsigned d : layout.domains[i])
        ++count[ring[d]];
      for (size_t r = 0; r < count.size(); ++r)
        if (count[r] != 1)
          return llvm::formatv("domain {0} holds {1} members of ring {2} "
                               "(domain dispatch needs exactly one)",
                               i, count[r], r);
    }
  }
  std::map<unsigned, int64_t> perDie;
  for (unsigned d : layout.unitDie) {
    if (!dies.count(d))
      return llvm::formatv("an expert unit sits on device {0}, which is not "
                           "a die", d);
    ++perDie[d];
  }
  for (auto [d, n] : perDie)
    if (n > layout.unitsPerDie)
      return llvm::formatv("die {0} holds {1} expert units, more than {2}", d,
                           n, layout.unitsPerDie);
  if (layout.unitDie.size() >= dies.size() && perDie.size() != dies.size())
    return llvm::formatv("{0} dies hold no expert unit",
                         dies.size() - perDie.size());
  // Shards of one expert on distinct dies.
  for (int64_t e = 0; e < layout.numExperts(); ++e) {
    std::set<unsigned> s;
    for (int64_t k = 0; k < layout.shards; ++k)
      if (!s.insert(layout.dieOf(e, k)).second)
        return llvm::formatv("two shards of expert {0} share die {1}", e,
                             layout.dieOf(e, k));
  }
  return "";
}

llvm::Expected<WaferShape> wafer::chooseShape(const ModelDesc &model,
                                             const SystemModel &system,
                                             int64_t ringSize) {
  auto fail = [&](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "model '" + model.name + "' on '" +
                                       system.name + "': " + msg);
  };
  if (system.kind != SystemKind::Wafer)
    return fail("wafer strategies need a wafer system, not a " +
                llvm::Twine(moesaic::toString(system.kind)));
  if (model.moeLayers.empty())
    return fail("the model has no MoE layer to place");
  WaferShape shape;
  shape.dies = (int64_t)system.acceleratorDevices().size();
  int64_t experts = model.moeLayers.front().numExperts;
  for (const MoeLayerDesc &l : model.moeLayers)
    if (l.numExperts != experts)
      return fail("MoE layers with different expert counts are not supported");
  if (experts >= shape.dies) {
    shape.shards = 1;
    shape.unitsPerDie = (experts + shape.dies - 1) / shape.dies;
  } else {
    // Each expert split over as many dies as divide evenly; the dies left
    // over (dies mod experts) hold no expert slice.
    shape.shards = shape.dies / experts;
    shape.unitsPerDie = 1;
  }
  double expertPerDie = 0;
  for (const MoeLayerDesc &l : model.moeLayers)
    expertPerDie += double(shape.unitsPerDie) * double(l.expertBytes()) /
                    double(shape.shards);
  int64_t capacity = std::numeric_limits<int64_t>::max();
  for (unsigned d : system.acceleratorDevices())
    capacity = std::min(capacity, system.devices[d].offchipBytes);
  auto gb = [](double b) { return llvm::formatv("{0:f1} GB", b / 1e9).str(); };
  if (expertPerDie > double(capacity))
    return fail("the mesh is too small for the model's experts: each of the " +
                llvm::Twine(shape.dies) + " dies would hold " +
                gb(expertPerDie) + " of experts but has " + gb(capacity) +
                " of memory");
  double dense = (double)model.nonExpertBytes();
  if (ringSize > 0) {
    if (shape.dies % ringSize)
      return fail(llvm::formatv("ring size {0} does not divide the {1} dies",
                                ringSize, shape.dies)
                      .str());
    shape.ringSize = ringSize;
  } else {
    // Decode attention streams its weights every step: tensor parallelism
    // over a ring of 8 dies (the usual serving group, one NVLink domain on
    // GPUs) divides that by 8 at a small all-reduce cost, so rings have 8
    // dies unless the weights need more.
    shape.ringSize = 0;
    const int64_t smallest = std::min<int64_t>(kDefaultRingSize, shape.dies);
    bool candidates = false;
    for (int64_t g = 1; g <= shape.dies; g *= 2) {
      if (shape.dies % g)
        break;
      if (g < smallest)
        continue;
      candidates = true;
      if (expertPerDie + dense / double(g) <= double(capacity)) {
        shape.ringSize = g;
        break;
      }
    }
    if (!shape.ringSize && !candidates)
      return fail(llvm::formatv(
                      "no ring size for the {0} dies: the rings are powers "
                      "of two of at least {1} dies dividing the die count "
                      "(give the strategy's ring-size option another "
                      "divisor of {0})",
                      shape.dies, smallest)
                      .str());
    if (!shape.ringSize)
      return fail("the mesh is too small: experts (" + gb(expertPerDie) +
                  " per die) plus the dense weights split over any ring "
                  "size exceed the " + gb(capacity) + " each die has");
  }
  shape.bytesPerDie = expertPerDie + dense / double(shape.ringSize);
  if (shape.bytesPerDie > double(capacity))
    return fail("ring size " + llvm::Twine(shape.ringSize) + " leaves " +
                gb(shape.bytesPerDie) + " per die, more than its " +
                gb(capacity));
  return shape;
}
