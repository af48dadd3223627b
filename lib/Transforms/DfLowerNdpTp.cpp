//===- DfLowerNdpTp.cpp - ndp-tp's runtime decision as a when/where program -===//

#include "moesaic/Dialect/Df/DfRuntimePrograms.h"
#include "moesaic/Transforms/NdpScheduleTarget.h"
#include "moesaic/Transforms/Passes.h"

#include <map>

namespace moesaic {
#define GEN_PASS_DEF_DFLOWERNDPTP
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
constexpr int64_t kMaxExperts = 4096;

struct DfLowerNdpTpPass
    : moesaic::impl::DfLowerNdpTpBase<DfLowerNdpTpPass> {
  void runOnOperation() override {
    FailureOr<NdpScheduleTarget> t =
        getNdpScheduleTarget(getOperation(), "moe-df-lower-ndp-tp");
    if (failed(t))
      return signalPassFailure();
    hw::ScheduleOp schedule = t->schedule;
    Block &body = schedule.getBody().front();
    hw::NdpVramPlanOp vram;
    hw::NdpBalanceOp balance;
    std::map<int64_t, hw::NdpTensorSplitOp> split;
    for (Operation &op : body) {
      if (auto v = dyn_cast<hw::NdpVramPlanOp>(op))
        vram = v;
      else if (auto bal = dyn_cast<hw::NdpBalanceOp>(op))
        balance = bal;
      else if (auto s = dyn_cast<hw::NdpTensorSplitOp>(op))
        split[s.getLayer()] = s;
    }
    auto fail = [&](const Twine &why) {
      schedule.emitError() << "moe-df-lower-ndp-tp: schedule '"
                           << schedule.getSymName() << "' " << why;
      signalPassFailure();
    };
    if (!vram)
      return fail("has no hw.ndp_vram_plan (run moe-ndp-vram-plan)");
    if (vram.getPolicy() != hw::NdpCachePolicy::online)
      return fail("caches experts by policy '" +
                  hw::stringifyNdpCachePolicy(vram.getPolicy()) +
                  "', ndp-tp's runtime program needs the online prefetcher");
    if (!balance)
      return fail("has no hw.ndp_balance (run moe-ndp-load-balance)");
    if (balance.getCold() != hw::NdpColdPlacement::ndp_tp)
      return fail("runs cold experts by '" +
                  hw::stringifyNdpColdPlacement(balance.getCold()) +
                  "', not ndp-tp's tensor split");
    for (const MoeLayerDesc &l : t->model.moeLayers) {
      if (!split.count(l.index))
        return fail("has no hw.ndp_tensor_split of MoE layer " +
                    Twine(l.index) + " (run moe-ndp-tensor-split)");
      if (l.numExperts > kMaxExperts)
        return fail("MoE layer " + Twine(l.index) + " has " +
                    Twine(l.numExperts) + " experts, more than the " +
                    Twine(kMaxExperts) + " a program may hold");
    }
    for (Operation &op : llvm::make_early_inc_range(body))
      if (auto p = dyn_cast<df::ProgramOp>(op))
        if (p.getSymName().starts_with("ndptp."))
          op.erase();
    OpBuilder b = t->builderAtEnd();
    for (const MoeLayerDesc &l : t->model.moeLayers)
      df::buildNdpTpProgram(b, split[l.index].getLoc(), l.index,
                            l.numExperts, balance.getGranularity(),
                            (int64_t)split[l.index].getUnits().size());
  }
};
} // namespace
