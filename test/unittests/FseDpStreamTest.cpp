//===- FseDpStreamTest.cpp - FSE-DP layers in the simulator ---------------===//
//
// One MoE layer streamed by the FSE-DP emitter on the chiplet presets, for
// uniform and skewed gatings: the simulated latency never beats the layer's
// lower bound, transfers only go between ring neighbours, the on-chip peak
// is exactly the compile-time stream buffers, and every DRAM byte of every
// active expert is read exactly once.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Perf/LowerBounds.h"
#include "moesaic/Perf/Simulator.h"
#include "moesaic/Runtime/FseDp/FseDpPlan.h"
#include "moesaic/Runtime/FseDp/StreamEmitter.h"
#include "moesaic/Target/HardwareFile.h"
#include "moesaic/Workload/Workload.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <set>

using namespace moesaic;
using namespace moesaic::fsedp;
using namespace moesaic::perf;

namespace {

ModelDesc oneLayer(int64_t experts, int64_t topk, int64_t hidden,
                   int64_t ffn) {
  ModelDesc m;
  m.name = "one-layer";
  m.numLayers = 1;
  m.hiddenSize = hidden;
  MoeLayerDesc l;
  l.index = 0;
  l.numExperts = experts;
  l.topK = topk;
  l.hiddenSize = hidden;
  l.expertFfnSize = ffn;
  m.moeLayers.push_back(l);
  return m;
}

struct Case {
  const char *hw;
  int64_t batch;
  const char *trace;
};

/// How gtest and ctest name a case (instead of its bytes).
void PrintTo(const Case &c, std::ostream *os) {
  *os << c.hw << " batch " << c.batch << " " << c.trace;
}

class FseDpStream : public ::testing::TestWithParam<Case> {};

TEST_P(FseDpStream, LayerRespectsBoundsBuffersAndRing) {
  Case c = GetParam();
  SystemModel sys = *loadHardware(c.hw);
  for (ModelDesc model : {oneLayer(128, 8, 2048, 768), // Qwen3-30B-A3B
                          oneLayer(8, 2, 4096, 14336)}) { // Mixtral-8x7B
    llvm::Expected<Plan> plan = planModel(model, sys);
    ASSERT_TRUE((bool)plan) << llvm::toString(plan.takeError());
    WorkloadSpec spec = *parseWorkloadSpec(
        std::string("batch=") + std::to_string(c.batch) + ",trace=" +
        c.trace + ",seed=3,steps=1");
    GatingTrace trace = *makeTrace(spec, model);
    const LayerPlan &lp = plan->layers[0];
    unsigned n = plan->ring.size();
    TrajectoryScheduler sched(lp.schedulerConfig(n));
    std::vector<uint16_t> pos;
    const std::vector<unsigned> &accel = sys.acceleratorDevices();
    for (int64_t t = 0; t < c.batch; ++t)
      pos.push_back(plan->ring.physicalToLogical[accel[t % accel.size()]]);
    const Decision &d = sched.decide(c.batch, pos.data(),
                                     trace.experts(0, 0, 0),
                                     model.moeLayers[0].topK);
    TaskGraph graph;
    TaskId start = graph.addBarrier();
    std::vector<TaskId> ready(sys.numDevices(), start);
    StreamEmitStats stats;
    std::vector<TaskId> done =
        emitStreamedExperts(graph, sys, plan->ring, lp, model.moeLayers[0],
                            sched, d, ready, {}, &stats);
    std::vector<TaskId> all(done.begin(), done.end());
    graph.add(Task{}, all);
    for (const Task &t : graph.all())
      if (t.kind == TaskKind::Transfer) {
        int ps = plan->ring.physicalToLogical[t.device];
        int pd = plan->ring.physicalToLogical[t.dst];
        ASSERT_TRUE((ps + 1) % (int)n == pd || (pd + 1) % (int)n == ps)
            << "transfer between non-neighbours";
      }
    SimResult r = simulate(graph, sys);
    ASSERT_TRUE(r.warnings.empty()) << r.warnings.front();
    LowerBound lb = moeLayerLowerBound(sys, model, trace, 0, 0);
    EXPECT_GE(r.makespanUs * (1 + 1e-9), lb.max())
        << c.hw << " batch " << c.batch;
    EXPECT_EQ(r.peakOnchipBytes(), lp.bufferBytes);
    // Each active expert's weights leave DRAM exactly once.
    double offchip = 0;
    for (const Task &t : graph.all())
      if (t.kind == TaskKind::Load)
        offchip += t.bytes;
    EXPECT_NEAR(offchip, (double)d.experts.size() * lp.shardBytes * n,
                1e-6 * offchip);
    double linkMax = 0, linkSum = 0, memMax = 0;
    for (const LinkStats &ls : r.links) {
      linkMax = std::max(linkMax, ls.busyUs);
      linkSum += ls.busyUs;
    }
    for (const DeviceStats &ds : r.devices)
      memMax = std::max(memMax, ds.memoryBusyUs);
    std::printf("  links max %.1f avg %.1f, dram max %.1f, experts %zu\n",
                linkMax, linkSum / std::max<size_t>(1, r.links.size()),
                memMax, d.experts.size());
    RecordProperty("ratio_to_bound", std::to_string(r.makespanUs / lb.max()));
    std::printf("  %s batch %lld %s E=%lld: sim %.1f us, bound %.1f us "
                "(x%.2f), granules %lld, tasks %zu\n",
                c.hw, (long long)c.batch, c.trace,
                (long long)model.moeLayers[0].numExperts, r.makespanUs,
                lb.max(), r.makespanUs / lb.max(),
                (long long)stats.granulesPerShard, graph.size());
  }
}

// Rule V5: with interleaved loads each chiplet's DRAM takes granule g of
// every active expert (in the decision's order) before granule g + 1; with
// sequential loads one expert's granules after another. Loads are emitted,
// and prioritised, in that order. On the 16-chiplet mesh at batch 1 the
// interleaved layer is faster: the streams of all experts share the links
// from the start instead of crowding one holder's in-links at a time.
TEST(FseDpStreamLoads, InterleavedTakesGranulesRoundRobin) {
  SystemModel sys = *loadHardware("edge-chiplet-16-mesh");
  ModelDesc model = oneLayer(128, 8, 2048, 768); // Qwen3-30B-A3B
  llvm::Expected<Plan> plan = planModel(model, sys);
  ASSERT_TRUE((bool)plan) << llvm::toString(plan.takeError());
  GatingTrace trace = *makeTrace(
      *parseWorkloadSpec("batch=1,trace=uniform,seed=3,steps=1"), model);
  unsigned n = plan->ring.size();
  double makespan[2] = {0, 0};
  for (bool interleaved : {false, true}) {
    LayerPlan lp = plan->layers[0];
    lp.interleavedLoads = interleaved;
    TrajectoryScheduler sched(lp.schedulerConfig(n));
    const Decision &d =
        sched.decide(1, nullptr, trace.experts(0, 0, 0), 8); // replicated
    ASSERT_EQ(d.experts.size(), 8u);
    TaskGraph graph;
    TaskId start = graph.addBarrier();
    std::vector<TaskId> ready(sys.numDevices(), start);
    StreamEmitStats stats;
    std::vector<TaskId> done = emitStreamedExperts(
        graph, sys, plan->ring, lp, model.moeLayers[0], sched, d, ready, {},
        &stats);
    ASSERT_GT(stats.granulesPerShard, 1);
    // The loads of chiplet 0 by priority: which expert each one is of.
    std::vector<std::pair<int32_t, std::string>> loads;
    for (const Task &t : graph.all())
      if (t.kind == TaskKind::Load &&
          t.device == plan->ring.logicalToPhysical[0])
        loads.push_back({t.priority, graph.labelOf(t)});
    std::sort(loads.begin(), loads.end());
    size_t k = d.experts.size(), g = stats.granulesPerShard;
    ASSERT_EQ(loads.size(), k * g);
    for (size_t i = 0; i < loads.size(); ++i) {
      size_t expert = interleaved ? i % k : i / g;
      EXPECT_EQ(loads[i].second,
                "L0 expert " + std::to_string(d.experts[expert].expert) +
                    " stream")
          << (interleaved ? "interleaved" : "sequential") << " load " << i;
    }
    graph.add(Task{}, std::vector<TaskId>(done.begin(), done.end()));
    SimResult r = simulate(graph, sys);
    ASSERT_TRUE(r.warnings.empty()) << r.warnings.front();
    EXPECT_EQ(r.peakOnchipBytes(), lp.bufferBytes);
    makespan[interleaved] = r.makespanUs;
  }
  std::printf("  interleaved %.1f us, sequential %.1f us\n", makespan[1], makespan[0]);
  EXPECT_LT(makespan[1], 0.9 * makespan[0])
      << "interleaved " << makespan[1] << " us, sequential " << makespan[0];
}

INSTANTIATE_TEST_SUITE_P(
    Presets, FseDpStream,
    ::testing::Values(Case{"edge-chiplet-4", 1, "uniform"},
                      Case{"edge-chiplet-4", 8, "zipf:1.2"},
                      Case{"edge-chiplet-8-mesh", 4, "uniform"},
                      Case{"edge-chiplet-16-mesh", 1, "uniform"},
                      Case{"edge-chiplet-16-mesh", 16, "uniform"},
                      Case{"edge-chiplet-16-mesh", 16, "zipf:1.2"}));

} // namespace
