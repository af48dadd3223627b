//===- RuntimeDecisionTest.cpp - StrategyRuntime::decideLayer -------------===//
//
// The baselines' runtime decision alone (decideLayer, what
// bench/runtime_decision.cpp times apart from the task emission): every
// baseline has one, and taking it leaves the tasks emitStep emits exactly
// as they are without it (the decision keeps its own scratch state).
//
//===----------------------------------------------------------------------===//

#include "LowerTestUtil.h"

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

/// examples/`example` on the preset `hw`, evaluated with `strategies` on
/// the workload `spec`: their outcomes (schedules), the model, the system.
struct Evaluated {
  OwningOpRef<ModuleOp> module;
  WorkloadSpec spec;
  std::vector<StrategyOutcome> outcomes;
  ModelDesc model;
  SystemModel system;
};
::testing::AssertionResult evaluateExample(MLIRContext &context,
                                           const std::string &example,
                                           const std::string &hw,
                                           std::vector<std::string> strategies,
                                           llvm::StringRef spec,
                                           Evaluated &out) {
  out.module = testutil::attachExample(context, example, hw);
  if (!out.module)
    return ::testing::AssertionFailure() << example << " on " << hw;
  llvm::Expected<WorkloadSpec> workload = parseWorkloadSpec(spec);
  if (!workload)
    return ::testing::AssertionFailure()
           << llvm::toString(workload.takeError());
  out.spec = *workload;
  EvaluateOptions options;
  options.strategies = std::move(strategies);
  options.workload = out.spec;
  EvaluationSink sink;
  if (failed(evaluateModule(*out.module, options, sink)) ||
      sink.outcomes.size() != options.strategies.size())
    return ::testing::AssertionFailure() << "evaluation failed";
  out.outcomes = std::move(sink.outcomes);
  FailureOr<ModelDesc> model =
      moe::describeModel(moe::findModel(out.module->getOperation()));
  if (failed(model))
    return ::testing::AssertionFailure() << "the model is not described";
  out.model = std::move(*model);
  llvm::Expected<SystemModel> system = loadHardware(hw);
  if (!system)
    return ::testing::AssertionFailure() << llvm::toString(system.takeError());
  out.system = std::move(*system);
  return ::testing::AssertionSuccess();
}
} // namespace

