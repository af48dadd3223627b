//===- NdpVramPlan.cpp - Spend the GPU's VRAM (GPU-NDP strategies) --------===//

#include "moesaic/Runtime/Ndp/NdpPlan.h"
#include "moesaic/Transforms/NdpScheduleTarget.h"
#include "moesaic/Transforms/Passes.h"
#include "moesaic/Transforms/ScheduleContext.h"

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
    if (maxBatch < 0 || context < 0 || workspaceFraction < 0 ||
        workspaceFraction >= 1 || decay <= 0 || decay > 1 || hysteresis < 1 ||
        chunkBytes <= 0) {
      t->schedule.emitError()
          << "moe-ndp-vram-plan: max-batch and context must be non-negative "
             "(0: the workload's), chunk-bytes positive, workspace-fraction "
             "in [0, 1), decay in (0, 1], hysteresis at least 1";
      return signalPassFailure();
    }
    // The KV cache the evaluation reads: the workload's batch (a trace
    // file's own) and context unless given.
    int64_t batch = maxBatch, positions = context;
    bool fromWorkload = false;
    if (batch == 0 || positions == 0) {
      std::string text = passWorkloadText(module, "");
      fromWorkload = !text.empty();
      std::optional<PassWorkload> w;
      if (fromWorkload) {
        // One step is enough for the batch.
        FailureOr<PassWorkload> got = getPassWorkload(
            module, "moe-ndp-vram-plan", text, t->model, /*maxSteps=*/1);
        if (failed(got))
          return signalPassFailure();
        w = std::move(*got);
      }
      if (positions == 0)
        positions = w && w->spec.context > 0 ? w->spec.context
                                             : kDefaultContext;
      if (batch == 0)
        batch = w ? std::max<int64_t>(w->trace.batch, 1) : 4;
    }
    llvm::Expected<ndp::VramPlan> plan = ndp::planVram(
        t->system, t->model, batch, positions, workspaceFraction);
    if (!plan) {
      std::string message = llvm::toString(plan.takeError());
      if (fromWorkload && llvm::StringRef(message).contains("KV cache"))
        message += " (the KV cache is sized for the workload's batch and "
                   "context: a smaller batch or a shorter context=N in "
                   "--workload needs less)";
      t->schedule.emitError() << message;
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
        b.getI64IntegerAttr(batch), b.getI64IntegerAttr(positions),
        b.getF64FloatAttr(decay), b.getF64FloatAttr(hysteresis),
        b.getI64IntegerAttr(chunkBytes));
    if (failed(op.verify()))
      return signalPassFailure();
  }
};
} // namespace
