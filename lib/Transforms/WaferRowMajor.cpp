//===- WaferRowMajor.cpp - The wafer baseline placement -------------------===//

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Transforms/Passes.h"
#include "moesaic/Transforms/WaferPlacement.h"

namespace moesaic {
#define GEN_PASS_DEF_WAFERROWMAJOR
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct WaferRowMajorPass
    : moesaic::impl::WaferRowMajorBase<WaferRowMajorPass> {
  using WaferRowMajorBase::WaferRowMajorBase;

  void runOnOperation() override {
    FailureOr<WaferContext> wc =
        getWaferContext(getOperation(), "moe-wafer-row-major", ringSize, true);
    if (failed(wc))
      return signalPassFailure();
    wafer::WaferLayout layout = wafer::rowMajorLayout(
        wc->ctx.system, wc->shape, wc->ctx.model.moeLayers.front().numExperts);
    Builder b(&getContext());
    emitWaferLayout(wc->ctx, layout,
                    {b.getNamedAttr("candidate",
                                    b.getStringAttr("row-major baseline")),
                     b.getNamedAttr("ring_size",
                                    b.getI64IntegerAttr(wc->shape.ringSize))});
  }
};
} // namespace
