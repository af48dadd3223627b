//===- HwStreamOps.cpp - Verifiers of the FSE-DP streaming ops ------------===//
//
// hw.stream_ring, hw.stream_shards and hw.stream_schedule (HwStreamOps.td).
// The generated op classes live in HwOps.cpp.inc (HwOps.cpp); this file
// holds their verifiers, which check the virtualization rules against the
// target model, and their schedule-JSON export (ScheduleEntryOpInterface).
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Dialect/Hw/HwScheduleExport.h"
#include "moesaic/Dialect/Hw/HwSystemModel.h"
#include "moesaic/Runtime/FseDp/FseDpPlan.h"
#include "moesaic/Runtime/FseDp/RingEmbedding.h"

#include "mlir/IR/Diagnostics.h"

#include <set>

using namespace mlir;
using namespace moesaic;
using namespace moesaic::hw;

namespace {
/// The target model of the schedule holding `op`, if it can be built.
std::optional<SystemModel> targetOf(Operation *op) {
  auto schedule = op->getParentOfType<ScheduleOp>();
  if (!schedule || !schedule->getParentOp())
    return std::nullopt;
  SystemOp system = schedule.getTargetSystem();
  if (!system)
    return std::nullopt;
  // A broken system is reported by its own verifier; do not repeat it.
  ScopedDiagnosticHandler quiet(op->getContext(),
                                [](Diagnostic &) { return success(); });
  FailureOr<SystemModel> model = buildSystemModel(system);
  if (failed(model))
    return std::nullopt;
  return std::move(*model);
}

/// Resolves symbol references to SystemModel indices; reports unknown ones.
FailureOr<std::vector<unsigned>> resolve(Operation *op,
                                         const SystemModel &system,
                                         ArrayAttr refs, StringRef what) {
  std::vector<unsigned> out;
  std::set<unsigned> seen;
  for (Attribute a : refs) {
    auto ref = cast<FlatSymbolRefAttr>(a);
    std::optional<unsigned> d = system.lookup(ref.getValue().str());
    if (!d)
      return op->emitOpError() << what << " names " << ref
                               << ", which is not a device of '"
                               << system.name << "'";
    if (!seen.insert(*d).second)
      return op->emitOpError() << what << " names " << ref << " twice";
    out.push_back(*d);
  }
  return out;
}

} // namespace

LogicalResult StreamRingOp::verify() {
  StringRef rule = getRule();
  if (rule != "ring" && rule != "snake" && rule != "explicit")
    return emitOpError() << "rule must be \"ring\", \"snake\" or "
                            "\"explicit\", not \""
                         << rule << "\"";
  if (getOrder().empty())
    return emitOpError() << "needs at least one chiplet";
  // Once per schedule, with the target: verifyStreamLayers.
  return success();
}

LogicalResult StreamShardsOp::verify() {
  if (getLayerAttr().getInt() < 0)
    return emitOpError() << "layer must be a layer index";
  if (getExpertsAttr().getInt() <= 0)
    return emitOpError() << "experts must be positive";
  if (getHomes().empty())
    return emitOpError() << "needs at least one home chiplet";
  // I64Attr getters return uint64_t: compare the signed stored values.
  if (getShardBytesAttr().getInt() <= 0 || getChunkBytesAttr().getInt() <= 0 ||
      getChunksAttr().getInt() <= 0)
    return emitOpError() << "shard_bytes, chunk_bytes and chunks must be "
                            "positive";
  if (getChunkBytes() * getChunks() < getShardBytes() ||
      (getChunks() - 1) * getChunkBytes() >= getShardBytes())
    return emitOpError() << getChunks() << " chunks of " << getChunkBytes()
                         << " bytes do not tile a shard of "
                         << getShardBytes() << " bytes";
  // The ring's order and the target's devices: verifyStreamLayers.
  return success();
}

LogicalResult StreamScheduleOp::verify() {
  if (getLayerAttr().getInt() < 0)
    return emitOpError() << "layer must be a layer index";
  if (getTemplateKind() != "arc")
    return emitOpError() << "template must be \"arc\" (rule V3), not \""
                         << getTemplateKind() << "\"";
  if (getOrder() != "longest-first" && getOrder() != "gating")
    return emitOpError() << "order must be \"longest-first\" or \"gating\"";
  if (!fsedp::isLoadOrder(getLoads()))
    return emitOpError() << "loads must be \"interleaved\" or \"sequential\" "
                            "(rule V5), not \""
                         << getLoads() << "\"";
  if (!fsedp::isHolderPolicy(getHolders()))
    return emitOpError() << "holders must be \"split\" or \"single\" "
                            "(rule V6), not \""
                         << getHolders() << "\"";
  if (getBuffersAttr().getInt() < 2)
    return emitOpError() << "needs at least 2 buffers (double buffering)";
  if (getBufferBytesAttr().getInt() <= 0 || getLinkTicksAttr().getInt() <= 0 ||
      getDramTicksAttr().getInt() <= 0 || getComputeTicksAttr().getInt() < 0 ||
      getUsPerTick().convertToDouble() <= 0)
    return emitOpError() << "buffer bytes, link/dram ticks and us_per_tick "
                            "must be positive, compute ticks non-negative";
  // The layer's hw.stream_shards, its chunk size and the chiplets' SRAM are
  // checked by the schedule (verifyStreamLayers), which indexes the
  // shards once: a search per op was quadratic in layers.
  return success();
}

