//===- EplbBalance.cpp - DeepSeek EPLB replication and packing ------------===//
//
// DeepSeek's EPLB "global" policy (the one it uses for decoding): replicate
// the experts with the highest load per replica, then pack the replicas
// onto devices greedily, heaviest first, onto the least-loaded device with
// a free slot. The load is observed on the first steps of the workload.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Transforms/Passes.h"
#include "moesaic/Strategies/EplbPlacement.h"
#include "moesaic/Transforms/ScheduleContext.h"
#include "moesaic/Workload/Workload.h"

#include <algorithm>
#include <numeric>

namespace moesaic {
#define GEN_PASS_DEF_EPLBBALANCE
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct EplbBalancePass : moesaic::impl::EplbBalanceBase<EplbBalancePass> {
  using EplbBalanceBase::EplbBalanceBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<ScheduleContext> ctx =
        getScheduleContext(module, "moe-eplb-balance");
    if (failed(ctx))
      return signalPassFailure();
    if (ctx->model.moeLayers.empty()) {
      ctx->modelOp.emitError() << "moe-eplb-balance: model @"
                               << ctx->modelOp.getSymName()
                               << " has no MoE layer to balance";
      return signalPassFailure();
    }
    if (rebalanceEvery < 0) {
      module.emitError()
          << "moe-eplb-balance: rebalance-every must be non-negative";
      return signalPassFailure();
    }
    if (profileSteps <= 0) {
      module.emitError() << "moe-eplb-balance: profile-steps must be positive";
      return signalPassFailure();
    }
    if (redundant < -1) {
      module.emitError() << "moe-eplb-balance: redundant must be -1 (one "
                            "replica per device) or at least 0, got "
                         << (int64_t)redundant;
      return signalPassFailure();
    }
    std::string specText = passWorkloadText(module, workload);
    if (specText.empty()) {
      module.emitError() << "moe-eplb-balance needs the observed expert load: "
                            "pass 'workload=<spec>' or run it through "
                            "--strategy/--compare with --workload";
      return signalPassFailure();
    }
    FailureOr<PassWorkload> observed =
        getPassWorkload(module, "moe-eplb-balance", specText, ctx->model);
    if (failed(observed))
      return signalPassFailure();
    const GatingTrace *trace = &observed->trace;
    int64_t steps = std::min<int64_t>(profileSteps, trace->steps);
    int64_t n = ctx->accelerators.size();

    OpBuilder builder =
        OpBuilder::atBlockEnd(&ctx->schedule.getBody().front());
    Location loc = ctx->schedule.getLoc();
    for (auto [li, layer] : llvm::enumerate(ctx->model.moeLayers)) {
      int64_t E = layer.numExperts;
      std::vector<int64_t> load(E, 0);
      for (int64_t s = 0; s < steps; ++s) {
        std::vector<int32_t> l = trace->expertLoad(s, li);
        for (int64_t e = 0; e < E && e < (int64_t)l.size(); ++e)
          load[e] += l[e];
      }
      int64_t redundantReplicas =
          redundant < 0 ? eplbDefaultRedundant(E, n) : (int64_t)redundant;
      if ((E + redundantReplicas) % n != 0) {
        module.emitError() << "moe-eplb-balance: " << E << " experts + "
                           << redundantReplicas
                           << " redundant replicas do not divide evenly over "
                           << n << " devices";
        return signalPassFailure();
      }
      std::vector<std::vector<int64_t>> holders =
          eplbPlacement(load, n, redundantReplicas);

      SmallVector<Attribute> placement;
      for (int64_t e = 0; e < E; ++e) {
        SmallVector<Attribute> devs;
        for (int64_t d : holders[e])
          devs.push_back(ctx->accelerators[d]);
        placement.push_back(builder.getArrayAttr(devs));
      }
      builder.create<hw::PlaceExpertsOp>(loc, layer.index,
                                         builder.getArrayAttr(placement));
      builder.create<hw::ObservedLoadOp>(
          loc, layer.index, steps, load,
          rebalanceEvery > 0 ? builder.getI64IntegerAttr(rebalanceEvery)
                             : IntegerAttr());
    }
  }
};
} // namespace
