//===- NdpVramPlan.cpp - Spend the GPU's VRAM (GPU-NDP strategies) --------===//

#include "moesaic/Runtime/Ndp/NdpPlan.h"
#include "moesaic/Transforms/NdpScheduleTarget.h"
#include "moesaic/Transforms/Passes.h"

namespace moesaic {
#define GEN_PASS_DEF_NDPVRAMPLAN
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct NdpVramPlanPass : moesaic::impl::NdpVramPlanBase<NdpVramPlanPass> {
  using NdpVramPlanBase::NdpVramPlanBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<NdpScheduleTarget> t =
        getNdpScheduleTarget(module, "moe-ndp-vram-plan");
    if (failed(t))
      return signalPassFailure();
    std::optional<hw::NdpCachePolicy> pol =
        hw::symbolizeNdpCachePolicy(policy);
    if (!pol) {
      t->schedule.emitError() << "moe-ndp-vram-plan: unknown policy '"
                              << policy << "' (expected online, lru or profile)";
      return signalPassFailure();
    }
    if (maxBatch <= 0 || context <= 0 || workspaceFraction < 0 ||
        workspaceFraction >= 1 || decay <= 0 || decay > 1 || hysteresis < 1 ||
        chunkBytes <= 0) {
      t->schedule.emitError()
          << "moe-ndp-vram-plan: max-batch, context and chunk-bytes must be "
             "positive, workspace-fraction in [0, 1), decay in (0, 1], "
             "hysteresis at least 1";
      return signalPassFailure();
    }
    llvm::Expected<ndp::VramPlan> plan = ndp::planVram(
        t->system, t->model, maxBatch, context, workspaceFraction);
    if (!plan) {
      t->schedule.emitError() << llvm::toString(plan.takeError());
      return signalPassFailure();
    }
    OpBuilder b = t->builderAtEnd();
    auto op = b.create<hw::NdpVramPlanOp>(
        t->schedule.getLoc(), t->deviceRef(plan->gpu),
        b.getI64IntegerAttr(plan->vramBytes),
        b.getI64IntegerAttr(plan->nonExpertBytes),
        b.getI64IntegerAttr(plan->kvBytes),
        b.getI64IntegerAttr(plan->workspaceBytes),
        b.getI64IntegerAttr(plan->expertCacheBytes),
        hw::NdpCachePolicyAttr::get(b.getContext(), *pol),
        b.getI64IntegerAttr(maxBatch), b.getI64IntegerAttr(context),
        b.getF64FloatAttr(decay), b.getF64FloatAttr(hysteresis),
        b.getI64IntegerAttr(chunkBytes));
    if (failed(op.verify()))
      return signalPassFailure();
  }
};
} // namespace
