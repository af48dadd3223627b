//===- RuntimeDecisionTest.cpp - StrategyRuntime::decideLayer -------------===//
//
// The baselines' runtime decision alone (decideLayer, what
// bench/runtime_decision.cpp times apart from the task emission): every
// baseline has one, and taking it leaves the tasks emitStep emits exactly
// as they are without it (the decision keeps its own scratch state).
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Moe/MoeModelDesc.h"
#include "moesaic/Driver/Evaluate.h"
#include "moesaic/InitAll.h"
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
constexpr const char *kHw = "edge-chiplet-8-mesh";

struct RuntimeDecisionTest : ::testing::Test {
  RuntimeDecisionTest() {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    registerAllPasses();
  }
  MLIRContext context;
};

/// The tasks of `steps` decode steps; with `decide`, every MoE layer's
/// decision is taken (and must exist) before each step is emitted.
TaskGraph emitSteps(StrategyRuntime &runtime, const SystemModel &system,
                    const ModelDesc &model, const GatingTrace &trace,
                    bool decide) {
  TaskGraph graph;
  TaskId prev = graph.addBarrier();
  for (int64_t step = 0; step < trace.steps; ++step) {
    StepContext ctx{system, model, trace, step, 1024};
    if (decide) {
      for (size_t m = 0; m < model.moeLayers.size(); ++m)
        EXPECT_TRUE(runtime.decideLayer(ctx, m)) << "layer " << m;
    }
    prev = runtime.emitStep(ctx, graph, prev);
  }
  return graph;
}
} // namespace

TEST_F(RuntimeDecisionTest, BaselinesDecideWithoutChangingTheirTasks) {
  std::string path =
      std::string(MOESAIC_SOURCE_DIR) + "/examples/olmoe-1b-7b.mlir";
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(path, &context);
  ASSERT_TRUE(module);
  PassManager pm(&context);
  AttachTargetOptions attach;
  attach.hw = kHw;
  pm.addPass(createAttachTarget(attach));
  ASSERT_TRUE(succeeded(pm.run(*module)));

  // Skewed gating with a large batch, so fastermoe shadows experts.
  EvaluateOptions options;
  options.strategies = {"ep", "tp", "eplb", "fastermoe"};
  auto spec = parseWorkloadSpec("batch=1024,trace=zipf:4.0,steps=2,seed=1");
  ASSERT_TRUE(bool(spec));
  options.workload = *spec;
  EvaluationSink sink;
  ASSERT_TRUE(succeeded(evaluateModule(*module, options, sink)));
  ASSERT_EQ(sink.outcomes.size(), 4u);

  FailureOr<ModelDesc> model =
      moe::describeModel(moe::findModel(module->getOperation()));
  ASSERT_TRUE(succeeded(model));
  llvm::Expected<SystemModel> system = loadHardware(kHw);
  ASSERT_TRUE(bool(system)) << llvm::toString(system.takeError());
  llvm::Expected<GatingTrace> trace = makeTrace(*spec, *model);
  ASSERT_TRUE(bool(trace)) << llvm::toString(trace.takeError());

  EXPECT_GT(*sink.outcomes[3].result.getNumber(
                "fastermoe_shadowed_per_layer_step"),
            0.0);
  for (const StrategyOutcome &o : sink.outcomes) {
    SCOPED_TRACE(o.strategy);
    std::unique_ptr<StrategyRuntime> plain = createRuntime(o.strategy);
    std::unique_ptr<StrategyRuntime> deciding = createRuntime(o.strategy);
    ASSERT_TRUE(plain && deciding);
    ASSERT_FALSE(bool(plain->load(o.schedule, *system, *model)));
    ASSERT_FALSE(bool(deciding->load(o.schedule, *system, *model)));
    TaskGraph a = emitSteps(*plain, *system, *model, *trace, false);
    TaskGraph b = emitSteps(*deciding, *system, *model, *trace, true);
    ASSERT_EQ(a.size(), b.size());
    for (TaskId id = 0; id < a.size(); ++id) {
      const Task &x = a[id], &y = b[id];
      ASSERT_TRUE(x.kind == y.kind && x.phase == y.phase &&
                  x.device == y.device && x.dst == y.dst &&
                  x.layer == y.layer && x.flops == y.flops &&
                  x.bytes == y.bytes && x.allocBytes == y.allocBytes &&
                  x.freeBytes == y.freeBytes && x.depBegin == y.depBegin &&
                  x.depEnd == y.depEnd && a.labelOf(x) == b.labelOf(y))
          << "task " << id;
    }
    // A decision out of range is refused, not taken.
    StepContext ctx{*system, *model, *trace, 0, 1024};
    EXPECT_FALSE(deciding->decideLayer(ctx, model->moeLayers.size()));
  }
}
