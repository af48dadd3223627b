//===- LowerBoundsTest.cpp - Bounds no schedule can beat, by hand ----------===//
//
// tinyModel(): hidden 64, expert FFN 128, SwiGLU (3 matrices), bf16:
//   expert bytes = 3 x 64 x 128 x 2 = 49152, expert FLOPs/token = 49152,
//   router bytes = 64 x E x 2, router FLOPs/token = 2 x 64 x E,
//   token bytes = 128.
//
//===----------------------------------------------------------------------===//

#include "PerfTestUtil.h"

#include "moesaic/Perf/LowerBounds.h"
#include "moesaic/Perf/Simulator.h"
#include "moesaic/Target/HardwareFile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace moesaic;
using namespace moesaic::perf;
using namespace moesaic::testutil;

namespace {

/// line3() with the given per-device memory sizes.
SystemModel line3With(int64_t onchip, int64_t offchip) {
  SystemModel s;
  s.name = "line3";
  for (const char *n : {"a", "b", "c"})
    s.addDevice(device(n, 10, 100, onchip, offchip));
  s.linkDecls.push_back({0, 1, 100, 1000, true, "d2d"});
  s.linkDecls.push_back({1, 2, 50, 1000, true, "d2d"});
  EXPECT_EQ(s.finalize(), "");
  return s;
}

/// Batch 2, top-2 of 4 experts, one MoE layer: token 0 -> {0, 1},
/// token 1 -> {1, 2}: 3 distinct experts, 4 routed pairs.
GatingTrace handTrace() {
  GatingTrace t;
  t.resize(1, 2, {4}, {2});
  t.experts(0, 0, 0)[0] = 0;
  t.experts(0, 0, 0)[1] = 1;
  t.experts(0, 0, 1)[0] = 1;
  t.experts(0, 0, 1)[1] = 2;
  return t;
}

TEST(LowerBounds, ComputeAndMemoryOfOneLayer) {
  ModelDesc m = tinyModel(4, 2, 1);
  ASSERT_EQ(m.moeLayers[0].expertBytes(), 49152);
  GatingTrace t = handTrace();
  SystemModel s = line3With(/*onchip=*/0, /*offchip=*/int64_t(1) << 30);
  LowerBound b = moeLayerLowerBound(s, m, t, 0, 0);
  // FLOPs: 4 x 49152 + 2 tokens x router 2 x 64 x 4 = 196608 + 1024.
  EXPECT_DOUBLE_EQ(b.flops, 197632);
  // Three devices of 10 TFLOP/s: 197632 / 30e6 us.
  EXPECT_DOUBLE_EQ(b.computeUs, 197632 / 30e6);
  // Bytes: 3 distinct experts + router 64 x 4 x 2 = 147456 + 512, read at
  // 3 x 100 GB/s = 3e5 B/us.
  EXPECT_DOUBLE_EQ(b.bytes, 147968);
  EXPECT_DOUBLE_EQ(b.memoryUs, 147968 / 3e5);
  EXPECT_EQ(b.injectionUs, 0); // fits in one device's memory
  EXPECT_EQ(b.bisectionUs, 0); // not a mesh
  EXPECT_DOUBLE_EQ(b.max(), b.memoryUs);
  llvm::json::Object j = b.toJSON();
  EXPECT_EQ(j.getNumber("lower_bound_us"), b.max());
  EXPECT_EQ(j.getNumber("memory_us"), b.memoryUs);
  EXPECT_TRUE(j.getNumber("injection_us"));
  LowerBound inf;
  inf.computeUs = INFINITY;
  EXPECT_EQ(inf.toJSON().get("lower_bound_us")->kind(),
            llvm::json::Value::Null);
  // On-chip memory big enough for everything: nothing must be read.
  LowerBound onchip =
      moeLayerLowerBound(line3With(1 << 20, int64_t(1) << 30), m, t, 0, 0);
  EXPECT_EQ(onchip.memoryUs, 0);
}

TEST(LowerBounds, MemoryTimeFillsFastMemoriesToCapacity) {
  std::vector<MemoryDomain> d = {{{0}, 1000, 100}, {{1}, 1000000000, 10}};
  // Unconstrained 11000 B / 1.1e5 B/us = 0.1 us, but the fast memory holds
  // only 1000 B (0.01 us of it): the other 10000 B at 1e4 B/us = 1 us.
  EXPECT_DOUBLE_EQ(memoryTimeUs(11000, d, 0), 1.0);
  // 1000 B already on-chip: 9000 B from the slow memory.
  EXPECT_DOUBLE_EQ(memoryTimeUs(11000, d, 1000), 0.9);
  // Small enough for no capacity to bind: both memories in parallel.
  EXPECT_DOUBLE_EQ(memoryTimeUs(1100, d, 0), 0.01);
  EXPECT_EQ(memoryTimeUs(500, d, 600), 0);
}

TEST(LowerBounds, GpuNdpMergesTheDimmsIntoTheHostMemory) {
  auto s = loadHardware("gpu-ndp-edge");
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  std::vector<MemoryDomain> d = memoryDomains(*s);
  ASSERT_EQ(d.size(), 2u);
  // The GPU's own VRAM.
  EXPECT_EQ(d[0].devices.size(), 1u);
  EXPECT_DOUBLE_EQ(d[0].gbps, 716.8);
  EXPECT_EQ(d[0].capacityBytes, 17179869184);
  // Host DRAM = the 8 DIMMs: 256 GiB once, at the DIMMs' rank-level
  // 8 x 76.8 GB/s (not 153.6 + 614.4).
  EXPECT_EQ(d[1].devices.size(), 9u);
  EXPECT_EQ(d[1].capacityBytes, 274877906944);
  EXPECT_DOUBLE_EQ(d[1].gbps, 8 * 76.8);
  // 40 GB of weights: the GPU can serve at most its 16 GiB, so the rest
  // must come from the DIMMs: T = (40e9 - 16 GiB) / 614.4e3 B/us.
  double t = memoryTimeUs(40e9, d, 0);
  EXPECT_NEAR(t, (40e9 - 17179869184.0) / 614.4e3, 1e-6);
}

TEST(LowerBounds, InjectionWhenNoMemoryHoldsTheWeights) {
  ModelDesc m = tinyModel(4, 2, 1);
  GatingTrace t = handTrace();
  // 10 kB per device: 148 kB of weights span devices; one token's 128 B
  // cross the fastest link: 1 us + 128 / 1e5 us.
  SystemModel s = line3With(0, 10000);
  LowerBound b = moeLayerLowerBound(s, m, t, 0, 0);
  EXPECT_DOUBLE_EQ(b.injectionUs, 1.0 + 128 / 1e5);
}

TEST(LowerBounds, BisectionOnAMeshWhenNoHalfHoldsTheWeights) {
  ModelDesc m = tinyModel(4, 2, 1);
  GatingTrace t = handTrace();
  // 2x2 mesh, 10 kB per die: each half holds 20 kB < 148 kB. Two links
  // cross each cut in each direction: 128 B / 2e5 B/us + 10 ns.
  SystemModel s = mesh(2, 2, 100, 10, 0, 10000);
  LowerBound b = moeLayerLowerBound(s, m, t, 0, 0);
  EXPECT_DOUBLE_EQ(b.bisectionUs, 0.01 + 128 / 2e5);
  // Big dies: no bisection bound.
  EXPECT_EQ(moeLayerLowerBound(mesh(2, 2), m, t, 0, 0).bisectionUs, 0);
}

TEST(LowerBounds, StepAddsDenseWeightsAndKvCache) {
  ModelDesc m = tinyModel(4, 2, 1);
  DenseOpDesc attn;
  attn.layer = 0;
  attn.kind = "attention";
  attn.flopsPerToken = 2e6;
  attn.weightBytes = 1000000;
  attn.kvBytesPerContextToken = 100;
  m.denseOps.push_back(attn);
  GatingTrace t = handTrace();
  SystemModel s = line3With(0, int64_t(1) << 30);
  LowerBound b = stepLowerBound(s, m, t, 0, /*context=*/10);
  // Weights 1e6 + KV 2 tokens x 10 x 100 + the layer's 147968.
  EXPECT_DOUBLE_EQ(b.bytes, 1e6 + 2000 + 147968);
  EXPECT_DOUBLE_EQ(b.memoryUs, (1e6 + 2000 + 147968) / 3e5);
  EXPECT_DOUBLE_EQ(b.flops, 2 * 2e6 + 197632);
  EXPECT_DOUBLE_EQ(meanStepLowerBound(s, m, t, 10).max(), b.max());
}

TEST(LowerBounds, StrategyCommBoundOfAPlacement) {
  ModelDesc m = tinyModel(4, 2, 1);
  GatingTrace t = handTrace();
  SystemModel s = line3With(0, int64_t(1) << 30);
  // Experts e on device e % 3, both tokens on a: token 0 sends to b once,
  // token 1 to b and c; a sends 3 x 128 B out over its one 100 GB/s link.
  double us = strategyCommBoundUs(s, m.moeLayers[0], t, 0, 0, {0, 1, 2, 0},
                                  {0, 0});
  EXPECT_DOUBLE_EQ(us, 384 / 1e5);
  // Everything local: nothing to send.
  EXPECT_EQ(strategyCommBoundUs(s, m.moeLayers[0], t, 0, 0, {0, 0, 0, 0},
                                {0, 0}),
            0);
}

TEST(LowerBounds, ExpectedDistinctExperts) {
  // One token: exactly k. E = 8, k = 2, B = 2: 8 (1 - 0.75^2) = 3.5.
  EXPECT_DOUBLE_EQ(expectedDistinctExperts(8, 2, 1), 2);
  EXPECT_DOUBLE_EQ(expectedDistinctExperts(8, 2, 2), 3.5);
  EXPECT_NEAR(expectedDistinctExperts(256, 8, 4096), 256, 1e-9);
  EXPECT_EQ(expectedDistinctExperts(8, 2, 0), 0);
  // The uniform synthetic trace agrees on average: 8 experts, top-2,
  // batch 2 -> 3.5 distinct per step.
  ModelDesc m = tinyModel(8, 2, 1);
  WorkloadSpec spec;
  spec.batch = 2;
  spec.steps = 4000;
  auto t = makeTrace(spec, m);
  ASSERT_TRUE(bool(t));
  double distinct = 0;
  for (int64_t s = 0; s < t->steps; ++s)
    for (int32_t n : t->expertLoad(s, 0))
      distinct += n > 0;
  EXPECT_NEAR(distinct / t->steps, 3.5, 0.05);
}

TEST(LowerBounds, NoSimulatedScheduleBeatsTheBound) {
  std::mt19937_64 rng(42);
  ModelDesc m = tinyModel(8, 2, 1);
  for (int iter = 0; iter < 50; ++iter) {
    SystemModel s = line3With(0, int64_t(1) << 30);
    GatingTrace t;
    int64_t batch = 1 + rng() % 16;
    t.resize(1, batch, {8}, {2});
    for (int64_t tok = 0; tok < batch; ++tok) {
      int32_t a = rng() % 8, b = (a + 1 + rng() % 7) % 8;
      t.experts(0, 0, tok)[0] = a;
      t.experts(0, 0, tok)[1] = b;
    }
    // A schedule: each active expert on a random device, streaming its
    // weights and doing its tokens; the router anywhere.
    TaskGraph g;
    std::vector<int32_t> load = t.expertLoad(0, 0);
    const MoeLayerDesc &l = m.moeLayers[0];
    TaskId router = g.addCompute(rng() % 3, batch * l.routerFlopsPerToken(),
                                 l.routerBytes(), 10);
    for (int e = 0; e < 8; ++e)
      if (load[e])
        g.addCompute(rng() % 3, load[e] * l.expertFlopsPerToken(),
                     l.expertBytes(), 10, {router});
    SimResult r = simulate(g, s);
    LowerBound b = moeLayerLowerBound(s, m, t, 0, 0);
    EXPECT_GE(r.makespanUs, b.max() * (1 - 1e-12)) << "iteration " << iter;
  }
}

} // namespace
