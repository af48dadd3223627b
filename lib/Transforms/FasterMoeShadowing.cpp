//===- FasterMoeShadowing.cpp - FasterMoE's shadowing budget --------------===//

#include "moesaic/Transforms/Passes.h"
#include "moesaic/Transforms/ScheduleContext.h"

#include <algorithm>

namespace moesaic {
#define GEN_PASS_DEF_FASTERMOESHADOWING
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct FasterMoeShadowingPass
    : moesaic::impl::FasterMoeShadowingBase<FasterMoeShadowingPass> {
  using FasterMoeShadowingBase::FasterMoeShadowingBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<ScheduleContext> ctx =
        getScheduleContext(module, "moe-fastermoe-shadowing");
    if (failed(ctx))
      return signalPassFailure();
    if (maxShadows < -1) {
      ctx->schedule.emitError()
          << "moe-fastermoe-shadowing: max-shadows must be -1 (no limit) or "
             "at least 0, got "
          << (int64_t)maxShadows;
      return signalPassFailure();
    }
    Block &body = ctx->schedule.getBody().front();
    llvm::DenseMap<int64_t, hw::PlaceExpertsOp> placed;
    for (auto op : body.getOps<hw::PlaceExpertsOp>())
      placed[op.getLayer()] = op;
    if (placed.empty()) {
      ctx->schedule.emitOpError()
          << "has no hw.place_experts: moe-fastermoe-shadowing refines an "
             "expert-parallel placement (run "
             "moe-place-experts-round-robin first)";
      return signalPassFailure();
    }

    // Off-chip bytes the placement already uses per device: the dense
    // weights (replicated) and the placed experts.
    unsigned numDevices = ctx->system.numDevices();
    std::vector<int64_t> used(numDevices, 0);
    int64_t dense = ctx->model.nonExpertBytes();
    for (unsigned d : ctx->system.acceleratorDevices())
      used[d] += dense;
    for (const MoeLayerDesc &layer : ctx->model.moeLayers) {
      auto it = placed.find(layer.index);
      if (it == placed.end())
        continue;
      for (Attribute entry : it->second.getExperts())
        for (Attribute dev : cast<ArrayAttr>(entry))
          if (auto idx = ctx->system.lookup(
                  cast<FlatSymbolRefAttr>(dev).getValue().str()))
            used[*idx] += layer.expertBytes();
    }
    int64_t freeBytes = INT64_MAX;
    for (unsigned d : ctx->system.acceleratorDevices())
      freeBytes = std::min(freeBytes,
                           ctx->system.devices[d].offchipBytes - used[d]);
    freeBytes = std::max<int64_t>(freeBytes, 0);

    // Shadow copies live one step: each layer may use the whole free
    // budget, since layers run one after the other.
    OpBuilder builder = OpBuilder::atBlockEnd(&body);
    for (const MoeLayerDesc &layer : ctx->model.moeLayers) {
      if (!placed.count(layer.index))
        continue;
      int64_t fit = layer.expertBytes() > 0
                        ? freeBytes / layer.expertBytes()
                        : layer.numExperts;
      int64_t k = std::min<int64_t>(fit, layer.numExperts);
      if (maxShadows >= 0)
        k = std::min<int64_t>(k, maxShadows);
      builder.create<hw::ShadowExpertsOp>(ctx->schedule.getLoc(), layer.index,
                                          ctx->acceleratorArray(), k,
                                          k * layer.expertBytes());
    }
  }
};
} // namespace
