//===- WaferStrategies.cpp - er-mapping and wafer-baseline ----------------===//
//
// The two wafer strategies as pipelines of dialects/Transforms/
// WaferPasses.td (docs/wafer.md); their runtime (lib/Runtime/Wafer) is
// registered under the same names. Both run the same balancer trigger and
// decisions; er-mapping stages migrations non-invasively, wafer-baseline
// stops the world.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Driver/WaferStrategies.h"
#include "moesaic/Driver/Strategy.h"
#include "moesaic/Runtime/Wafer/WaferRuntime.h"
#include "moesaic/Transforms/Passes.h"

using namespace mlir;
using namespace moesaic;

static void addWaferSchedule(OpPassManager &pm, const std::string &name) {
  // The options hold a reference to the list until the pass copies it.
  std::vector<std::string> targets{toString(SystemKind::Wafer)};
  CreateScheduleOptions options;
  options.strategy = name;
  options.targets = targets;
  pm.addPass(createCreateSchedule(options));
}

static void addBalancer(OpPassManager &pm, const char *staging) {
  WaferNIBalancerOptions options;
  options.staging = staging;
  pm.addPass(createWaferNIBalancer(options));
}

void moesaic::registerWaferStrategies() {
  const std::vector<SystemKind> wafer = {SystemKind::Wafer};
  registerStrategy(
      {"er-mapping",
       "wafer: ER-Mapping (entwined attention rings and expert placement "
       "searched on the bottleneck link) with NI-Balancer migrations "
       "staged on cold links while both dies' HBM is idle",
       wafer, [](OpPassManager &pm) {
         addWaferSchedule(pm, "er-mapping");
         pm.addPass(createWaferERMapping());
         addBalancer(pm, "non-invasive");
         // Trigger and staging as when/where programs (docs/dataflow.md).
         pm.addPass(createDfLowerWafer());
       }});
  registerStrategy(
      {"wafer-baseline",
       "wafer: rings and experts in row-major order, EP over the whole "
       "mesh, stop-the-world migrations (same trigger as NI-Balancer)",
       wafer, [](OpPassManager &pm) {
         addWaferSchedule(pm, "wafer-baseline");
         pm.addPass(createWaferRowMajor());
         addBalancer(pm, "stop-the-world");
       }});
  wafer::registerWaferRuntimes();
}
