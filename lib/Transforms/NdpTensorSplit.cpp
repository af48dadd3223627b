//===- NdpTensorSplit.cpp - Experts split across all NDP units ------------===//

#include "moesaic/Runtime/Ndp/NdpPlan.h"
#include "moesaic/Transforms/NdpScheduleTarget.h"
#include "moesaic/Transforms/Passes.h"

namespace moesaic {
#define GEN_PASS_DEF_NDPTENSORSPLIT
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct NdpTensorSplitPass
    : moesaic::impl::NdpTensorSplitBase<NdpTensorSplitPass> {
  using NdpTensorSplitBase::NdpTensorSplitBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<NdpScheduleTarget> t =
        getNdpScheduleTarget(module, "moe-ndp-tensor-split");
    if (failed(t))
      return signalPassFailure();
    if (quantum <= 0) {
      t->schedule.emitError() << "moe-ndp-tensor-split: quantum must be "
                                 "positive (rows per split step), got "
                              << (int64_t)quantum;
      return signalPassFailure();
    }
    if (reduceOn != "auto" && reduceOn != "host" && reduceOn != "gpu" &&
        reduceOn != "ndp") {
      t->schedule.emitError() << "moe-ndp-tensor-split: unknown reduce-on '"
                              << reduceOn
                              << "' (expected auto, host, gpu or ndp)";
      return signalPassFailure();
    }
    const SystemModel &sys = t->system;
    const std::vector<unsigned> &units = sys.ndpDevices();
    if (units.empty()) {
      t->schedule.emitError() << "moe-ndp-tensor-split: @"
                              << t->systemOp.getSymName()
                              << " has no NDP units to split experts across";
      return signalPassFailure();
    }
    llvm::Expected<unsigned> gpu = ndp::findGpu(sys);
    if (!gpu) {
      t->schedule.emitError() << llvm::toString(gpu.takeError());
      return signalPassFailure();
    }
    SmallVector<Attribute> unitRefs;
    for (unsigned u : units)
      unitRefs.push_back(t->deviceRef(u));
    OpBuilder b = t->builderAtEnd();
    for (const MoeLayerDesc &l : t->model.moeLayers) {
      if (l.expertFfnSize < (int64_t)units.size()) {
        t->schedule.emitError()
            << "moe-ndp-tensor-split: layer " << l.index << "'s experts have "
            << l.expertFfnSize << " rows, fewer than the " << units.size()
            << " NDP units";
        return signalPassFailure();
      }
      std::vector<int64_t> rows =
          ndp::tensorSplitRows(sys, l.expertFfnSize, quantum);
      // One batch's partial result per unit: the largest batch the VRAM
      // plan admits, or 4 tokens.
      int64_t partial = l.tokenBytes() * maxBatchOf(*t);
      unsigned at;
      if (reduceOn == "host") {
        if (!sys.hostDevice()) {
          t->schedule.emitError() << "moe-ndp-tensor-split: @"
                                  << t->systemOp.getSymName()
                                  << " has no host CPU to reduce on";
          return signalPassFailure();
        }
        at = *sys.hostDevice();
      } else if (reduceOn == "gpu") {
        at = *gpu;
      } else if (reduceOn == "ndp") {
        at = units.front();
      } else {
        at = ndp::chooseReduction(sys, *gpu, partial).device;
      }
      b.create<hw::NdpTensorSplitOp>(t->schedule.getLoc(),
                                     b.getI64IntegerAttr(l.index),
                                     b.getArrayAttr(unitRefs),
                                     b.getDenseI64ArrayAttr(rows),
                                     t->deviceRef(at));
    }
  }

  static int64_t maxBatchOf(const NdpScheduleTarget &t) {
    int64_t batch = 4;
    for (Operation &op : t.schedule.getBody().front())
      if (auto v = dyn_cast<hw::NdpVramPlanOp>(op))
        batch = v.getMaxBatch();
    return batch;
  }
};
} // namespace
