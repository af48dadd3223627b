//===- DataflowRuntimePathTest.cpp - simulating with the when/where path --===//
//
// ndp-tp and er-mapping lowered by their pipelines, then simulated twice
// from the exported schedule: once with the runtimes' direct decisions and
// once with useDataflowDecisions() (the interpreters run the schedule's
// when/where programs). The task graphs are identical task by task, so the
// simulated makespans and the runtimes' report sections are identical
// apart from the "decisions" field that names the path. Strategies whose
// schedules carry no program refuse the dataflow path.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Moe/MoeModelDesc.h"
#include "moesaic/Dialect/Moe/MoeOps.h"
#include "moesaic/Driver/Evaluate.h"
#include "moesaic/InitAll.h"
#include "moesaic/Perf/Simulator.h"
#include "moesaic/Perf/StrategyRuntime.h"
#include "moesaic/Target/HardwareFile.h"
#include "moesaic/Transforms/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace moesaic;
using namespace moesaic::perf;

namespace {

struct DataflowRuntimePathTest : ::testing::Test {
  DataflowRuntimePathTest() {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    registerAllPasses();
  }
  MLIRContext context;

  struct Run {
    TaskGraph graph;
    double makespanUs = 0;
    llvm::json::Object report;
  };

  /// Lowers `file` for `strategy` on `hw`, then emits and simulates
  /// `workload` with the direct and with the dataflow decisions.
  void compare(const std::string &file, const std::string &hw,
               const std::string &strategy, const std::string &workload,
               const char *section) {
    OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(
        std::string(MOESAIC_SOURCE_DIR) + "/" + file, &context);
    ASSERT_TRUE(module);
    PassManager pm(&context);
    AttachTargetOptions attach;
    attach.hw = std::string(MOESAIC_SOURCE_DIR) + "/" + hw;
    pm.addPass(createAttachTarget(attach));
    ASSERT_TRUE(succeeded(pm.run(*module)));
    moe::ModelOp modelOp;
    module->walk([&](moe::ModelOp m) { modelOp = m; });
    FailureOr<ModelDesc> model = describeModel(modelOp);
    ASSERT_TRUE(succeeded(model));
    llvm::Expected<SystemModel> system =
        loadHardware(std::string(MOESAIC_SOURCE_DIR) + "/" + hw);
    ASSERT_TRUE((bool)system);
    auto spec = parseWorkloadSpec(workload);
    ASSERT_TRUE((bool)spec);
    EvaluateOptions options;
    options.strategies = {strategy};
    options.workload = *spec;
    EvaluationSink sink;
    ASSERT_TRUE(succeeded(evaluateModule(*module, options, sink)));
    ASSERT_EQ(sink.outcomes.size(), 1u);
    const llvm::json::Object &schedule = sink.outcomes[0].schedule;
    llvm::Expected<GatingTrace> trace = makeTrace(*spec, *model);
    ASSERT_TRUE((bool)trace);

    Run runs[2];
    for (int path = 0; path < 2; ++path) {
      std::unique_ptr<StrategyRuntime> rt = createRuntime(strategy);
      ASSERT_TRUE(rt);
      if (path == 1) {
        ASSERT_FALSE((bool)rt->useDataflowDecisions());
      }
      llvm::Error e = rt->load(schedule, *system, *model);
      ASSERT_FALSE((bool)e) << llvm::toString(std::move(e));
      TaskId prev = runs[path].graph.addBarrier();
      for (int64_t step = 0; step < trace->steps; ++step) {
        StepContext ctx{*system, *model, *trace, step, 1024};
        prev = rt->emitStep(ctx, runs[path].graph, prev);
      }
      runs[path].makespanUs = simulate(runs[path].graph, *system).makespanUs;
      rt->report(runs[path].report);
    }
    const TaskGraph &a = runs[0].graph, &b = runs[1].graph;
    ASSERT_EQ(a.size(), b.size()) << strategy;
    for (TaskId t = 0; t < (TaskId)a.size(); ++t) {
      ASSERT_EQ(a[t].kind, b[t].kind) << strategy << " task " << t;
      ASSERT_EQ(a[t].device, b[t].device) << strategy << " task " << t;
      ASSERT_EQ(a[t].dst, b[t].dst) << strategy << " task " << t;
      ASSERT_EQ(a[t].flops, b[t].flops) << strategy << " task " << t;
      ASSERT_EQ(a[t].bytes, b[t].bytes) << strategy << " task " << t;
      ASSERT_EQ(a[t].depEnd - a[t].depBegin, b[t].depEnd - b[t].depBegin)
          << strategy << " task " << t;
    }
    EXPECT_EQ(runs[0].makespanUs, runs[1].makespanUs) << strategy;
    llvm::json::Object *ra = runs[0].report.getObject(section),
                       *rb = runs[1].report.getObject(section);
    ASSERT_TRUE(ra && rb) << section;
    EXPECT_EQ(ra->getString("decisions"), "direct");
    EXPECT_EQ(rb->getString("decisions"), "dataflow");
    ra->erase("decisions");
    rb->erase("decisions");
    EXPECT_EQ(llvm::json::Value(llvm::json::Object(*ra)),
              llvm::json::Value(llvm::json::Object(*rb)))
        << strategy;
    lastReport = std::move(runs[1].report);
  }
  llvm::json::Object lastReport;
};

} // namespace

TEST_F(DataflowRuntimePathTest, ErMappingSimulatesTheSameWithItsPrograms) {
  compare("test/Wafer/Inputs/moe32.mlir", "test/Wafer/Inputs/wafer-4x4.json",
          "er-mapping", "batch=8,trace=zipf:1.5,drift=0.1,steps=12", "wafer");
  // The run migrated, and staged chunks in slots.
  const llvm::json::Object *w = lastReport.getObject("wafer");
  ASSERT_TRUE(w);
  EXPECT_GT(*w->getInteger("migration_moves"), 0);
  EXPECT_GT(*w->getInteger("migration_chunks_hidden"), 0);
}

TEST_F(DataflowRuntimePathTest, NdpTpSimulatesTheSameWithItsPrograms) {
  compare("examples/tiny-moe.mlir", "test/Ndp/Inputs/gpu-ndp-small.json",
          "ndp-tp", "batch=4,trace=zipf:1.2,drift=0.05,steps=8", "ndp");
  const llvm::json::Object *n = lastReport.getObject("ndp");
  ASSERT_TRUE(n);
  EXPECT_GT(*n->getInteger("prefetched_bytes"), 0);
}

TEST(DataflowRuntimePath, StrategiesWithoutProgramsRefuse) {
  // Runtimes are registered with the strategies; ctest runs this test alone.
  registerAllPasses();
  for (const char *s : {"wafer-baseline", "ndp-monde"}) {
    std::unique_ptr<StrategyRuntime> rt = createRuntime(s);
    ASSERT_TRUE(rt) << s;
    llvm::Error e = rt->useDataflowDecisions();
    ASSERT_TRUE((bool)e) << s;
    llvm::consumeError(std::move(e));
  }
}
