//===- ShardExperts.cpp - Tensor parallelism of the experts ---------------===//

#include "moesaic/Transforms/Passes.h"
#include "moesaic/Transforms/ScheduleContext.h"

namespace moesaic {
#define GEN_PASS_DEF_SHARDEXPERTS
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct ShardExpertsPass
    : moesaic::impl::ShardExpertsBase<ShardExpertsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<ScheduleContext> ctx =
        getScheduleContext(module, "moe-shard-experts");
    if (failed(ctx))
      return signalPassFailure();
    if (ctx->model.moeLayers.empty()) {
      ctx->modelOp.emitError() << "moe-shard-experts: model @"
                               << ctx->modelOp.getSymName()
                               << " has no MoE layer to shard";
      return signalPassFailure();
    }
    OpBuilder builder =
        OpBuilder::atBlockEnd(&ctx->schedule.getBody().front());
    int64_t n = ctx->accelerators.size();
    for (const MoeLayerDesc &layer : ctx->model.moeLayers) {
      int64_t bytes = layer.expertBytes();
      if (layer.expertFfnSize < n) {
        ctx->modelOp.emitError()
            << "moe-shard-experts: layer " << layer.index
            << " experts have an FFN of " << layer.expertFfnSize
            << ", too narrow to split across " << n << " devices";
        return signalPassFailure();
      }
      builder.create<hw::ShardExpertsOp>(ctx->schedule.getLoc(), layer.index,
                                         ctx->acceleratorArray(),
                                         (bytes + n - 1) / n);
    }
  }
};
} // namespace
