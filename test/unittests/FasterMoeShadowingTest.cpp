//===- FasterMoeShadowingTest.cpp - fastermoe's shadow broadcast ---------===//
//
// DeepSeek-V2-Lite at batch 1 on the 4-chiplet ring: the roofline model
// shadows about a quarter of an expert per layer and step
// (docs/strategies.md), so broadcasts reach workers with and without the
// expert's tokens.
//
// Windows: the evaluation simulates a run window by window, cutting where
// every task held so far precedes a step's start
// (docs/performance-model.md): memory then stays flat over steps. A worker
// without tokens for a shadowed expert used to receive a copy no later task
// waited for, so no step start followed every earlier task, the run stayed
// one window and held every task (4.4 GB at 16 384 steps). The broadcast
// is a collective: the receiver's next step waits for the copy.
//
// Broadcast: the owner reads the weights from its DRAM once, in chunks, and
// the chunks pipeline down a chain of the other workers, each forwarding
// from its on-chip buffer, as a collective library does. Until 2026-11-25
// the broadcast was one DRAM-to-DRAM copy per worker, all reading the
// owner's DRAM: n - 1 reads serialised on its memory engine.
//
//===----------------------------------------------------------------------===//

#include "LowerTestUtil.h"

#include "moesaic/Driver/Evaluate.h"
#include "moesaic/Perf/StrategyRuntime.h"
#include "moesaic/Target/HardwareFile.h"

#include "gtest/gtest.h"

#include <map>
#include <set>

using namespace mlir;
using namespace moesaic;
using namespace moesaic::perf;

