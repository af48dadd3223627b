//===- DfLowerWafer.cpp - er-mapping's migrations as when/where programs --===//

#include "moesaic/Dialect/Df/DfRuntimePrograms.h"
#include "moesaic/Transforms/Passes.h"
#include "moesaic/Transforms/ScheduleContext.h"

namespace moesaic {
#define GEN_PASS_DEF_DFLOWERWAFER
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
constexpr int64_t kMaxNodes = 4096;

struct DfLowerWaferPass : moesaic::impl::DfLowerWaferBase<DfLowerWaferPass> {
  void runOnOperation() override {
    FailureOr<ScheduleContext> ctx =
        getScheduleContext(getOperation(), "moe-df-lower-wafer");
    if (failed(ctx))
      return signalPassFailure();
    hw::ScheduleOp schedule = ctx->schedule;
    Block &body = schedule.getBody().front();
    hw::WaferExpertsOp experts;
    hw::WaferBalancerOp balancer;
    for (Operation &op : body) {
      if (auto e = dyn_cast<hw::WaferExpertsOp>(op))
        experts = e;
      else if (auto b = dyn_cast<hw::WaferBalancerOp>(op))
        balancer = b;
    }
    auto fail = [&](const Twine &why) {
      schedule.emitError() << "moe-df-lower-wafer: schedule '"
                           << schedule.getSymName() << "' " << why;
      signalPassFailure();
    };
    if (!experts)
      return fail("has no hw.wafer_experts (run moe-wafer-er-mapping or "
                  "moe-wafer-row-major)");
    if (!balancer)
      return fail("has no hw.wafer_balancer (run moe-wafer-ni-balancer)");
    if (balancer.getStaging() != "non-invasive")
      return fail("stages migrations \"" + balancer.getStaging() +
                  "\": only non-invasive staging has slots to program");
    int64_t dies = (int64_t)ctx->system.acceleratorDevices().size();
    int64_t links = (int64_t)ctx->system.links.size();
    int64_t units = experts.getExperts() * experts.getShards();
    if (dies > kMaxNodes || links > kMaxNodes || units > kMaxNodes)
      return fail("'" + Twine(ctx->system.name) + "' has " + Twine(dies) +
                  " dies, " + Twine(links) + " links and " + Twine(units) +
                  " expert units; a program may hold at most " +
                  Twine(kMaxNodes) + " of each");
    if (links == 0)
      return fail("targets '" + Twine(ctx->system.name) +
                  "', which has no links to stage chunks on");
    for (Operation &op : llvm::make_early_inc_range(body))
      if (auto p = dyn_cast<df::ProgramOp>(op))
        if (p.getSymName().starts_with("wafer."))
          op.erase();
    OpBuilder b(&getContext());
    b.setInsertionPointToEnd(&body);
    for (const MoeLayerDesc &l : ctx->model.moeLayers)
      df::buildWaferTriggerProgram(b, balancer.getLoc(), l.index,
                                   experts.getExperts(), experts.getShards(),
                                   dies, balancer.getWindow());
    df::buildWaferStagingProgram(b, balancer.getLoc(), links);
  }
};
} // namespace
