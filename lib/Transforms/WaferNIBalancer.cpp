//===- WaferNIBalancer.cpp - The runtime migration policy -----------------===//

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Runtime/Wafer/NIBalancer.h"
#include "moesaic/Transforms/Passes.h"
#include "moesaic/Transforms/WaferPlacement.h"

#include "mlir/IR/Builders.h"

#include <cmath>

namespace moesaic {
#define GEN_PASS_DEF_WAFERNIBALANCER
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct WaferNIBalancerPass
    : moesaic::impl::WaferNIBalancerBase<WaferNIBalancerPass> {
  using WaferNIBalancerBase::WaferNIBalancerBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    const char *arg = "moe-wafer-ni-balancer";
    if (staging != "non-invasive" && staging != "stop-the-world") {
      module.emitError() << arg << ": staging must be 'non-invasive' or "
                                   "'stop-the-world', not '"
                         << staging << "'";
      return signalPassFailure();
    }
    if (window < 1 || maxSwaps < 1 || cooldown < 1 || chunkBytes < 1 ||
        horizon < 1 || trigger <= 1.0 || coldFraction <= 0 ||
        coldFraction > 1) {
      module.emitError() << arg
                         << ": window, max-swaps, cooldown, chunk-bytes and "
                            "horizon must be positive, trigger above 1 and "
                            "cold-fraction in (0, 1]";
      return signalPassFailure();
    }
    FailureOr<WaferContext> wc = getWaferContext(module, arg, 0, false);
    if (failed(wc))
      return signalPassFailure();
    hw::ScheduleOp schedule = wc->ctx.schedule;
    hw::WaferExpertsOp experts;
    for (Operation &op : schedule.getBody().front()) {
      if (isa<hw::WaferBalancerOp>(op)) {
        schedule.emitError() << arg << ": schedule @" << schedule.getSymName()
                             << " already has a wafer balancer";
        return signalPassFailure();
      }
      if (auto e = dyn_cast<hw::WaferExpertsOp>(op))
        experts = e;
    }
    // Chunk count from the largest expert unit of the model.
    double unit = 0;
    for (const MoeLayerDesc &l : wc->ctx.model.moeLayers)
      unit = std::max(unit, double(l.expertBytes()) / double(experts.getShards()));
    int64_t chunks = std::clamp<int64_t>(
        (int64_t)std::ceil(unit / double(chunkBytes)), 1, 256);
    OpBuilder b = OpBuilder::atBlockEnd(&schedule.getBody().front());
    b.create<hw::WaferBalancerOp>(
        schedule.getLoc(), b.getStringAttr(staging), b.getI64IntegerAttr(window),
        b.getF64FloatAttr(trigger), b.getI64IntegerAttr(maxSwaps),
        b.getI64IntegerAttr(cooldown), b.getI64IntegerAttr(chunks),
        b.getF64FloatAttr(coldFraction), b.getI64IntegerAttr(horizon));
  }
};
} // namespace
