//===- NdpStrategies.cpp - ndp-tp, ndp-ondemand, ndp-fiddler, ndp-monde ---===//
//
// The GPU-NDP strategies as pipelines of the passes of
// dialects/Transforms/NdpPasses.td, for gpu-ndp systems only; their
// runtimes (lib/Runtime/Ndp) register under the same names.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Driver/NdpStrategies.h"
#include "moesaic/Driver/Strategy.h"
#include "moesaic/Runtime/Ndp/NdpRuntimes.h"
#include "moesaic/Transforms/Passes.h"

using namespace mlir;
using namespace moesaic;

/// The common head of every GPU-NDP pipeline: the schedule (refused on
/// other kinds of system), the dense part on the GPU, the VRAM plan.
static void addHead(OpPassManager &pm, const std::string &name,
                    const char *policy) {
  CreateScheduleOptions create;
  create.strategy = name;
  std::vector<std::string> targets = {toString(SystemKind::GpuNdp)};
  create.targets = targets; // copied by the pass's constructor
  pm.addPass(createCreateSchedule(create));
  PlaceDenseOptions dense;
  dense.mode = "single";
  pm.addPass(createPlaceDense(dense));
  NdpVramPlanOptions vram;
  vram.policy = policy;
  pm.addPass(createNdpVramPlan(vram));
}

static void addBalance(OpPassManager &pm, const char *cold) {
  NdpLoadBalanceOptions balance;
  balance.cold = cold;
  pm.addPass(createNdpLoadBalance(balance));
}

void moesaic::registerNdpStrategies() {
  const std::vector<SystemKind> gpuNdp = {SystemKind::GpuNdp};
  registerStrategy(
      {"ndp-tp",
       "GPU-NDP framework: experts tensor-parallel across all NDP units, "
       "per-batch GPU/NDP load balancing, dataset-free expert prefetching",
       gpuNdp, [](OpPassManager &pm) {
         addHead(pm, "ndp-tp", "online");
         pm.addPass(createNdpTensorSplit());
         addBalance(pm, "ndp-tp");
         // The per-batch decision as a when/where program (docs/dataflow.md).
         pm.addPass(createDfLowerNdpTp());
       }});
  registerStrategy(
      {"ndp-ondemand",
       "MoE-OnDemand: fetch missing experts over PCIe into an LRU VRAM "
       "cache, compute every expert on the GPU",
       gpuNdp, [](OpPassManager &pm) {
         addHead(pm, "ndp-ondemand", "lru");
         addBalance(pm, "fetch");
       }});
  registerStrategy(
      {"ndp-fiddler",
       "Fiddler: profiled hot experts in VRAM on the GPU, the others "
       "computed by the host CPU where they live",
       gpuNdp, [](OpPassManager &pm) {
         addHead(pm, "ndp-fiddler", "profile");
         addBalance(pm, "cpu");
       }});
  registerStrategy(
      {"ndp-monde",
       "MoNDE: profiled hot experts on the GPU, cold experts whole on one "
       "NDP unit each (expert parallelism)",
       gpuNdp, [](OpPassManager &pm) {
         addHead(pm, "ndp-monde", "profile");
         pm.addPass(createNdpExpertParallel());
         addBalance(pm, "ndp-ep");
       }});
  ndp::registerNdpRuntimes();
}
