//===- StrategyEmitTest.cpp - The reusable emission library ---------------===//
//
// What the families building on moesaic/Strategies/Emit.h rely on: a
// schedule JSON parses into device indices, dispatch/combine move exactly
// the tokens whose experts live elsewhere, and the analytic estimate equals
// the simulation when nothing contends.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Perf/Simulator.h"
#include "moesaic/Strategies/Baselines.h"
#include "moesaic/Strategies/Emit.h"
#include "moesaic/Target/HardwareFile.h"

#include <gtest/gtest.h>

using namespace moesaic;
using namespace moesaic::perf;

namespace {
ModelDesc oneLayerModel() {
  ModelDesc model;
  model.name = "m";
  model.numLayers = 1;
  model.hiddenSize = 64;
  DenseOpDesc attention;
  attention.layer = 0;
  attention.kind = "attention";
  attention.flopsPerToken = 1e5;
  attention.weightBytes = 1 << 16;
  attention.kvBytesPerContextToken = 128;
  model.denseOps.push_back(attention);
  MoeLayerDesc moe;
  moe.index = 0;
  moe.numExperts = 4;
  moe.topK = 1;
  moe.hiddenSize = 64;
  moe.expertFfnSize = 256;
  model.moeLayers.push_back(moe);
  return model;
}

llvm::json::Object epSchedule() {
  llvm::json::Value v = llvm::json::parse(R"({
    "schema": "moesaic.schedule/1", "strategy": "ep", "model": "m",
    "target": "edge-chiplet-4",
    "layers": [{"index": 0,
      "dense": [{"what": "attention", "devices": ["c0", "c1", "c2", "c3"],
                 "mode": "data"},
                {"what": "router", "devices": ["c0", "c1", "c2", "c3"],
                 "mode": "data"}],
      "expert_placement": [["c0"], ["c1"], ["c2"], ["c3"]]}]})")
                            .get();
  return *v.getAsObject();
}
} // namespace

TEST(StrategyEmit, ParsesTheCommonScheduleKeys) {
  SystemModel system = llvm::cantFail(loadHardware("edge-chiplet-4"));
  ModelDesc model = oneLayerModel();
  auto tables = parseSchedule(epSchedule(), system, model);
  ASSERT_TRUE(bool(tables)) << llvm::toString(tables.takeError());
  const LayerSchedule *layer = tables->layer(0);
  ASSERT_NE(layer, nullptr);
  ASSERT_EQ(layer->expertPlacement.size(), 4u);
  EXPECT_EQ(layer->expertPlacement[2].front(), *system.lookup("c2"));
  EXPECT_EQ(findDense(layer, "attention")->mode, DenseMode::Data);

  // An unknown device is named in the error.
  llvm::json::Object bad = epSchedule();
  (*(*bad.getArray("layers"))[0].getAsObject()->getArray(
      "expert_placement"))[1] = llvm::json::Array{"c9"};
  auto failed = parseSchedule(bad, system, model);
  ASSERT_FALSE(bool(failed));
  EXPECT_NE(llvm::toString(failed.takeError()).find("'c9'"),
            std::string::npos);
}

TEST(StrategyEmit, DispatchMovesOnlyRemoteTokensAndAnalyticMatches) {
  registerBaselineRuntimes();
  SystemModel system = llvm::cantFail(loadHardware("edge-chiplet-4"));
  ModelDesc model = oneLayerModel();
  // One token (on c0) picking expert 1 (on c1): one transfer each way.
  GatingTrace trace;
  trace.resize(1, 1, {4}, {1});
  trace.experts(0, 0, 0)[0] = 1;
  std::unique_ptr<StrategyRuntime> runtime = createRuntime("ep");
  ASSERT_TRUE(runtime);
  ASSERT_FALSE(bool(runtime->load(epSchedule(), system, model)));
  StepContext ctx{system, model, trace, 0, 64};
  TaskGraph graph;
  TaskId start = graph.addBarrier();
  runtime->emitStep(ctx, graph, start);
  int transfers = 0;
  for (const Task &t : graph.all())
    if (t.kind == TaskKind::Transfer) {
      ++transfers;
      EXPECT_EQ(t.bytes, model.moeLayers[0].tokenBytes());
    }
  EXPECT_EQ(transfers, 2);
  SimResult sim = simulate(graph, system);
  EXPECT_TRUE(sim.warnings.empty());
  EXPECT_NEAR(runtime->analyticStepUs(ctx), sim.makespanUs,
              1e-9 * sim.makespanUs);

  // The same token picking its own device's expert moves nothing.
  trace.experts(0, 0, 0)[0] = 0;
  TaskGraph local;
  runtime->emitStep(ctx, local, local.addBarrier());
  for (const Task &t : local.all())
    EXPECT_NE(t.kind, TaskKind::Transfer);
}