namespace {

/// The shadowing run both suites look at: its lowered schedule, system and
/// trace (16 decode steps).
struct ShadowingRun : ::testing::Test {
  ShadowingRun() : context(makeRegistry()) {
    loweredOk = testutil::lowerExample(context, "deepseek-v2-lite.mlir",
                                      "edge-chiplet-4", "fastermoe", lowered);
    if (loweredOk)
      trace = *makeTrace(spec, lowered.model);
  }
  static DialectRegistry makeRegistry() {
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllPasses();
    return registry;
  }
  MLIRContext context;
  testutil::LoweredExample lowered;
  bool loweredOk = false; ///< the lowering succeeded
  SystemModel system = *loadHardware("edge-chiplet-4");
  WorkloadSpec spec = *parseWorkloadSpec("batch=1,seed=0,steps=16");
  GatingTrace trace;
};
struct FasterMoeWindows : ShadowingRun {};
struct FasterMoeBroadcast : ShadowingRun {};

TEST_F(FasterMoeWindows, EveryStepIsAWindowWhileShadowing) {
  ASSERT_TRUE(loweredOk);
  llvm::Expected<StrategyOutcome> out = evaluateSchedule(
      lowered.schedule, system, lowered.model, spec, trace, false);
  ASSERT_TRUE((bool)out) << llvm::toString(out.takeError());
  ASSERT_GT(*out->result.getNumber("fastermoe_shadowed_per_layer_step"), 0.0);
  EXPECT_EQ(out->simulatorWindows, 16u);
}

TEST_F(FasterMoeBroadcast, OwnerReadsOnceAndChunksPipelineDownAChain) {
  ASSERT_TRUE(loweredOk);
  std::unique_ptr<StrategyRuntime> runtime = createRuntime("fastermoe");
  ASSERT_TRUE(runtime);
  ASSERT_FALSE(bool(runtime->load(lowered.schedule, system, lowered.model)));
  TaskGraph graph;
  TaskId prev = graph.addBarrier();
  std::vector<TaskId> stepBegin;
  for (int64_t step = 0; step < trace.steps; ++step) {
    StepContext ctx{system, lowered.model, trace, step, 1024};
    stepBegin.push_back(graph.size());
    prev = runtime->emitStep(ctx, graph, prev);
  }
  const double expertBytes =
      (double)lowered.model.moeLayers.front().expertBytes();

  // Each shadowed expert's broadcast: its tasks in one step, by label.
  struct Broadcast {
    std::vector<TaskId> loads, transfers;
  };
  std::map<std::pair<size_t, std::string>, Broadcast> broadcasts;
  size_t step = 0;
  for (TaskId id = 0; id < graph.size(); ++id) {
    const Task &t = graph[id];
    while (step + 1 < stepBegin.size() && id >= stepBegin[step + 1])
      ++step;
    const std::string &label = graph.labelOf(t);
    if (label.find(" shadow expert ") == std::string::npos)
      continue;
    Broadcast &b = broadcasts[{step, label}];
    EXPECT_FALSE(t.memoryCopy) << label;
    if (t.kind == TaskKind::Load)
      b.loads.push_back(id);
    else if (t.kind == TaskKind::Transfer)
      b.transfers.push_back(id);
  }
  ASSERT_FALSE(broadcasts.empty());
  const std::vector<unsigned> accel = system.acceleratorDevices();
  for (auto &[key, b] : broadcasts) {
    SCOPED_TRACE(key.second);
    ASSERT_FALSE(b.transfers.empty());
    // The owner is the only source nothing sends to.
    std::set<unsigned> sources, receivers;
    std::map<unsigned, double> received;
    std::map<unsigned, std::set<unsigned>> sendersTo;
    for (TaskId id : b.transfers) {
      const Task &t = graph[id];
      sources.insert(t.device);
      receivers.insert(t.dst);
      received[t.dst] += t.bytes;
      sendersTo[t.dst].insert(t.device);
    }
    std::vector<unsigned> owners;
    for (unsigned s : sources)
      if (!receivers.count(s))
        owners.push_back(s);
    ASSERT_EQ(owners.size(), 1u);
    unsigned owner = owners.front();
    // Every other worker receives the whole expert once, from one sender
    // (a chain), and the owner reads it from its DRAM once.
    EXPECT_EQ(receivers.size(), accel.size() - 1);
    for (unsigned h : receivers) {
      EXPECT_NEAR(received[h], expertBytes, 1e-6 * expertBytes) << "to " << h;
      EXPECT_EQ(sendersTo[h].size(), 1u) << "to " << h;
    }
    std::map<unsigned, double> memory; // the owner's reads, the writes
    for (TaskId id : b.loads)
      memory[graph[id].device] += graph[id].bytes;
    EXPECT_NEAR(memory[owner], expertBytes, 1e-6 * expertBytes);
    // A worker keeps its copy on chip, or writes it into its DRAM once.
    for (unsigned h : receivers) {
      bool onChip = true;
      for (TaskId id : b.transfers)
        if (graph[id].dst == h)
          onChip = onChip && graph[id].allocBytes > 0;
      EXPECT_NEAR(memory[h], onChip ? 0.0 : expertBytes, 1e-6 * expertBytes)
          << "worker " << h;
    }
    // Chunks: no single transfer carries the whole expert.
    for (TaskId id : b.transfers)
      EXPECT_LT(graph[id].bytes, expertBytes / 2);
    // They pipeline: a worker forwards its k-th chunk as soon as that
    // chunk has arrived (the hop out depends on that hop in, not on the
    // whole expert), and the owner sends its k-th chunk once it is read.
    std::map<unsigned, std::vector<TaskId>> in, out;
    std::vector<TaskId> reads;
    for (TaskId id : b.loads)
      if (graph[id].device == owner)
        reads.push_back(id);
    for (TaskId id : b.transfers) {
      in[graph[id].dst].push_back(id);
      out[graph[id].device].push_back(id);
    }
    for (auto &[src, sent] : out) {
      const std::vector<TaskId> &from =
          src == owner ? reads : in[src];
      ASSERT_GE(from.size(), sent.size()) << "from " << src;
      for (size_t k = 0; k < sent.size(); ++k) {
        const Task &t = graph[sent[k]];
        std::vector<TaskId> deps(graph.depsBegin(t), graph.depsEnd(t));
        EXPECT_TRUE(llvm::is_contained(deps, from[k]))
            << "chunk " << k << " from " << src;
      }
    }
  }
}

} // namespace
