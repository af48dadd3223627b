//===- FseDpCoarseStreamTest.cpp - Coarse FSE-DP tasks keep the work ------===//
//
// The coarse FSE-DP emission (CoarseStreamEmitter.h, --task-granularity=
// coarse) against the fine one (StreamEmitter.h) for the same decision: every
// chiplet's DRAM and compute engine is busy for exactly the same time, and
// every link carries the same bytes and is busy for the same time apart from
// the fixed route latency each transfer task pays (the fine emission pays it
// per granule and hop, the coarse one once per link and wave). The coarse
// layer never beats the layer's lower bound, keeps the stream buffers as
// its only on-chip memory, and is a few tasks per chiplet.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Perf/LowerBounds.h"
#include "moesaic/Perf/Simulator.h"
#include "moesaic/Runtime/FseDp/CoarseStreamEmitter.h"
#include "moesaic/Runtime/FseDp/FseDpPlan.h"
#include "moesaic/Runtime/FseDp/StreamEmitter.h"
#include "moesaic/Target/HardwareFile.h"
#include "moesaic/Workload/Workload.h"

#include "gtest/gtest.h"

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

/// Per link: the summed route latency of the transfer tasks crossing it.
std::vector<double> routeLatencyPerLink(const TaskGraph &graph,
                                        const SystemModel &sys) {
  std::vector<double> out(sys.links.size(), 0);
  for (const Task &t : graph.all()) {
    if (t.kind != TaskKind::Transfer || t.bytes <= 0 || t.device == t.dst)
      continue;
    std::vector<unsigned> route = sys.route(t.device, t.dst);
    double lat = 0;
    for (unsigned l : route)
      lat += sys.links[l].latencyNs * 1e-3;
    for (unsigned l : route)
      out[l] += lat;
  }
  return out;
}

/// How gtest and ctest name a case (instead of its bytes).
void PrintTo(const Case &c, std::ostream *os) {
  *os << c.hw << " batch " << c.batch << " " << c.trace;
}

class FseDpCoarseStream : public ::testing::TestWithParam<Case> {};

TEST_P(FseDpCoarseStream, SameBusyTimePerResourceAsFine) {
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
    // Tokens on their chiplets, and replicated (the pipeline's case:
    // rule V6 may split holders).
    for (bool replicated : {false, true}) {
    const Decision &d = sched.decide(c.batch,
                                     replicated ? nullptr : pos.data(),
                                     trace.experts(0, 0, 0),
                                     model.moeLayers[0].topK);
    ASSERT_FALSE(d.experts.empty());

    TaskGraph graphs[2];
    SimResult sims[2];
    StreamEmitStats stats[2];
    for (int coarse = 0; coarse < 2; ++coarse) {
      TaskGraph &graph = graphs[coarse];
      TaskId start = graph.addBarrier();
      std::vector<TaskId> ready(sys.numDevices(), start);
      std::vector<TaskId> done =
          coarse ? emitStreamedExpertsCoarse(graph, sys, plan->ring, lp,
                                             model.moeLayers[0], sched, d,
                                             ready, {}, &stats[coarse])
                 : emitStreamedExperts(graph, sys, plan->ring, lp,
                                       model.moeLayers[0], sched, d, ready,
                                       {}, &stats[coarse]);
      graph.add(Task{}, std::vector<TaskId>(done.begin(), done.end()));
      sims[coarse] = simulate(graph, sys);
      ASSERT_TRUE(sims[coarse].warnings.empty())
          << sims[coarse].warnings.front();
    }
    const SimResult &fine = sims[0], &coarse = sims[1];
    std::string what = std::string(c.hw) + " batch " +
                       std::to_string(c.batch) + " " + c.trace + " E=" +
                       std::to_string(model.moeLayers[0].numExperts) +
                       (replicated ? " replicated" : "");

    // DRAM and compute: the same bytes and FLOPs, hence the same busy time.
    ASSERT_EQ(fine.devices.size(), coarse.devices.size());
    for (size_t i = 0; i < fine.devices.size(); ++i) {
      const DeviceStats &f = fine.devices[i], &k = coarse.devices[i];
      EXPECT_NEAR(k.offchipBytes, f.offchipBytes, 1e-9 * f.offchipBytes + 1)
          << what << " device " << i;
      EXPECT_NEAR(k.flops, f.flops, 1e-9 * f.flops + 1) << what;
      EXPECT_NEAR(k.memoryBusyUs, f.memoryBusyUs, 1e-9 * f.memoryBusyUs + 1e-9)
          << what << " device " << i;
      EXPECT_NEAR(k.computeBusyUs, f.computeBusyUs,
                  1e-9 * f.computeBusyUs + 1e-9)
          << what << " device " << i;
    }
    // Links: the same bytes and the same busy time (a link is held for
    // the bytes alone, the route's latency does not hold it); the coarse
    // graph's fewer transfers pay fewer latencies.
    std::vector<double> latFine = routeLatencyPerLink(graphs[0], sys);
    std::vector<double> latCoarse = routeLatencyPerLink(graphs[1], sys);
    ASSERT_EQ(fine.links.size(), coarse.links.size());
    for (size_t l = 0; l < fine.links.size(); ++l) {
      const LinkStats &f = fine.links[l], &k = coarse.links[l];
      EXPECT_NEAR(k.bytes, f.bytes, 1e-9 * f.bytes + 1e-6)
          << what << " link " << l;
      EXPECT_NEAR(k.busyUs, f.busyUs, 1e-9 * f.busyUs + 1e-9)
          << what << " link " << l;
      EXPECT_LE(latCoarse[l], latFine[l] + 1e-12) << what << " link " << l;
    }
    EXPECT_NEAR(stats[1].byteHops, stats[0].byteHops,
                1e-9 * stats[0].byteHops + 1e-6);

    // Bounds, memory, size.
    LowerBound lb = moeLayerLowerBound(sys, model, trace, 0, 0);
    EXPECT_GE(coarse.makespanUs * (1 + 1e-9), lb.max()) << what;
    EXPECT_EQ(coarse.peakOnchipBytes(), lp.bufferBytes) << what;
    // Per chiplet: alloc and release, and per wave a load and a compute
    // per chiplet and a transfer per directed link; plus the start
    // barrier and the final join.
    size_t waves = StreamEmitOptions().coarseWaves;
    EXPECT_EQ(stats[1].granulesPerShard, (int64_t)waves);
    EXPECT_LE(graphs[1].size(), 2 * (size_t)n + waves * 4 * n + 2) << what;
    std::printf("  %s: fine %.2f us (%zu tasks), coarse %.2f us (%zu "
                "tasks), coarse/fine %.3f, bound %.2f us\n",
                what.c_str(), fine.makespanUs, graphs[0].size(),
                coarse.makespanUs, graphs[1].size(),
                coarse.makespanUs / fine.makespanUs, lb.max());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Presets, FseDpCoarseStream,
    ::testing::Values(Case{"edge-chiplet-4", 1, "uniform"},
                      Case{"edge-chiplet-4", 8, "zipf:1.2"},
                      Case{"edge-chiplet-8-mesh", 4, "uniform"},
                      Case{"edge-chiplet-16-mesh", 1, "uniform"},
                      Case{"edge-chiplet-16-mesh", 16, "uniform"},
                      Case{"edge-chiplet-16-mesh", 16, "zipf:1.5"}));

} // namespace
