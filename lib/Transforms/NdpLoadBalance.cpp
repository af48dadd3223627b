//===- NdpLoadBalance.cpp - The GPU-NDP runtime's per-batch policy --------===//

#include "moesaic/Transforms/NdpScheduleTarget.h"
#include "moesaic/Transforms/Passes.h"

#include <set>

namespace moesaic {
#define GEN_PASS_DEF_NDPLOADBALANCE
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct NdpLoadBalancePass
    : moesaic::impl::NdpLoadBalanceBase<NdpLoadBalancePass> {
  using NdpLoadBalanceBase::NdpLoadBalanceBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<NdpScheduleTarget> t =
        getNdpScheduleTarget(module, "moe-ndp-load-balance");
    if (failed(t))
      return signalPassFailure();
    std::optional<hw::NdpColdPlacement> where =
        hw::symbolizeNdpColdPlacement(cold);
    if (!where) {
      t->schedule.emitError()
          << "moe-ndp-load-balance: unknown cold placement '" << cold
          << "' (expected ndp-tp, ndp-ep, cpu or fetch)";
      return signalPassFailure();
    }
    if (granularity < 1 || granularity > 64) {
      t->schedule.emitError()
          << "moe-ndp-load-balance: granularity must be in [1, 64], got "
          << (int64_t)granularity;
      return signalPassFailure();
    }
    bool vram = false;
    std::set<int64_t> split, placed;
    for (Operation &op : t->schedule.getBody().front()) {
      if (isa<hw::NdpVramPlanOp>(op))
        vram = true;
      else if (auto s = dyn_cast<hw::NdpTensorSplitOp>(op))
        split.insert(s.getLayer());
      else if (auto p = dyn_cast<hw::PlaceExpertsOp>(op))
        placed.insert(p.getLayer());
    }
    if (!vram) {
      t->schedule.emitError() << "moe-ndp-load-balance: the schedule has no "
                                 "hw.ndp_vram_plan (run moe-ndp-vram-plan)";
      return signalPassFailure();
    }
    for (const MoeLayerDesc &l : t->model.moeLayers) {
      if (*where == hw::NdpColdPlacement::ndp_tp && !split.count(l.index)) {
        t->schedule.emitError()
            << "moe-ndp-load-balance: cold=ndp-tp needs a hw.ndp_tensor_split "
               "of MoE layer "
            << l.index << " (run moe-ndp-tensor-split)";
        return signalPassFailure();
      }
      if (*where == hw::NdpColdPlacement::ndp_ep && !placed.count(l.index)) {
        t->schedule.emitError()
            << "moe-ndp-load-balance: cold=ndp-ep needs a hw.place_experts of "
               "MoE layer "
            << l.index << " (run moe-ndp-expert-parallel)";
        return signalPassFailure();
      }
    }
    if (*where == hw::NdpColdPlacement::cpu && !t->system.hostDevice()) {
      t->schedule.emitError() << "moe-ndp-load-balance: cold=cpu needs a host "
                                 "CPU and @"
                              << t->systemOp.getSymName() << " has none";
      return signalPassFailure();
    }
    OpBuilder b = t->builderAtEnd();
    b.create<hw::NdpBalanceOp>(
        t->schedule.getLoc(),
        hw::NdpColdPlacementAttr::get(b.getContext(), *where),
        b.getI64IntegerAttr(granularity));
  }
};
} // namespace
