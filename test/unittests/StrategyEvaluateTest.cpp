//===- StrategyEvaluateTest.cpp - evaluateModule and the baselines ---------===//
//
// The library entry the Python module uses (evaluateModule): lowers and
// evaluates the baselines without moe-opt, and the emission library's
// analytic estimate matches the simulation where nothing contends.
//
//===----------------------------------------------------------------------===//

#include "LowerTestUtil.h"

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Driver/Evaluate.h"
#include "moesaic/Driver/Strategy.h"
#include "moesaic/InitAll.h"
#include "moesaic/Transforms/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace moesaic;

namespace {
struct StrategyEvaluateTest : ::testing::Test {
  StrategyEvaluateTest() {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    registerAllPasses();
  }
  MLIRContext context;
};
} // namespace

TEST_F(StrategyEvaluateTest, ComparesTheBaselinesWithoutTheDriver) {
  OwningOpRef<ModuleOp> module =
      testutil::attachExample(context, "olmoe-1b-7b.mlir", "edge-chiplet-4");
  ASSERT_TRUE(module);
  EvaluateOptions options;
  options.strategies = {"ep", "tp", "eplb", "fastermoe"};
  auto spec = parseWorkloadSpec("batch=4,trace=zipf:1.2,steps=2,context=256");
  ASSERT_TRUE(bool(spec));
  options.workload = *spec;
  EvaluationSink sink;
  ASSERT_TRUE(succeeded(evaluateModule(*module, options, sink)));
  ASSERT_EQ(sink.outcomes.size(), 4u);
  for (const StrategyOutcome &o : sink.outcomes) {
    double latency = *o.result.getNumber("latency_us");
    double bound = *o.result.getNumber("lower_bound_us");
    EXPECT_GT(latency, 0) << o.strategy;
    EXPECT_GE(latency, bound) << o.strategy;
  }
  // The clones are gone: the module holds no schedule.
  int schedules = 0;
  module->walk([&](hw::ScheduleOp) { ++schedules; });
  EXPECT_EQ(schedules, 0);
  // EP streams whole experts and exchanges tokens; TP moves no tokens to
  // experts but all-reduces: both communicate.
  EXPECT_GT(*sink.outcomes[0].result.getInteger("comm_bytes"), 0);
  EXPECT_GT(*sink.outcomes[1].result.getInteger("comm_bytes"), 0);
}

TEST_F(StrategyEvaluateTest, RefusesASystemKindItDoesNotServe) {
  OwningOpRef<ModuleOp> module =
      testutil::attachExample(context, "tiny-moe.mlir", "gpu-ndp-edge");
  ASSERT_TRUE(module);
  EvaluateOptions options;
  options.strategies = {"ep"};
  EvaluationSink sink;
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    diagnostics += d.str();
    return success();
  });
  EXPECT_TRUE(failed(evaluateModule(*module, options, sink)));
  EXPECT_NE(diagnostics.find("does not serve gpu-ndp systems"),
            std::string::npos)
      << diagnostics;
  EXPECT_FALSE(sink.done);
}
