//===- BaselineStrategies.cpp - ep, tp, eplb, fastermoe -------------------===//
//
// The four baseline strategies as pipelines of the passes of
// dialects/Transforms/BaselinePasses.td (docs/strategies.md). Their runtimes
// (lib/Strategies/Baselines.cpp) register under the same names.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Driver/Strategy.h"
#include "moesaic/Strategies/Baselines.h"
#include "moesaic/Transforms/Passes.h"

using namespace mlir;
using namespace moesaic;

/// moe-create-schedule for `info`: refuses system kinds it does not serve.
static void addCreateSchedule(OpPassManager &pm, const std::string &name,
                              const std::vector<SystemKind> &kinds) {
  std::vector<std::string> targets;
  for (SystemKind k : kinds)
    targets.push_back(toString(k));
  CreateScheduleOptions options;
  options.strategy = name;
  options.targets = targets; // copied by the pass's constructor
  pm.addPass(createCreateSchedule(options));
}

static void addPlaceDense(OpPassManager &pm, const char *mode) {
  PlaceDenseOptions options;
  options.mode = mode;
  pm.addPass(createPlaceDense(options));
}

void moesaic::registerBaselineStrategies() {
  const std::vector<SystemKind> epTargets = {
      SystemKind::Chiplet, SystemKind::Wafer, SystemKind::GpuCluster};
  registerStrategy(
      {"ep",
       "expert parallel: experts round-robin over devices, dense data "
       "parallel, all-to-all dispatch/combine",
       epTargets, [epTargets](OpPassManager &pm) {
         addCreateSchedule(pm, "ep", epTargets);
         addPlaceDense(pm, "data");
         pm.addPass(createPlaceExpertsRoundRobin());
       }});
  registerStrategy(
      {"tp",
       "tensor parallel: every expert and dense layer split across all "
       "devices, all-reduce of partial results",
       epTargets, [epTargets](OpPassManager &pm) {
         addCreateSchedule(pm, "tp", epTargets);
         addPlaceDense(pm, "tensor");
         pm.addPass(createShardExperts());
       }});
  registerStrategy(
      {"eplb",
       "DeepSeek EPLB: replicate the heaviest experts (observed load) and "
       "pack replicas balanced onto devices, on top of EP",
       epTargets, [epTargets](OpPassManager &pm) {
         addCreateSchedule(pm, "eplb", epTargets);
         addPlaceDense(pm, "data");
         pm.addPass(createEplbBalance());
       }});
  registerStrategy(
      {"fastermoe",
       "FasterMoE: EP plus per-step shadowing of hot experts while its "
       "roofline model of the latency drops",
       epTargets, [epTargets](OpPassManager &pm) {
         addCreateSchedule(pm, "fastermoe", epTargets);
         addPlaceDense(pm, "data");
         pm.addPass(createPlaceExpertsRoundRobin());
         pm.addPass(createFasterMoeShadowing());
       }});
  registerBaselineRuntimes();
}
