//===- FseDpVirtualize.cpp - FSE-DP rule V1: a logical ring ---------------===//

#include "FseDpSchedule.h"
#include "moesaic/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace moesaic {
#define GEN_PASS_DEF_FSEDPVIRTUALIZE
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct FseDpVirtualizePass
    : moesaic::impl::FseDpVirtualizeBase<FseDpVirtualizePass> {
  void runOnOperation() override {
    FailureOr<fsedp::FseDpTarget> t =
        fsedp::getFseDpTarget(getOperation(), "moe-fsedp-virtualize");
    if (failed(t))
      return signalPassFailure();
    Block &body = t->schedule.getBody().front();
    for (Operation &op : llvm::make_early_inc_range(body))
      if (isa<hw::StreamRingOp>(op))
        op.erase();
    llvm::Expected<fsedp::RingEmbedding> ring = fsedp::embedRing(t->system);
    if (!ring) {
      t->schedule.emitError() << llvm::toString(ring.takeError());
      return signalPassFailure();
    }
    OpBuilder b = OpBuilder::atBlockBegin(&body);
    SmallVector<Attribute> order;
    for (unsigned d : ring->logicalToPhysical)
      order.push_back(
          FlatSymbolRefAttr::get(b.getContext(), t->system.devices[d].name));
    b.create<hw::StreamRingOp>(t->schedule.getLoc(), ring->rule,
                               b.getArrayAttr(order));
  }
};
} // namespace
