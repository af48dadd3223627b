//===- EplbBalance.cpp - DeepSeek EPLB replication and packing ------------===//
//
// DeepSeek's EPLB "global" policy (the one it uses for decoding): replicate
// the experts with the highest load per replica, then pack the replicas
// onto devices greedily, heaviest first, onto the least-loaded device with
// a free slot. The load is observed on the first steps of the workload.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Transforms/Passes.h"
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
    std::string specText = workload;
    if (specText.empty())
      if (auto attr = module->getAttrOfType<StringAttr>("moesaic.workload"))
        specText = attr.str();
    if (specText.empty()) {
      module.emitError() << "moe-eplb-balance needs the observed expert load: "
                            "pass 'workload=<spec>' or run it through "
                            "--strategy/--compare with --workload";
      return signalPassFailure();
    }
    llvm::Expected<WorkloadSpec> spec = parseWorkloadSpec(specText);
    if (!spec) {
      module.emitError() << "moe-eplb-balance: workload '" << specText
                         << "': " << llvm::toString(spec.takeError());
      return signalPassFailure();
    }
    if (profileSteps <= 0) {
      module.emitError() << "moe-eplb-balance: profile-steps must be positive";
      return signalPassFailure();
    }
    llvm::Expected<GatingTrace> trace = makeTrace(*spec, ctx->model);
    if (!trace) {
      module.emitError() << "moe-eplb-balance: workload '" << specText
                         << "': " << llvm::toString(trace.takeError());
      return signalPassFailure();
    }
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
      int64_t redundantReplicas = redundant;
      if (redundantReplicas < 0)
        redundantReplicas = n + (n - E % n) % n;
      if ((E + redundantReplicas) % n != 0) {
        module.emitError() << "moe-eplb-balance: " << E << " experts + "
                           << redundantReplicas
                           << " redundant replicas do not divide evenly over "
                           << n << " devices";
        return signalPassFailure();
      }
      int64_t slots = (E + redundantReplicas) / n;

      // 1. Replication: each redundant replica goes to the expert with the
      // highest load per replica.
      std::vector<int64_t> replicas(E, 1);
      for (int64_t r = 0; r < redundantReplicas; ++r) {
        int64_t best = -1;
        for (int64_t e = 0; e < E; ++e) {
          if (replicas[e] >= n)
            continue;
          if (best < 0 || (double)load[e] / replicas[e] >
                              (double)load[best] / replicas[best])
            best = e;
        }
        if (best < 0)
          break;
        ++replicas[best];
      }

      // 2. Balanced packing of the replicas, heaviest first.
      struct Item {
        int64_t expert;
        double weight;
      };
      std::vector<Item> items;
      for (int64_t e = 0; e < E; ++e)
        for (int64_t r = 0; r < replicas[e]; ++r)
          items.push_back({e, (double)load[e] / replicas[e]});
      std::stable_sort(items.begin(), items.end(),
                       [](const Item &a, const Item &b) {
                         return a.weight > b.weight;
                       });
      std::vector<double> packLoad(n, 0);
      std::vector<int64_t> packCount(n, 0);
      std::vector<std::vector<int64_t>> holders(E);
      for (const Item &item : items) {
        int64_t best = -1;
        for (int64_t d = 0; d < n; ++d) {
          if (packCount[d] >= slots ||
              llvm::is_contained(holders[item.expert], d))
            continue;
          if (best < 0 || packLoad[d] < packLoad[best])
            best = d;
        }
        // No free slot on a device without this expert: the replica
        // would duplicate one the device holds, so it is not placed.
        if (best < 0)
          continue;
        packLoad[best] += item.weight;
        ++packCount[best];
        holders[item.expert].push_back(best);
      }

      SmallVector<Attribute> placement;
      for (int64_t e = 0; e < E; ++e) {
        SmallVector<Attribute> devs;
        std::sort(holders[e].begin(), holders[e].end());
        for (int64_t d : holders[e])
          devs.push_back(ctx->accelerators[d]);
        placement.push_back(builder.getArrayAttr(devs));
      }
      builder.create<hw::PlaceExpertsOp>(loc, layer.index,
                                         builder.getArrayAttr(placement));
      builder.create<hw::ObservedLoadOp>(loc, layer.index, steps, load);
    }
  }
};
} // namespace
