//===- FseDpSchedulerDispatchTest.cpp - AVX-512 and portable agree --------===//
//
// TrajectoryScheduler::decide books links with AVX-512 where the CPU has it
// (rings of up to 16 chiplets) and with portable code elsewhere.
// FseDpSchedulerEquivalenceTest checks whichever path this machine takes
// against the reference algorithm; this test runs both paths on the same
// generated gatings (`setPortable`) and checks that every decision field,
// the makespan, the token counts and every recorded booking are identical,
// so the path a machine without AVX-512 takes is tested here too. On such a
// machine both schedulers take the portable path and the test says so.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Runtime/FseDp/TrajectoryScheduler.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

using namespace moesaic::fsedp;

namespace {

struct Rng {
  uint64_t s;
  uint64_t next() { // splitmix64
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  unsigned below(unsigned n) { return (unsigned)(next() % n); }
};

/// Fills `pool` (one entry per expert) with the experts, a random subset of
/// `a` of them first.
void randomSubsetFirst(Rng &rng, unsigned a, std::vector<int32_t> &pool) {
  const unsigned numExperts = (unsigned)pool.size();
  for (unsigned e = 0; e < numExperts; ++e)
    pool[e] = (int32_t)e;
  for (unsigned i = 0; i < a; ++i)
    std::swap(pool[i], pool[i + rng.below(numExperts - i)]);
}

/// Shuffles a gating's picks: first appearances in a new order.
void shufflePicks(Rng &rng, std::vector<int32_t> &experts) {
  for (size_t i = experts.size(); i > 1; --i)
    std::swap(experts[i - 1], experts[rng.below(i)]);
}

void expectSameDecision(const TrajectoryScheduler &a, const Decision &da,
                        const TrajectoryScheduler &b, const Decision &db,
                        bool recorded) {
  unsigned n = a.config().numChiplets;
  ASSERT_EQ(da.experts.size(), db.experts.size());
  EXPECT_EQ(da.makespanTicks, db.makespanTicks);
  for (size_t i = 0; i < da.experts.size(); ++i) {
    const ExpertDecision &x = da.experts[i], &y = db.experts[i];
    ASSERT_EQ(x.expert, y.expert) << "order differs at " << i;
    EXPECT_EQ(x.holders, y.holders) << i;
    EXPECT_EQ(x.tokens, y.tokens) << i;
    EXPECT_EQ(x.arcStart, y.arcStart) << i;
    EXPECT_EQ(x.arcLen, y.arcLen) << i;
    EXPECT_EQ(x.split, y.split) << i;
    EXPECT_EQ(x.cwGap, y.cwGap) << i;
    EXPECT_EQ(x.ccwGap, y.ccwGap) << i;
    EXPECT_EQ(x.startTick, y.startTick) << i;
    ASSERT_EQ(x.endTick, y.endTick) << i;
    for (unsigned p = 0; p < n; ++p)
      ASSERT_EQ(a.tokensAt(x, p), b.tokensAt(y, p)) << i << " at " << p;
  }
  if (!recorded)
    return;
  ASSERT_EQ(a.bookings().size(), b.bookings().size());
  for (size_t i = 0; i < a.bookings().size(); ++i) {
    const LinkBooking &x = a.bookings()[i], &y = b.bookings()[i];
    ASSERT_EQ(x.expert, y.expert) << "booking " << i;
    ASSERT_EQ(x.link, y.link) << "booking " << i;
    ASSERT_EQ(x.startTick, y.startTick) << "booking " << i;
    ASSERT_EQ(x.endTick, y.endTick) << "booking " << i;
    ASSERT_EQ(x.chunks, y.chunks) << "booking " << i;
  }
}

TEST(FseDpSchedulerDispatch, Avx512AndPortableBookingsAgree) {
  Rng rng{0x5eed0fd15a7c4ull};
  bool sawAvx512 = false, sawNarrow = false, sawSplit = false;
  for (unsigned n = 1; n <= 20; ++n)
    for (int iter = 0; iter < 40; ++iter) {
      SchedulerConfig cfg;
      cfg.numChiplets = n;
      cfg.numExperts = 1 + rng.below(iter % 4 == 0 ? 6 : 300);
      cfg.chunksPerShard = 1 + rng.below(8);
      bool wrap = iter % 7 == 3; // tick arithmetic wraps 32 bits
      cfg.linkTicksPerChunk = wrap ? 0x30000000u + rng.below(1000)
                                   : 1 + rng.below(40);
      cfg.dramTicksPerChunk = wrap ? 0x28000000u + rng.below(1000)
                                   : 1 + rng.below(60);
      // Both compute-share forms: exact and divided.
      cfg.computeTicksPerTokenChunk =
          iter % 5 == 2 ? 0x01000000u + rng.below(100) : rng.below(4);
      unsigned topK = 1 + rng.below(8);
      unsigned tokens = rng.below(iter % 6 == 0 ? 600 : 40);
      bool replicated = iter % 3 == 2, recorded = iter % 2 == 1;
      // Rule V6's split holders on half the replicated cases.
      cfg.splitHolders = iter % 4 < 2;
      std::vector<uint16_t> pos(tokens);
      std::vector<int32_t> experts((size_t)tokens * topK);
      TrajectoryScheduler fast(cfg), portable(cfg);
      portable.setPortable(true);
      // Every decision through the bookings (KeptReplicatedDecisions...
      // tests the kept ones).
      fast.setMemo(false);
      portable.setMemo(false);
      EXPECT_FALSE(portable.usesAvx512());
      sawAvx512 |= fast.usesAvx512();
      fast.setRecord(recorded);
      portable.setRecord(recorded);
      // Two calls per pair: the second starts from the first's state.
      for (int call = 0; call < 2; ++call) {
        SCOPED_TRACE(::testing::Message()
                     << "n=" << n << " iter=" << iter << " call=" << call
                     << " experts=" << cfg.numExperts << " tokens=" << tokens
                     << " topK=" << topK << " replicated=" << replicated);
        for (unsigned t = 0; t < tokens; ++t)
          pos[t] = (uint16_t)(iter % 4 == 1 ? rng.below(n) : t % n);
        for (int32_t &e : experts) {
          unsigned u = rng.below(100);
          e = u < 3    ? -1 - (int32_t)rng.below(4)
              : u < 40 ? (int32_t)rng.below(std::min(cfg.numExperts, 3u))
                       : (int32_t)rng.below(cfg.numExperts);
        }
        const uint16_t *p = replicated ? nullptr : pos.data();
        const Decision &a = fast.decide(tokens, p, experts.data(), topK);
        const Decision &b = portable.decide(tokens, p, experts.data(), topK);
        sawNarrow |= fast.usedNarrowTicks();
        for (const ExpertDecision &d : a.experts)
          sawSplit |= d.split > 1;
        EXPECT_FALSE(portable.usedNarrowTicks());
        expectSameDecision(fast, a, portable, b, recorded);
        if (HasFatalFailure())
          return;
      }
    }
  if (!sawAvx512)
    std::printf("note: this CPU has no AVX-512; both schedulers took the "
                "portable path\n");
  // Rings of 9 to 16 chiplets book with 16-bit ticks when they fit.
  EXPECT_EQ(sawNarrow, TrajectoryScheduler::narrowTicksAvailable());
  EXPECT_TRUE(sawSplit);
}

// Replicated tokens: a scheduler that keeps each active count's link
// bookings (the default) decides exactly as one that computes every
// decision in full, on rings with every booking path (16-bit and 32-bit
// AVX-512, portable tables, computed occupancy beyond 32 chiplets), with
// and without rule V6, with tick constants that wrap 32 bits and with
// compute-heavy ones, tokens beyond the 255 a count holds, data-parallel
// decisions and recorded ones (which never come from the kept bookings)
// in between. A few active counts recur, so most replicated decisions come
// from the kept bookings; the kept slots are one per active expert of each
// count seen.
TEST(FseDpSchedulerDispatch, KeptReplicatedDecisionsMatchComputedOnes) {
  Rng rng{0x4e3e0ull};
  size_t kept = 0, computed = 0;
  for (unsigned n : {1u, 2u, 3u, 4u, 5u, 8u, 9u, 12u, 16u, 17u, 24u, 32u,
                     33u, 48u, 64u})
    for (unsigned flavour = 0; flavour < 4; ++flavour) {
      SchedulerConfig cfg;
      cfg.numChiplets = n;
      cfg.numExperts = 8 + rng.below(300);
      cfg.chunksPerShard = 1 + rng.below(16);
      const bool wrap = flavour == 2;
      cfg.linkTicksPerChunk = wrap ? 0x30000000u + rng.below(1000)
                                   : 1 + rng.below(40);
      cfg.dramTicksPerChunk = wrap ? 0x28000000u + rng.below(1000)
                                   : 1 + rng.below(60);
      cfg.computeTicksPerTokenChunk =
          flavour == 3 ? 0x01000000u + rng.below(100) : rng.below(4);
      cfg.splitHolders = flavour % 2 == 0;
      TrajectoryScheduler withMemo(cfg), full(cfg);
      full.setMemo(false);
      // Three active counts recur.
      unsigned counts[3];
      for (unsigned &a : counts)
        a = 1 + rng.below(std::min(cfg.numExperts, 2 * n + 40));
      std::vector<unsigned> seen;
      std::vector<int32_t> pool(cfg.numExperts);
      for (int call = 0; call < 40; ++call) {
        const unsigned a = counts[rng.below(3)];
        const unsigned topK = 1 + rng.below(8);
        // Sometimes one expert gets more than 255 tokens.
        const unsigned tokens =
            (a + topK - 1) / topK + rng.below(call % 9 == 4 ? 400 : 12);
        randomSubsetFirst(rng, a, pool);
        std::vector<int32_t> experts((size_t)tokens * topK);
        for (size_t i = 0; i < experts.size(); ++i) {
          unsigned u = rng.below(100);
          experts[i] = i < a     ? pool[i]
                       : u < 5   ? -1
                       : u < 50  ? pool[0]
                                 : pool[rng.below(a)];
        }
        shufflePicks(rng, experts);
        const bool dataParallel = call % 7 == 6, recorded = call % 5 == 3;
        std::vector<uint16_t> pos(tokens);
        for (uint16_t &p : pos)
          p = (uint16_t)rng.below(n);
        SCOPED_TRACE(::testing::Message()
                     << "n=" << n << " flavour=" << flavour
                     << " call=" << call << " active=" << a
                     << " tokens=" << tokens << " topK=" << topK);
        withMemo.setRecord(recorded);
        full.setRecord(recorded);
        const uint16_t *p = dataParallel ? pos.data() : nullptr;
        const bool known = std::find(seen.begin(), seen.end(), a) != seen.end();
        const Decision &x = withMemo.decide(tokens, p, experts.data(), topK);
        const Decision &y = full.decide(tokens, p, experts.data(), topK);
        ASSERT_EQ(x.experts.size(), dataParallel ? x.experts.size() : a);
        EXPECT_FALSE(full.usedMemo());
        EXPECT_EQ(withMemo.usedMemo(), !dataParallel && !recorded && known);
        if (!dataParallel && !known) // recorded ones are kept too
          seen.push_back(a);
        (withMemo.usedMemo() ? kept : computed) += 1;
        expectSameDecision(withMemo, x, full, y, recorded);
        if (HasFatalFailure())
          return;
      }
      size_t slots = 0;
      for (unsigned a : seen)
        slots += a;
      EXPECT_EQ(withMemo.memoEntries(), slots);
      EXPECT_EQ(full.memoEntries(), 0u);
    }
  EXPECT_GT(kept, computed);
}

// The kept slots stop at kMemoMaxEntries: counts first seen after that are
// computed in full every time (and still decide as the full computation
// does), counts kept before keep being used.
TEST(FseDpSchedulerDispatch, KeptBookingsStopAtTheirCap) {
  SchedulerConfig cfg;
  cfg.numChiplets = 16;
  cfg.numExperts = 1400;
  cfg.chunksPerShard = 4;
  cfg.computeTicksPerTokenChunk = 1;
  cfg.splitHolders = true;
  TrajectoryScheduler withMemo(cfg), full(cfg);
  full.setMemo(false);
  // Every count from 1 to 1400 once: 980 700 slots would be kept without
  // the cap.
  auto decideCount = [&](unsigned a) {
    // a distinct experts, one token each, starting at a different expert
    // for each count.
    std::vector<int32_t> experts(a);
    for (unsigned i = 0; i < a; ++i)
      experts[i] = (int32_t)((i + a) % cfg.numExperts);
    const Decision &x = withMemo.decide(a, nullptr, experts.data(), 1);
    const Decision &y = full.decide(a, nullptr, experts.data(), 1);
    EXPECT_EQ(x.experts.size(), a);
    expectSameDecision(withMemo, x, full, y, false);
  };
  unsigned lastKept = 0;
  for (unsigned a = 1; a <= cfg.numExperts && !HasFatalFailure(); ++a) {
    size_t before = withMemo.memoEntries();
    decideCount(a);
    if (withMemo.memoEntries() > before)
      lastKept = a;
  }
  EXPECT_LE(withMemo.memoEntries(), TrajectoryScheduler::kMemoMaxEntries);
  // 1 + 2 + ... + lastKept slots, and the next count did not fit.
  EXPECT_EQ(withMemo.memoEntries(), (size_t)lastKept * (lastKept + 1) / 2);
  EXPECT_GT(withMemo.memoEntries() + lastKept + 1,
            TrajectoryScheduler::kMemoMaxEntries);
  // A count beyond the cap: computed in full again; one within: kept.
  decideCount(lastKept + 1);
  EXPECT_FALSE(withMemo.usedMemo());
  decideCount(lastKept);
  EXPECT_TRUE(withMemo.usedMemo());
}

// Tables prepared ahead of the first batch (prepareReplicated): every
// replicated decision with at most the prepared count of active experts
// comes from them from the first call on, and decides exactly as a
// scheduler computing every decision in full, on rings taking each booking
// path, with and without rule V6. Counts above the prepared bound are
// computed (and kept) as before; data-parallel decisions in between leave
// the tables alone.
TEST(FseDpSchedulerDispatch, PreparedTablesServeEveryCountFromTheFirstBatch) {
  Rng rng{0x9e7a1ull};
  for (unsigned n : {1u, 3u, 4u, 8u, 12u, 16u, 24u, 40u})
    for (bool split : {false, true}) {
      SchedulerConfig cfg;
      cfg.numChiplets = n;
      cfg.numExperts = 40 + rng.below(120);
      cfg.chunksPerShard = 1 + rng.below(16);
      cfg.linkTicksPerChunk = 1 + rng.below(40);
      cfg.dramTicksPerChunk = 1 + rng.below(60);
      cfg.computeTicksPerTokenChunk = rng.below(4);
      cfg.splitHolders = split;
      TrajectoryScheduler prepared(cfg), full(cfg);
      full.setMemo(false);
      const unsigned bound = 1 + rng.below(cfg.numExperts);
      SCOPED_TRACE(::testing::Message() << "n=" << n << " split=" << split
                                        << " bound=" << bound);
      EXPECT_EQ(prepared.prepareReplicated(bound), bound);
      EXPECT_EQ(prepared.memoEntries(), (size_t)bound * (bound + 1) / 2);
      EXPECT_EQ(full.prepareReplicated(bound), 0u); // keeping off
      // Preparing again adds nothing.
      EXPECT_EQ(prepared.prepareReplicated(bound), bound);
      EXPECT_EQ(prepared.memoEntries(), (size_t)bound * (bound + 1) / 2);
      std::vector<int32_t> pool(cfg.numExperts);
      std::vector<unsigned> keptAbove;
      for (int call = 0; call < 30; ++call) {
        const bool above = call % 6 == 5 && bound < cfg.numExperts;
        const unsigned a =
            above ? bound + 1 + rng.below(cfg.numExperts - bound)
                  : 1 + rng.below(bound);
        const unsigned topK = 1 + rng.below(8);
        const unsigned tokens = (a + topK - 1) / topK + rng.below(6);
        randomSubsetFirst(rng, a, pool);
        std::vector<int32_t> experts((size_t)tokens * topK);
        for (size_t i = 0; i < experts.size(); ++i)
          experts[i] = i < a ? pool[i] : pool[rng.below(a)];
        shufflePicks(rng, experts);
        const bool dataParallel = call % 4 == 2;
        std::vector<uint16_t> pos(tokens);
        for (uint16_t &p : pos)
          p = (uint16_t)rng.below(n);
        const uint16_t *p = dataParallel ? pos.data() : nullptr;
        SCOPED_TRACE(::testing::Message() << "call=" << call << " active="
                                          << a << " dp=" << dataParallel);
        const Decision &x = prepared.decide(tokens, p, experts.data(), topK);
        const Decision &y = full.decide(tokens, p, experts.data(), topK);
        if (!dataParallel) {
          // A count above the bound is kept once computed.
          const bool known = std::find(keptAbove.begin(), keptAbove.end(),
                                       a) != keptAbove.end();
          EXPECT_EQ(prepared.usedMemo(), !above || known);
          if (above && !known)
            keptAbove.push_back(a);
        }
        expectSameDecision(prepared, x, full, y, false);
        if (HasFatalFailure())
          return;
      }
    }
}

// 16-bit units up to their limit: one gating (most tokens on one chiplet)
// on rings of 9, 12 and 16 chiplets, one and 16 chunks per shard (the
// plans' order), link ticks growing until a decision's units may pass
// 65535. Every decision equals the portable one; the last decisions that
// still fit reach past 32767 units (where signed 16-bit arithmetic would go
// wrong), and the first that may not fit fall back to 32-bit ticks.
TEST(FseDpSchedulerDispatch, NarrowTicksUpToTheirLimit) {
  if (!TrajectoryScheduler::narrowTicksAvailable())
    GTEST_SKIP() << "this CPU has no AVX-512BW";
  Rng rng{0x16b17ull};
  for (unsigned n : {9u, 12u, 16u})
    for (uint32_t S : {1u, 16u}) {
      SchedulerConfig cfg;
      cfg.numChiplets = n;
      cfg.numExperts = 64;
      cfg.chunksPerShard = S;
      cfg.dramTicksPerChunk = 3;
      cfg.computeTicksPerTokenChunk = 1;
      const unsigned tokens = 24, topK = 4;
      std::vector<uint16_t> pos(tokens);
      std::vector<int32_t> experts((size_t)tokens * topK);
      // Most tokens on one chiplet: its entry links carry most bookings, so
      // the units approach the bound the scheduler checks.
      for (unsigned t = 0; t < tokens; ++t)
        pos[t] = (uint16_t)(t % 8 ? 0 : rng.below(n));
      for (int32_t &e : experts)
        e = (int32_t)rng.below(cfg.numExperts);
      uint32_t highestNarrow = 0;
      bool sawWide = false;
      for (uint32_t lt = 1; lt < 400 && !sawWide; ++lt) {
        SCOPED_TRACE(::testing::Message()
                     << "n=" << n << " S=" << S << " link ticks=" << lt);
        cfg.linkTicksPerChunk = lt;
        TrajectoryScheduler fast(cfg), portable(cfg);
        portable.setPortable(true);
        const Decision &a =
            fast.decide(tokens, pos.data(), experts.data(), topK);
        const Decision &b =
            portable.decide(tokens, pos.data(), experts.data(), topK);
        expectSameDecision(fast, a, portable, b, false);
        if (HasFatalFailure())
          return;
        if (fast.usedNarrowTicks())
          highestNarrow = a.makespanTicks;
        else
          sawWide = true;
      }
      EXPECT_TRUE(sawWide) << "n=" << n << " S=" << S;
      // A makespan past S x 32767 ticks has a link past 32767 units.
      EXPECT_GT(highestNarrow, S * 32767u) << "n=" << n << " S=" << S;
    }
}

} // namespace
