//===- HwScheduleExport.cpp - hw.schedule -> schedule JSON ----------------===//
//
// ScheduleEntryOpInterface's definitions, the interface implementations of
// the common schedule ops and of the baselines' ops, and the exporter.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Hw/HwScheduleExport.h"
#include "moesaic/Dialect/Hw/HwSystemModel.h"

#include "mlir/IR/BuiltinOps.h"

#include <map>

using namespace mlir;
using namespace moesaic;
using namespace moesaic::hw;

#include "Hw/HwInterfaces.cpp.inc"

llvm::json::Array moesaic::hw::deviceNames(ArrayAttr devices) {
  llvm::json::Array names;
  for (Attribute attr : devices)
    if (auto ref = dyn_cast<FlatSymbolRefAttr>(attr))
      names.push_back(ref.getValue().str());
  return names;
}

static llvm::json::Array &arrayAt(llvm::json::Object &object,
                                  llvm::StringRef key) {
  if (!object.get(key))
    object[key] = llvm::json::Array();
  return *object.getArray(key);
}

//===----------------------------------------------------------------------===//
// Common schedule ops
//===----------------------------------------------------------------------===//

void PlaceDenseOp::exportTo(llvm::json::Object &layerEntry) {
  arrayAt(layerEntry, "dense")
      .push_back(llvm::json::Object{
          {"what", getWhat().str()},
          {"devices", deviceNames(getDevices())},
          {"mode", stringifyDenseMode(getMode()).str()}});
}

void PlaceExpertsOp::exportTo(llvm::json::Object &layerEntry) {
  llvm::json::Array placement;
  for (Attribute entry : getExperts())
    placement.push_back(deviceNames(cast<ArrayAttr>(entry)));
  layerEntry["expert_placement"] = std::move(placement);
}

void ShardExpertsOp::exportTo(llvm::json::Object &layerEntry) {
  layerEntry["expert_shards"] =
      llvm::json::Object{{"devices", deviceNames(getDevices())},
                         {"shard_bytes", getShardBytes()}};
}

//===----------------------------------------------------------------------===//
// Baseline ops (dialects/Hw/HwBaselineOps.td)
//===----------------------------------------------------------------------===//

LogicalResult ObservedLoadOp::verify() {
  if ((int64_t)getLayer() < 0)
    return emitOpError() << "layer must be a layer index";
  if ((int64_t)getSteps() <= 0)
    return emitOpError() << "steps must be positive";
  if (getTokens().empty())
    return emitOpError() << "needs one count per expert";
  for (int64_t t : getTokens())
    if (t < 0)
      return emitOpError() << "token counts must be non-negative";
  if (auto every = getRebalanceEvery())
    if ((int64_t)*every <= 0)
      return emitOpError() << "rebalance_every must be positive";
  return success();
}

void ObservedLoadOp::exportTo(llvm::json::Object &layerEntry) {
  llvm::json::Array tokens;
  for (int64_t t : getTokens())
    tokens.push_back(t);
  llvm::json::Object load{{"steps", getSteps()},
                          {"tokens", std::move(tokens)}};
  if (auto every = getRebalanceEvery())
    load["rebalance_every"] = (int64_t)*every;
  layerEntry["observed_load"] = std::move(load);
}

LogicalResult ShadowExpertsOp::verify() {
  if ((int64_t)getLayer() < 0)
    return emitOpError() << "layer must be a layer index";
  if (getDevices().empty())
    return emitOpError() << "needs at least one device";
  if ((int64_t)getMaxShadows() < 0)
    return emitOpError() << "max_shadows must be non-negative";
  if ((int64_t)getBudgetBytes() < 0)
    return emitOpError() << "budget_bytes must be non-negative";
  return success();
}

void ShadowExpertsOp::exportTo(llvm::json::Object &layerEntry) {
  layerEntry["shadowing"] =
      llvm::json::Object{{"devices", deviceNames(getDevices())},
                         {"max_shadows", getMaxShadows()},
                         {"budget_bytes", getBudgetBytes()}};
}

//===----------------------------------------------------------------------===//
// Exporter
//===----------------------------------------------------------------------===//

ScheduleOp moesaic::hw::findSchedule(Operation *module,
                                     llvm::StringRef strategy) {
  ScheduleOp found;
  for (Region &region : module->getRegions())
    for (Block &block : region)
      for (Operation &op : block)
        if (auto schedule = dyn_cast<ScheduleOp>(op))
          if (schedule.getStrategy() == strategy)
            found = schedule;
  return found;
}

FailureOr<llvm::json::Object> moesaic::hw::exportSchedule(ScheduleOp schedule) {
  std::map<int64_t, llvm::json::Object> layers;
  // Size (docs/dataflow.md, "JSON form"): entries written with their
  // content so far, by op kind, with their layers. An entry that exports
  // the same as one of them (DeepSeek-V3 on 16 chiplets: 58 equal
  // `df.program`s of 13,600 nodes) is written as a reference, without
  // building its content.
  llvm::DenseMap<OperationName,
                 SmallVector<std::pair<ScheduleEntryOpInterface, int64_t>>>
      written;
  llvm::DenseMap<OperationName, bool> shares;
  for (Operation &op : schedule.getBody().front()) {
    auto entry = dyn_cast<ScheduleEntryOpInterface>(op);
    if (!entry)
      return op.emitOpError()
             << "cannot be exported to a schedule: it does not implement "
                "ScheduleEntryOpInterface";
    int64_t layer = entry.getEntryLayer();
    llvm::json::Object &object = layers[layer];
    if (!object.get("index"))
      object["index"] = layer;
    // Whether this kind shares content at all (an entry exports the same
    // as itself), asked once per kind.
    auto [kind, first] = shares.try_emplace(op.getName(), false);
    if (first)
      kind->second = entry.exportsSameAs(&op);
    if (!kind->second) {
      entry.exportTo(object);
      continue;
    }
    auto &sameKind = written[op.getName()];
    auto same = llvm::find_if(sameKind, [&](auto &earlier) {
      return earlier.second != layer && earlier.first.exportsSameAs(&op);
    });
    if (same != sameKind.end()) {
      entry.exportReferenceTo(object, same->second);
      continue;
    }
    entry.exportTo(object);
    sameKind.push_back({entry, layer});
  }
  // Speed (docs/performance.md): llvm::json::Value's move constructor is
  // not noexcept, so a growing json::Array deep-copies every element it
  // holds; a layer entry can carry a large program ("dataflow"), so size
  // the array once.
  llvm::json::Array layerArray;
  layerArray.reserve(layers.size());
  for (auto &[index, object] : layers)
    layerArray.push_back(std::move(object));
  std::string target = schedule.getTarget().str();
  return llvm::json::Object{{"schema", "moesaic.schedule/1"},
                            {"strategy", schedule.getStrategy().str()},
                            {"symbol", schedule.getSymName().str()},
                            {"model", schedule.getModel().str()},
                            {"target", target},
                            {"layers", std::move(layerArray)}};
}
