//===- PlaceExpertsRoundRobin.cpp - Expert parallelism --------------------===//

#include "moesaic/Transforms/Passes.h"
#include "moesaic/Transforms/ScheduleContext.h"

namespace moesaic {
#define GEN_PASS_DEF_PLACEEXPERTSROUNDROBIN
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct PlaceExpertsRoundRobinPass
    : moesaic::impl::PlaceExpertsRoundRobinBase<PlaceExpertsRoundRobinPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<ScheduleContext> ctx =
        getScheduleContext(module, "moe-place-experts-round-robin");
    if (failed(ctx))
      return signalPassFailure();
    if (ctx->model.moeLayers.empty()) {
      ctx->modelOp.emitError()
          << "moe-place-experts-round-robin: model @"
          << ctx->modelOp.getSymName() << " has no MoE layer to place";
      return signalPassFailure();
    }
    OpBuilder builder =
        OpBuilder::atBlockEnd(&ctx->schedule.getBody().front());
    size_t n = ctx->accelerators.size();
    for (const MoeLayerDesc &layer : ctx->model.moeLayers) {
      SmallVector<Attribute> experts;
      for (int64_t e = 0; e < layer.numExperts; ++e)
        experts.push_back(builder.getArrayAttr({ctx->accelerators[e % n]}));
      builder.create<hw::PlaceExpertsOp>(ctx->schedule.getLoc(), layer.index,
                                         builder.getArrayAttr(experts));
    }
  }
};
} // namespace
