//===- NdpBalancerTest.cpp - ndp-tp's GPU/NDP balancer ---------------------===//

#include "moesaic/Runtime/Ndp/Balancer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

using namespace moesaic::ndp;

namespace {

BalanceCosts edgeCosts(unsigned units = 8, int granularity = 4) {
  BalanceCosts c;
  c.gpuGBps = 716.8;
  c.gpuTflops = 97.5;
  for (unsigned u = 0; u < units; ++u) {
    c.unitGBps.push_back(76.8);
    c.unitTflops.push_back(0.5);
    c.unitFraction.push_back(1.0 / units);
  }
  c.ndpFixedUs = 6.0;
  c.granularity = granularity;
  return c;
}

/// A deterministic mix of experts: sizes of a Qwen3-30B-A3B expert, token
/// counts 1..4, every other expert resident.
std::vector<ExpertWork> mix(int n, double bytes = 9437184.0) {
  std::vector<ExpertWork> w;
  for (int i = 0; i < n; ++i) {
    ExpertWork e;
    e.expert = 3 * i + 1;
    e.tokens = 1 + (i * 7) % 4;
    e.bytes = bytes;
    e.flops = 6.0 * 2048 * 768 * e.tokens;
    e.onGpu = i % 2 == 0;
    w.push_back(e);
  }
  return w;
}

double maxSliceUs(const std::vector<ExpertWork> &w, const BalanceCosts &c) {
  double m = 0;
  for (const ExpertWork &e : w) {
    m = std::max(m, gpuSliceUs(e, c, 1.0 / c.granularity));
    for (unsigned u = 0; u < c.unitGBps.size(); ++u)
      m = std::max(m, unitSliceUs(e, c, u, 1.0 / c.granularity));
  }
  return m;
}

TEST(NdpBalancer, FinishTimesWithinOneSlice) {
  // Enough resident work: the two sides finish within one slice.
  for (int n : {2, 5, 8, 16}) {
    BalanceCosts c = edgeCosts();
    std::vector<ExpertWork> w = mix(n);
    for (ExpertWork &e : w)
      e.onGpu = true;
    BalancePlan p = balanceLayer(w, c);
    ASSERT_FALSE(p.gpu.empty()) << n;
    ASSERT_FALSE(p.ndp.empty()) << n;
    EXPECT_LE(std::abs(p.gpuFinishUs - p.ndpFinishUs), maxSliceUs(w, c) + 1e-9)
        << "experts " << n;
  }
}

TEST(NdpBalancer, GpuTakesAllResidentWorkWhenNdpIsTheBottleneck) {
  // Half the experts resident: the GPU cannot take more than those, and it
  // takes all of them before the NDP side can be left to finish later.
  for (int n : {2, 5, 8, 16}) {
    BalanceCosts c = edgeCosts();
    std::vector<ExpertWork> w = mix(n);
    BalancePlan p = balanceLayer(w, c);
    if (p.ndpFinishUs > p.gpuFinishUs + maxSliceUs(w, c)) {
      int residentSlices = 0, gpuSlices = 0;
      for (const ExpertWork &e : w)
        residentSlices += e.onGpu ? c.granularity : 0;
      for (const SlicePiece &s : p.gpu)
        gpuSlices += s.sliceEnd - s.sliceBegin;
      EXPECT_EQ(gpuSlices, residentSlices) << "experts " << n;
    }
  }
}

TEST(NdpBalancer, NeverSlowerThanAllOnNdp) {
  BalanceCosts c = edgeCosts();
  std::vector<ExpertWork> w = mix(8);
  std::vector<ExpertWork> cold = w;
  for (ExpertWork &e : cold)
    e.onGpu = false;
  BalancePlan all = balanceLayer(cold, c);
  BalancePlan p = balanceLayer(w, c);
  EXPECT_TRUE(all.gpu.empty());
  EXPECT_LT(p.makespanUs(), all.makespanUs());
}

TEST(NdpBalancer, OnlyResidentExpertsRunOnGpu) {
  BalanceCosts c = edgeCosts();
  std::vector<ExpertWork> w = mix(9);
  BalancePlan p = balanceLayer(w, c);
  for (const SlicePiece &s : p.gpu) {
    auto it = std::find_if(w.begin(), w.end(), [&](const ExpertWork &e) {
      return e.expert == s.expert;
    });
    ASSERT_NE(it, w.end());
    EXPECT_TRUE(it->onGpu) << "expert " << s.expert;
  }
  // Every expert's slices are covered exactly once.
  for (const ExpertWork &e : w) {
    int covered = 0;
    for (const SlicePiece &s : p.gpu)
      if (s.expert == e.expert)
        covered += s.sliceEnd - s.sliceBegin;
    for (const SlicePiece &s : p.ndp)
      if (s.expert == e.expert)
        covered += s.sliceEnd - s.sliceBegin;
    EXPECT_EQ(covered, c.granularity) << "expert " << e.expert;
  }
}

TEST(NdpBalancer, Deterministic) {
  BalanceCosts c = edgeCosts();
  std::vector<ExpertWork> w = mix(12);
  BalancePlan a = balanceLayer(w, c), b = balanceLayer(w, c);
  ASSERT_EQ(a.gpu.size(), b.gpu.size());
  ASSERT_EQ(a.ndp.size(), b.ndp.size());
  for (size_t i = 0; i < a.gpu.size(); ++i) {
    EXPECT_EQ(a.gpu[i].expert, b.gpu[i].expert);
    EXPECT_EQ(a.gpu[i].sliceEnd, b.gpu[i].sliceEnd);
  }
  EXPECT_EQ(a.unitBusyUs, b.unitBusyUs);
  EXPECT_EQ(a.gpuFinishUs, b.gpuFinishUs);
}

TEST(NdpBalancer, UnitsBalancedUnderTensorParallelism) {
  BalanceCosts c = edgeCosts();
  BalancePlan p = balanceLayer(mix(7), c);
  EXPECT_NEAR(p.unitBalance(), 1.0, 1e-9);
  // Heterogeneous units: rows in proportion to bandwidth keep them even.
  BalanceCosts h = edgeCosts(4);
  h.unitGBps = {76.8, 76.8, 38.4, 51.2};
  std::vector<int64_t> rows = proportionalSplit(768, h.unitGBps, 16);
  ASSERT_EQ(std::accumulate(rows.begin(), rows.end(), int64_t(0)), 768);
  for (size_t u = 0; u < rows.size(); ++u)
    h.unitFraction[u] = rows[u] / 768.0;
  BalancePlan q = balanceLayer(mix(7), h);
  double maxUs = *std::max_element(q.unitBusyUs.begin(), q.unitBusyUs.end());
  double minUs = *std::min_element(q.unitBusyUs.begin(), q.unitBusyUs.end());
  EXPECT_LE(maxUs / minUs, 1.1);
}

TEST(NdpBalancer, ProportionalSplitIsExactAndFair) {
  std::vector<int64_t> r = proportionalSplit(1408, {1, 1, 1, 1, 1, 1, 1, 1}, 16);
  for (int64_t v : r)
    EXPECT_EQ(v, 176);
  std::vector<int64_t> odd = proportionalSplit(100, {1, 1, 1}, 16);
  EXPECT_EQ(std::accumulate(odd.begin(), odd.end(), int64_t(0)), 100);
  EXPECT_LE(*std::max_element(odd.begin(), odd.end()) -
                *std::min_element(odd.begin(), odd.end()),
            1);
}

} // namespace