LogicalResult moesaic::hw::detail::verifyStreamLayers(ScheduleOp schedule) {
  Block &body = schedule.getBody().front();
  // One pass indexes the ring and each layer's shards (the last of a
  // layer: the streams read that one); a search per op was quadratic in
  // layers.
  StreamRingOp ring;
  llvm::DenseMap<int64_t, StreamShardsOp> shardsOf;
  for (Operation &o : body) {
    if (auto r = dyn_cast<StreamRingOp>(o)) {
      if (ring)
        return r.emitOpError() << "appears twice in one schedule";
      ring = r;
    } else if (auto s = dyn_cast<StreamShardsOp>(o)) {
      shardsOf[s.getLayerAttr().getInt()] = s;
    }
  }
  // The target's model, built once when first needed (null: no target
  // here, or a broken one that its own verifier reports).
  std::optional<std::optional<SystemModel>> target;
  auto model = [&](Operation *op) -> const SystemModel * {
    if (!target)
      target = targetOf(op);
    return *target ? &**target : nullptr;
  };
  for (Operation &o : body) {
    if (auto r = dyn_cast<StreamRingOp>(o)) {
      const SystemModel *system = model(r);
      if (!system)
        continue;
      FailureOr<std::vector<unsigned>> order =
          resolve(r, *system, r.getOrder(), "ring");
      if (failed(order))
        return failure();
      std::string problem = fsedp::verifyRing(*system, *order);
      if (!problem.empty())
        return r.emitOpError() << "is not a valid ring embedding (rule V1): "
                               << problem;
      continue;
    }
    if (auto s = dyn_cast<StreamShardsOp>(o)) {
      if (ring && ring.getOrder() != s.getHomes())
        return s.emitOpError() << "homes must follow the stream ring's order "
                                  "(rule V2: shard s lives at ring position "
                                  "s)";
      if (const SystemModel *system = model(s))
        if (failed(resolve(s, *system, s.getHomes(), "homes")))
          return failure();
      continue;
    }
    auto op = dyn_cast<StreamScheduleOp>(o);
    if (!op)
      continue;
    StreamShardsOp shards = shardsOf.lookup(op.getLayerAttr().getInt());
    if (!shards)
      return op.emitOpError() << "layer " << op.getLayer()
                              << " has no hw.stream_shards";
    if (shards.getChunkBytes() != op.getBufferBytes())
      return op.emitOpError() << "buffers of " << op.getBufferBytes()
                              << " bytes must hold one chunk of "
                              << shards.getChunkBytes() << " bytes";
    // Ticks a decision could carry past the runtime scheduler's 32 bits
    // (signed values: the getters are unsigned, and the ops' own verifiers
    // refuse negative ones).
    std::string ticks = fsedp::tickRangeProblem(
        shards.getExpertsAttr().getInt(), shards.getChunksAttr().getInt(),
        op.getLinkTicksAttr().getInt(), op.getDramTicksAttr().getInt(),
        op.getComputeTicksAttr().getInt(), shards.getHomes().size());
    if (!ticks.empty())
      return op.emitOpError() << "layer " << op.getLayer() << ": " << ticks;
    const SystemModel *system = model(op);
    if (!system)
      continue;
    int64_t need = op.getBuffers() * op.getBufferBytes();
    for (Attribute a : shards.getHomes()) {
      std::string name = cast<FlatSymbolRefAttr>(a).getValue().str();
      std::optional<unsigned> d = system->lookup(name);
      if (d && system->devices[*d].onchipBytes < need)
        return op.emitOpError()
               << "layer " << op.getLayer() << ": stream buffers need "
               << need << " bytes but chiplet '" << name << "' has "
               << system->devices[*d].onchipBytes
               << " bytes of SRAM (shortfall "
               << need - system->devices[*d].onchipBytes << " bytes)";
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Schedule export: the keys the FSE-DP runtime reads back
// (fsedp::planFromSchedule).
//===----------------------------------------------------------------------===//

int64_t StreamRingOp::getEntryLayer() { return -1; }

void StreamRingOp::exportTo(llvm::json::Object &layerEntry) {
  layerEntry["stream_ring"] = llvm::json::Object{
      {"rule", getRule().str()}, {"order", deviceNames(getOrder())}};
}

void StreamShardsOp::exportTo(llvm::json::Object &layerEntry) {
  layerEntry["stream_shards"] =
      llvm::json::Object{{"experts", (int64_t)getExperts()},
                         {"homes", deviceNames(getHomes())},
                         {"shard_bytes", (int64_t)getShardBytes()},
                         {"chunk_bytes", (int64_t)getChunkBytes()},
                         {"chunks", (int64_t)getChunks()}};
}

void StreamScheduleOp::exportTo(llvm::json::Object &layerEntry) {
  layerEntry["stream_schedule"] = llvm::json::Object{
      {"template", getTemplateKind().str()},
      {"order", getOrder().str()},
      {"loads", getLoads().str()},
      {"holders", getHolders().str()},
      {"buffers", (int64_t)getBuffers()},
      {"buffer_bytes", (int64_t)getBufferBytes()},
      {"link_ticks", (int64_t)getLinkTicks()},
      {"dram_ticks", (int64_t)getDramTicks()},
      {"compute_ticks", (int64_t)getComputeTicks()},
      {"us_per_tick", getUsPerTick().convertToDouble()}};
}
