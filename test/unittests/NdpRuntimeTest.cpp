//===- NdpRuntimeTest.cpp - The GPU-NDP runtimes on the simulator ----------===//
//
// Runs ndp-tp and its baselines on the gpu-ndp-edge preset with the bundled
// model shapes and checks what must hold whatever the numbers: no latency
// below the lower bound, VRAM never over capacity, ndp-tp's NDP units
// balanced, every activated expert computed somewhere, determinism.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Moe/MoeModelDesc.h"
#include "moesaic/InitAll.h"
#include "moesaic/Perf/LowerBounds.h"
#include "moesaic/Perf/Simulator.h"
#include "moesaic/Runtime/Ndp/NdpRuntimes.h"
#include "moesaic/Target/HardwareFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace moesaic;

namespace {

ModelDesc exampleModel(const std::string &file) {
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  std::string path = std::string(MOESAIC_SOURCE_DIR) + "/examples/" + file;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(path, &ctx);
  EXPECT_TRUE(module) << path;
  mlir::FailureOr<ModelDesc> desc =
      moe::describeModel(moe::findModel(module.get()));
  EXPECT_TRUE(mlir::succeeded(desc));
  return *desc;
}

struct NdpRun {
  double stepUs = 0, boundUs = 0;
  llvm::json::Object report;
};

NdpRun run(const std::string &strategy, const SystemModel &sys,
        const ModelDesc &model, const std::string &workload) {
  NdpRun r;
  auto spec = parseWorkloadSpec(workload);
  EXPECT_TRUE(!!spec);
  auto trace = makeTrace(*spec, model);
  EXPECT_TRUE(!!trace);
  std::unique_ptr<perf::StrategyRuntime> rt = ndp::createNdpRuntime(strategy);
  EXPECT_TRUE(rt);
  llvm::json::Object schedule{{"strategy", strategy}};
  if (llvm::Error e = rt->load(schedule, sys, model)) {
    ADD_FAILURE() << llvm::toString(std::move(e));
    return r;
  }
  perf::TaskGraph graph;
  perf::TaskId prev = graph.addBarrier();
  for (int64_t s = 0; s < trace->steps; ++s) {
    perf::StepContext ctx{sys, model, *trace, s, 4096};
    prev = rt->emitStep(ctx, graph, prev);
  }
  perf::SimResult sim = perf::simulate(graph, sys);
  r.stepUs = sim.makespanUs / trace->steps;
  r.boundUs = perf::meanStepLowerBound(sys, model, *trace, 4096).max();
  rt->report(r.report);
  return r;
}

TEST(NdpRuntimes, InvariantsOnTheEdgePreset) {
  auto sys = loadHardware("gpu-ndp-edge");
  ASSERT_TRUE(!!sys) << llvm::toString(sys.takeError());
  ModelDesc model = exampleModel("qwen3-30b-a3b.mlir");
  for (const char *w : {"batch=1,trace=uniform,seed=1,steps=6",
                        "batch=4,trace=zipf:1.2,drift=0.02,seed=2,steps=6"}) {
    for (const char *s :
         {"ndp-tp", "ndp-ondemand", "ndp-fiddler", "ndp-monde"}) {
      NdpRun r = run(s, *sys, model, w);
      EXPECT_GE(r.stepUs, r.boundUs) << s << " " << w;
      const llvm::json::Object *ndp = r.report.getObject("ndp");
      ASSERT_TRUE(ndp) << s;
      EXPECT_LE(*ndp->getInteger("vram_used_bytes"),
                sys->devices[*sys->lookup("gpu")].offchipBytes)
          << s;
      int64_t placed = *ndp->getInteger("experts_on_gpu") +
                       *ndp->getInteger("experts_on_ndp") +
                       *ndp->getInteger("experts_on_cpu");
      // ndp-tp may split one expert between both sides.
      EXPECT_GE(placed, *ndp->getInteger("experts_activated")) << s;
      if (std::string(s) == "ndp-tp") {
        EXPECT_LE(*ndp->getNumber("ndp_balance"), 1.1) << w;
      }
    }
  }
}

TEST(NdpRuntimes, Deterministic) {
  auto sys = loadHardware("gpu-ndp-edge");
  ASSERT_TRUE(!!sys);
  ModelDesc model = exampleModel("olmoe-1b-7b.mlir");
  const char *w = "batch=2,trace=zipf:1.2,drift=0.02,seed=3,steps=4";
  EXPECT_EQ(run("ndp-tp", *sys, model, w).stepUs,
            run("ndp-tp", *sys, model, w).stepUs);
}

TEST(NdpRuntimes, RefusesOtherSystems) {
  auto sys = loadHardware("edge-chiplet-4");
  ASSERT_TRUE(!!sys);
  ModelDesc model = exampleModel("olmoe-1b-7b.mlir");
  auto rt = ndp::createNdpRuntime("ndp-tp");
  llvm::Error e = rt->load(llvm::json::Object{}, *sys, model);
  ASSERT_TRUE(!!e);
  EXPECT_NE(llvm::toString(std::move(e)).find("needs a gpu-ndp system"),
            std::string::npos);
}

} // namespace
