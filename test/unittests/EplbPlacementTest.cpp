//===- EplbPlacementTest.cpp - EPLB's packing and its pack matching -------===//
//
// eplbPlacement's packs are a partition: every device gets the same number
// of replicas, no device holds an expert twice, the hottest experts get
// the replicas. eplbMatchPacks puts a recomputed packing where its replicas
// already are, so a rebalance moves only what changed.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Strategies/EplbPlacement.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>

using namespace moesaic;

namespace {

/// Replicas of `placed` (packs relabelled by `packAt`) not already on
/// their device in `current`.
int64_t moved(const std::vector<std::vector<int64_t>> &placed,
              const std::vector<int64_t> &packAt,
              const std::vector<std::vector<int64_t>> &current) {
  int64_t count = 0;
  for (size_t e = 0; e < placed.size(); ++e)
    for (int64_t p : placed[e])
      count += std::count(current[e].begin(), current[e].end(),
                          packAt[p]) == 0;
  return count;
}

TEST(EplbPlacement, EveryDeviceGetsTheSameNumberOfDistinctReplicas) {
  std::mt19937_64 rng(5);
  std::vector<int64_t> load(64);
  for (int64_t &x : load)
    x = rng() % 1000;
  int64_t n = 16, redundant = eplbDefaultRedundant(64, n);
  std::vector<std::vector<int64_t>> placed = eplbPlacement(load, n, redundant);
  std::vector<int64_t> perDevice(n, 0);
  for (const std::vector<int64_t> &holders : placed) {
    ASSERT_FALSE(holders.empty());
    EXPECT_EQ(std::set<int64_t>(holders.begin(), holders.end()).size(),
              holders.size());
    for (int64_t d : holders)
      ++perDevice[d];
  }
  for (int64_t c : perDevice)
    EXPECT_EQ(c, (64 + redundant) / n);
}

TEST(EplbPlacement, MatchingARelabelledPackingMovesNothing) {
  std::mt19937_64 rng(9);
  std::vector<int64_t> load(32);
  for (int64_t &x : load)
    x = 1 + rng() % 500;
  int64_t n = 8;
  std::vector<std::vector<int64_t>> placed =
      eplbPlacement(load, n, eplbDefaultRedundant(32, n));
  // The same packs, now on a shuffled set of devices.
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<std::vector<int64_t>> current(placed.size());
  for (size_t e = 0; e < placed.size(); ++e)
    for (int64_t p : placed[e])
      current[e].push_back(perm[p]);
  std::vector<int64_t> packAt = eplbMatchPacks(placed, current, n);
  EXPECT_EQ(packAt, perm);
  EXPECT_EQ(moved(placed, packAt, current), 0);
  // Identity labels (pack p on device p) would have moved most replicas.
  std::vector<int64_t> identity(n);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_GT(moved(placed, identity, current), 0);
}

TEST(EplbPlacement, MatchingIsABijectionAndNeverWorseThanIdentity) {
  std::mt19937_64 rng(21);
  for (int trial = 0; trial < 20; ++trial) {
    int64_t n = 4 + rng() % 13, experts = n * (1 + rng() % 4);
    std::vector<int64_t> before(experts), after(experts);
    for (int64_t e = 0; e < experts; ++e) {
      before[e] = 1 + rng() % 300;
      after[e] = std::max<int64_t>(1, before[e] + (int64_t)(rng() % 200) - 100);
    }
    int64_t redundant = eplbDefaultRedundant(experts, n);
    std::vector<std::vector<int64_t>> current =
        eplbPlacement(before, n, redundant);
    std::vector<std::vector<int64_t>> placed =
        eplbPlacement(after, n, redundant);
    std::vector<int64_t> packAt = eplbMatchPacks(placed, current, n);
    std::vector<int64_t> sorted = packAt;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> identity(n);
    std::iota(identity.begin(), identity.end(), 0);
    EXPECT_EQ(sorted, identity) << "trial " << trial;
    EXPECT_LE(moved(placed, packAt, current),
              moved(placed, identity, current))
        << "trial " << trial;
  }
}

} // namespace