TEST_F(RuntimeDecisionTest, BaselinesDecideWithoutChangingTheirTasks) {
  // Skewed gating with a large batch, so fastermoe shadows experts.
  Evaluated ev;
  ASSERT_TRUE(evaluateExample(context, "olmoe-1b-7b.mlir", kHw,
                              {"ep", "tp", "eplb", "fastermoe"},
                              "batch=1024,trace=zipf:4.0,steps=2,seed=1", ev));
  const ModelDesc *model = &ev.model;
  const SystemModel *system = &ev.system;
  llvm::Expected<GatingTrace> trace = makeTrace(ev.spec, *model);
  ASSERT_TRUE(bool(trace)) << llvm::toString(trace.takeError());

  EXPECT_GT(*ev.outcomes[3].result.getNumber(
                "fastermoe_shadowed_per_layer_step"),
            0.0);
  for (const StrategyOutcome &o : ev.outcomes) {
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

// eplb's replica choice adds the work of the active experts without a
// choice (one replica) before it places those with several: here expert 0
// has one token on c1 only, expert 1 two tokens on c0 or c1. Planned first
// on empty devices (as longest-first over all experts did), expert 1 split
// its tokens over c0 and c1 and c1 computed twice; knowing c1's fixed
// work, it goes to c0 alone.
TEST_F(RuntimeDecisionTest, EplbPlacesExpertsWithoutChoiceFirst) {
  Evaluated ev;
  ASSERT_TRUE(evaluateExample(context, "tiny-moe.mlir", "edge-chiplet-4",
                              {"eplb"}, "batch=2,steps=1", ev));
  llvm::json::Object schedule = ev.outcomes[0].schedule;
  llvm::json::Array *layers = schedule.getArray("layers");
  ASSERT_TRUE(layers);
  for (llvm::json::Value &v : *layers) {
    llvm::json::Array placement;
    for (const std::vector<const char *> &r :
         std::vector<std::vector<const char *>>{{"c1"},
                                                {"c0", "c1"},
                                                {"c2"},
                                                {"c3"},
                                                {"c2"},
                                                {"c3"},
                                                {"c2"},
                                                {"c3"}}) {
      llvm::json::Array devices;
      for (const char *d : r)
        devices.push_back(d);
      placement.push_back(std::move(devices));
    }
    (*v.getAsObject())["expert_placement"] = std::move(placement);
  }

  const ModelDesc *model = &ev.model;
  const SystemModel *system = &ev.system;
  GatingTrace trace;
  size_t moeLayers = model->moeLayers.size();
  trace.resize(1, 2, std::vector<int64_t>(moeLayers, 8),
               std::vector<int64_t>(moeLayers, 2));
  for (size_t m = 0; m < moeLayers; ++m) {
    int32_t *t0 = trace.experts(0, m, 0), *t1 = trace.experts(0, m, 1);
    t0[0] = 0, t0[1] = 1;
    t1[0] = 1, t1[1] = 2;
  }
  std::unique_ptr<StrategyRuntime> runtime = createRuntime("eplb");
  ASSERT_TRUE(runtime);
  ASSERT_FALSE(bool(runtime->load(schedule, *system, *model)));
  TaskGraph graph = emitSteps(*runtime, *system, *model, trace, true);
  int computes = 0;
  for (TaskId id = 0; id < graph.size(); ++id) {
    const Task &t = graph[id];
    llvm::StringRef label = graph.labelOf(t);
    if (t.kind != TaskKind::Compute || !label.ends_with(" expert 1"))
      continue;
    ++computes;
    EXPECT_EQ(t.device, 0u) << label.str();
  }
  EXPECT_EQ(computes, (int)moeLayers);
}

// After eplb-rebalance moves an expert (one replica each: `redundant=0`),
// every later computation of it runs where it moved (the replica choice's
// per-layer tables are rebuilt from the new placement).
TEST_F(RuntimeDecisionTest, EplbRebalanceComputesWhereExpertsMoved) {
  Evaluated ev;
  ASSERT_TRUE(evaluateExample(
      context, "tiny-moe.mlir", "edge-chiplet-4",
      {"eplb-rebalance{redundant=0}"},
      "batch=16,trace=zipf:1.5,drift=1.0,steps=17,seed=2", ev));
  const ModelDesc *model = &ev.model;
  const SystemModel *system = &ev.system;
  llvm::Expected<GatingTrace> trace = makeTrace(ev.spec, *model);
  ASSERT_TRUE(bool(trace)) << llvm::toString(trace.takeError());
  std::unique_ptr<StrategyRuntime> runtime = createRuntime("eplb-rebalance");
  ASSERT_TRUE(runtime);
  ASSERT_FALSE(bool(runtime->load(ev.outcomes[0].schedule, *system, *model)));
  TaskGraph graph = emitSteps(*runtime, *system, *model, *trace, true);

  // (layer, expert) -> the device it last moved to, in task order.
  std::map<std::pair<int64_t, int64_t>, unsigned> movedTo;
  int moves = 0, checked = 0;
  for (TaskId id = 0; id < graph.size(); ++id) {
    const Task &t = graph[id];
    llvm::StringRef label = graph.labelOf(t);
    int64_t layer, expert;
    if (!label.consume_front("L") || label.consumeInteger(10, layer))
      continue;
    if (t.kind == TaskKind::Transfer &&
        label.consume_front(" EPLB move expert ") &&
        !label.getAsInteger(10, expert)) {
      movedTo[{layer, expert}] = t.dst;
      ++moves;
      continue;
    }
    if (t.kind != TaskKind::Compute || !label.consume_front(" expert ") ||
        label.getAsInteger(10, expert))
      continue;
    auto it = movedTo.find({layer, expert});
    if (it == movedTo.end())
      continue;
    ++checked;
    EXPECT_EQ(t.device, it->second) << "L" << layer << " expert " << expert;
  }
  EXPECT_GT(moves, 0);
  EXPECT_GT(checked, 0);
}
