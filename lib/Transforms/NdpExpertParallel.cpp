//===- NdpExpertParallel.cpp - MoNDE's whole-expert placement on NDP ------===//

#include "moesaic/Transforms/NdpScheduleTarget.h"
#include "moesaic/Transforms/Passes.h"

namespace moesaic {
#define GEN_PASS_DEF_NDPEXPERTPARALLEL
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct NdpExpertParallelPass
    : moesaic::impl::NdpExpertParallelBase<NdpExpertParallelPass> {
  using NdpExpertParallelBase::NdpExpertParallelBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<NdpScheduleTarget> t =
        getNdpScheduleTarget(module, "moe-ndp-expert-parallel");
    if (failed(t))
      return signalPassFailure();
    const std::vector<unsigned> &units = t->system.ndpDevices();
    if (units.empty()) {
      t->schedule.emitError() << "moe-ndp-expert-parallel: @"
                              << t->systemOp.getSymName()
                              << " has no NDP units to place experts on";
      return signalPassFailure();
    }
    OpBuilder b = t->builderAtEnd();
    for (const MoeLayerDesc &l : t->model.moeLayers) {
      SmallVector<Attribute> experts;
      for (int64_t e = 0; e < l.numExperts; ++e)
        experts.push_back(
            b.getArrayAttr({t->deviceRef(units[e % units.size()])}));
      b.create<hw::PlaceExpertsOp>(t->schedule.getLoc(),
                                   b.getI64IntegerAttr(l.index),
                                   b.getArrayAttr(experts));
    }
  }
};
} // namespace
