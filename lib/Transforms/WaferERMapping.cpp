//===- WaferERMapping.cpp - ER-Mapping on a wafer mesh --------------------===//
//
// The compile half of `er-mapping`: builds the ER-Mapping layout
// (moesaic/Runtime/Wafer/ERMapping.h) for the schedule's model and wafer at
// the workload's batch and profiled expert load, and emits it.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Transforms/Passes.h"
#include "moesaic/Transforms/ScheduleContext.h"
#include "moesaic/Transforms/WaferPlacement.h"
#include "moesaic/Workload/Workload.h"

namespace moesaic {
#define GEN_PASS_DEF_WAFERERMAPPING
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct WaferERMappingPass
    : moesaic::impl::WaferERMappingBase<WaferERMappingPass> {
  using WaferERMappingBase::WaferERMappingBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    const char *arg = "moe-wafer-er-mapping";
    // Each search step evaluates a whole layout (milliseconds on a large
    // mesh): past a million the pass would run for hours.
    constexpr int64_t kMaxSearchIters = 1000000;
    if (batch <= 0 || profileSteps <= 0 || searchIters < 0 ||
        searchIters > kMaxSearchIters) {
      module.emitError() << arg
                         << ": batch and profile-steps must be positive and "
                            "search-iters in [0, "
                         << kMaxSearchIters << "]";
      return signalPassFailure();
    }
    FailureOr<WaferContext> wc = getWaferContext(module, arg, ringSize, true);
    if (failed(wc))
      return signalPassFailure();
    const ModelDesc &model = wc->ctx.model;
    const MoeLayerDesc &layer = model.moeLayers.front();
    wafer::MappingProblem problem{&wc->ctx.system, &layer, wc->shape, batch,
                                  {}};
    // The workload, when there is one: its batch and the expert load of its
    // first profile-steps steps (all MoE layers pooled).
    std::string specText = passWorkloadText(module, workload);
    if (!specText.empty()) {
      FailureOr<PassWorkload> observed =
          getPassWorkload(module, arg, specText, model, profileSteps);
      if (failed(observed))
        return signalPassFailure();
      const GatingTrace *trace = &observed->trace;
      problem.batch = trace->batch;
      std::vector<double> share(layer.numExperts, 0.0);
      double total = 0;
      for (int64_t s = 0; s < trace->steps; ++s)
        for (size_t l = 0; l < model.moeLayers.size(); ++l) {
          std::vector<int32_t> load = trace->expertLoad(s, l);
          for (size_t e = 0; e < load.size() && e < share.size(); ++e) {
            share[e] += load[e];
            total += load[e];
          }
        }
      if (total > 0) {
        for (double &x : share)
          x /= total;
        problem.expertShare = std::move(share);
      }
    }
    wafer::MappingReport report;
    wafer::WaferLayout layout =
        wafer::erMapping(problem, searchIters, seed, &report);
    if (std::string e = wafer::validate(layout, wc->ctx.system); !e.empty()) {
      wc->ctx.schedule.emitError()
          << arg << ": internal error, the layout is invalid: " << e;
      return signalPassFailure();
    }
    Builder b(module.getContext());
    SmallVector<NamedAttribute> cost{
        b.getNamedAttr("candidate", b.getStringAttr(report.chosen)),
        b.getNamedAttr("ring_size", b.getI64IntegerAttr(wc->shape.ringSize)),
        b.getNamedAttr("byte_hops",
                       b.getF64FloatAttr(report.final.byteHops())),
        b.getNamedAttr("ring_bottleneck_us",
                       b.getF64FloatAttr(report.final.ringBottleneckUs)),
        b.getNamedAttr("moe_link_bottleneck_us",
                       b.getF64FloatAttr(report.final.moeLinkBottleneckUs)),
        b.getNamedAttr("swaps_accepted",
                       b.getI64IntegerAttr(report.swapsAccepted))};
    // Large meshes: the search stopped at its flow budget.
    if (report.budgetReached)
      cost.push_back(b.getNamedAttr("search_budget_reached", b.getUnitAttr()));
    emitWaferLayout(wc->ctx, layout, cost);
  }
};
} // namespace
