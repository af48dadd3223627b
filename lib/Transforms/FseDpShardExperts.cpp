//===- FseDpShardExperts.cpp - FSE-DP rule V2: shards and chunks ----------===//

#include "FseDpSchedule.h"
#include "moesaic/Runtime/FseDp/FseDpPlan.h"
#include "moesaic/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace moesaic {
#define GEN_PASS_DEF_FSEDPSHARDEXPERTS
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct FseDpShardExpertsPass
    : moesaic::impl::FseDpShardExpertsBase<FseDpShardExpertsPass> {
  using FseDpShardExpertsBase::FseDpShardExpertsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<fsedp::FseDpTarget> t =
        fsedp::getFseDpTarget(module, "moe-fsedp-shard-experts");
    if (failed(t))
      return signalPassFailure();
    FailureOr<fsedp::RingEmbedding> ring =
        fsedp::getRing(*t, "moe-fsedp-shard-experts");
    if (failed(ring))
      return signalPassFailure();
    if (!(bufferFraction > 0 && bufferFraction <= 1)) {
      t->schedule.emitError() << "buffer-fraction must be in (0, 1], not "
                              << bufferFraction;
      return signalPassFailure();
    }
    auto modelOp = SymbolTable::lookupNearestSymbolFrom<moe::ModelOp>(
        t->schedule, t->schedule.getModelAttr());
    if (!modelOp) {
      t->schedule.emitError() << "schedules " << t->schedule.getModelAttr()
                              << ", which is not a moe.model here";
      return signalPassFailure();
    }
    FailureOr<ModelDesc> model = moe::describeModel(modelOp);
    if (failed(model))
      return signalPassFailure();

    Block &body = t->schedule.getBody().front();
    for (Operation &op : llvm::make_early_inc_range(body))
      if (isa<hw::StreamShardsOp>(op))
        op.erase();
    SmallVector<Attribute> homes;
    for (unsigned d : ring->logicalToPhysical)
      homes.push_back(FlatSymbolRefAttr::get(&getContext(),
                                             t->system.devices[d].name));
    ArrayAttr homesAttr = ArrayAttr::get(&getContext(), homes);
    fsedp::ShardRule rule;
    rule.bufferFraction = bufferFraction;
    OpBuilder b = OpBuilder::atBlockEnd(&body);
    for (const MoeLayerDesc &layer : model->moeLayers) {
      llvm::Expected<fsedp::LayerPlan> plan =
          fsedp::planLayer(layer, t->system, *ring, rule);
      if (!plan) {
        modelOp.emitError() << "fse-dp cannot stream model '"
                            << model->name << "' on '" << t->system.name
                            << "': " << llvm::toString(plan.takeError());
        return signalPassFailure();
      }
      b.create<hw::StreamShardsOp>(t->schedule.getLoc(), plan->layer,
                                   plan->numExperts, homesAttr,
                                   plan->shardBytes, plan->chunkBytes,
                                   plan->chunksPerShard);
    }
  }
};
} // namespace
