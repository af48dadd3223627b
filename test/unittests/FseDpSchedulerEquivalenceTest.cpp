//===- FseDpSchedulerEquivalenceTest.cpp - decisions stay bit-identical ---===//
//
// The FSE-DP runtime scheduler (TrajectoryScheduler::decide) is tuned for
// speed; its decisions must not change. This test keeps a plain, scalar copy
// of the algorithm as it stood before the tuning (commit 0cfefd3,
// "precomputed busy ticks per tabulated lane") and checks that the tuned
// scheduler returns exactly the same decision -- every field of every
// expert, the order, the makespan, the per-holder token counts and, in
// record mode, every link booking -- over thousands of generated gatings:
// ring sizes 1..64 (tabulated and computed occupancy), data-parallel and
// replicated tokens, skewed and uniform routing, ignored (negative) ids,
// repeated ids, saturated per-chiplet counts, tick constants large enough to
// wrap 32-bit arithmetic, and one scheduler reused across calls.
//
// A golden hash over a fixed set of decisions guards the reference itself:
// if someone edits both the scheduler and the reference, the hash changes.
// The gatings come from a self-contained generator (splitmix64), so they do
// not depend on the standard library's distributions.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Runtime/FseDp/TrajectoryScheduler.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdint>
#include <vector>

using namespace moesaic::fsedp;

namespace {

//===----------------------------------------------------------------------===//
// Reference: the scheduler's algorithm before tuning, written plainly.
//===----------------------------------------------------------------------===//

struct RefExpert {
  ExpertDecision d;
  std::vector<unsigned> tokensAt; // per logical position
};

struct RefDecision {
  std::vector<RefExpert> experts;
  uint32_t makespanTicks = 0;
  std::vector<LinkBooking> bookings;
};

// Shards crossing each directed link for the arc (rule V3): lane p is
// p -> p+1, lane n+p is p -> p-1.
std::vector<uint32_t> refOccupancy(unsigned n, unsigned start, unsigned len,
                                   unsigned cwGap) {
  std::vector<uint32_t> out(2 * n, 0);
  unsigned gap = n - 1 - len, ccwGap = gap - cwGap;
  for (unsigned r = 0; r < n; ++r) {
    unsigned p = (start + r) % n;
    unsigned cw = 0, ccw = 0;
    if (r < len)
      cw = r + 1 + cwGap;
    else if (r >= n - cwGap)
      cw = r - (n - cwGap) + 1;
    if (r >= 1 && r <= len)
      ccw = len - r + 1 + ccwGap;
    else if (r > len && r <= len + ccwGap)
      ccw = len + ccwGap - r + 1;
    out[p] = cw;
    out[n + p] = ccw;
  }
  return out;
}
/// The j-th slot of an m-cycle in farthest-first order, written as plainly
/// as possible: the slot whose distance to the nearest slot already taken
/// is largest, ties to the one farthest from the previous slot, then the
/// lowest.
static unsigned spreadSlot(unsigned m, unsigned j) {
  auto dist = [m](unsigned a, unsigned b) {
    unsigned d = (a + m - b) % m;
    return std::min(d, m - d);
  };
  std::vector<unsigned> taken{0};
  while (taken.size() <= j) {
    unsigned best = 0, bestNear = 0, bestPrev = 0;
    bool found = false;
    for (unsigned c = 0; c < m; ++c) {
      if (std::find(taken.begin(), taken.end(), c) != taken.end())
        continue;
      unsigned nearest = m;
      for (unsigned t : taken)
        nearest = std::min(nearest, dist(c, t));
      unsigned prev = dist(c, taken.back());
      if (!found || nearest > bestNear ||
          (nearest == bestNear && prev > bestPrev)) {
        best = c, bestNear = nearest, bestPrev = prev, found = true;
      }
    }
    taken.push_back(best);
  }
  return taken[j];
}


RefDecision referenceDecide(SchedulerConfig cfg, unsigned numTokens,
                            const uint16_t *tokenPos, const int32_t *experts,
                            unsigned topK) {
  if (cfg.chunksPerShard == 0)
    cfg.chunksPerShard = 1;
  const unsigned n = cfg.numChiplets;
  const uint32_t S = cfg.chunksPerShard;
  std::vector<uint8_t> counts((size_t)cfg.numExperts * n, 0);
  std::vector<uint64_t> masks(cfg.numExperts, 0);
  std::vector<uint16_t> tokensOf(cfg.numExperts, 0);
  std::vector<uint32_t> active;

  // Gather (first appearance order).
  for (unsigned t = 0; t < numTokens; ++t)
    for (unsigned j = 0; j < topK; ++j) {
      int32_t e = experts[(size_t)t * topK + j];
      if (e < 0)
        continue;
      if (tokensOf[e] == 0)
        active.push_back(e);
      ++tokensOf[e];
      if (tokenPos) {
        unsigned p = tokenPos[t];
        masks[e] |= uint64_t(1) << p;
        uint8_t &c = counts[(size_t)e * n + p];
        c = c == 255 ? 255 : c + 1;
      }
    }
  if (!tokenPos)
    for (size_t i = 0; i < active.size(); ++i) {
      uint32_t e = active[i];
      // V4: slot k of m = min(active, n) evenly spaced slots, in an order
      // where each slot is farthest from the ones taken before it.
      unsigned m = std::min<size_t>(active.size(), n);
      unsigned k = spreadSlot(m, i % m);
      unsigned p = k * n / m;
      masks[e] = uint64_t(1) << p;
      counts[(size_t)e * n + p] = tokensOf[e] > 255 ? 255 : tokensOf[e];
    }

  // Arcs: ring minus the largest gap between holders scanned from the
  // lowest holder; the first gap of equal length found later is the tie.
  struct Arc {
    unsigned start, len, tie, key;
  };
  std::vector<Arc> arcs;
  for (uint32_t e : active) {
    std::vector<unsigned> hs;
    for (unsigned p = 0; p < n; ++p)
      if (masks[e] >> p & 1)
        hs.push_back(p);
    Arc a{hs[0], 0, ~0u, 0};
    if (hs.size() > 1) {
      unsigned bestGap = 0, bestStart = 0;
      a.tie = ~0u;
      for (size_t k = 1; k <= hs.size(); ++k) {
        unsigned p = k < hs.size() ? hs[k] : hs[0];
        unsigned gap = k < hs.size() ? p - hs[k - 1] - 1
                                     : hs[0] + n - hs.back() - 1;
        if (k == 1 || gap > bestGap) {
          bestGap = gap;
          bestStart = p;
          a.tie = ~0u;
        } else if (gap == bestGap && a.tie == ~0u) {
          a.tie = p;
        }
      }
      a.start = bestStart;
      a.len = n - 1 - bestGap;
    }
    unsigned gap = n - 1 - a.len;
    a.key = std::min(a.len + (gap + 1) / 2, n);
    arcs.push_back(a);
  }

  // Longest stream first, stable.
  std::vector<size_t> order(active.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return arcs[x].key > arcs[y].key;
  });

  RefDecision r;
  std::vector<uint32_t> linkFree(2 * n, 0), computeFree(n, 0);
  auto busy = [&](uint32_t shards) -> uint32_t {
    uint32_t nl = shards * cfg.linkTicksPerChunk * S;
    uint32_t dl = cfg.dramTicksPerChunk * S;
    return shards ? std::max(nl, dl) : 0;
  };
  auto finish = [&](const std::vector<uint32_t> &o, uint32_t t0) {
    uint32_t end = t0;
    for (unsigned l = 0; l < 2 * n; ++l)
      if (o[l])
        end = std::max(end, std::max(linkFree[l], t0) + busy(o[l]));
    return end;
  };
  uint32_t dramFree = 0, makespan = 0;
  for (size_t i : order) {
    const Arc &a = arcs[i];
    uint32_t e = active[i];
    ExpertDecision d;
    d.expert = e;
    d.holders = masks[e];
    d.tokens = tokensOf[e];
    d.arcLen = a.len;
    unsigned len = a.len, gap = n - 1 - len;
    d.startTick = dramFree;
    uint32_t t0 = dramFree + cfg.dramTicksPerChunk;
    dramFree += S * cfg.dramTicksPerChunk;
    // The odd gap shard enters through the entry link that frees first.
    auto oddCw = [&](unsigned start) {
      if (!(gap & 1))
        return gap / 2;
      unsigned end = (start + len) % n;
      uint32_t cwEntry = linkFree[(start + n - 1) % n];
      uint32_t ccwEntry = linkFree[n + (end + 1) % n];
      return gap / 2 + (cwEntry <= ccwEntry ? 1 : 0);
    };
    unsigned start = a.start, cw = oddCw(start);
    if (a.tie != ~0u) {
      uint32_t e0 = finish(refOccupancy(n, start, len, cw), t0);
      unsigned altCw = oddCw(a.tie);
      uint32_t e1 = finish(refOccupancy(n, a.tie, len, altCw), t0);
      if (e1 < e0) {
        start = a.tie;
        cw = altCw;
      }
    }
    d.arcStart = start;
    d.cwGap = cw;
    d.ccwGap = gap - cw;
    std::vector<uint32_t> o = refOccupancy(n, start, len, cw);
    uint32_t linkEnd = t0;
    for (unsigned l = 0; l < 2 * n; ++l) {
      if (!o[l])
        continue;
      uint32_t s = std::max(linkFree[l], t0);
      uint32_t b = busy(o[l]);
      r.bookings.push_back({e, l, s, s + b, o[l] * S});
      linkFree[l] = s + b;
      linkEnd = std::max(linkEnd, s + b);
    }
    uint32_t fill = (len + std::max(d.cwGap, d.ccwGap)) *
                    cfg.linkTicksPerChunk;
    uint32_t arrive =
        std::max(linkEnd, t0 + (S - 1) * cfg.dramTicksPerChunk) + fill;
    uint32_t end = arrive;
    for (unsigned p = 0; p < n; ++p) {
      if (!(d.holders >> p & 1))
        continue;
      uint32_t work = counts[(size_t)e * n + p] *
                      cfg.computeTicksPerTokenChunk * S * n;
      uint32_t c = std::max(computeFree[p] + work, arrive + work / (S * n));
      computeFree[p] = c;
      end = std::max(end, c);
    }
    d.endTick = end;
    makespan = std::max(makespan, end);
    RefExpert re;
    re.d = d;
    for (unsigned p = 0; p < n; ++p)
      re.tokensAt.push_back(counts[(size_t)e * n + p]);
    r.experts.push_back(std::move(re));
  }
  r.makespanTicks = makespan;
  return r;
}

//===----------------------------------------------------------------------===//
// Generated cases.
//===----------------------------------------------------------------------===//

struct Rng {
  uint64_t s;
  uint64_t next() { // splitmix64
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  unsigned below(unsigned k) { return (unsigned)(next() % k); }
};

struct Case {
  SchedulerConfig cfg;
  unsigned tokens = 0, topK = 1;
  bool replicated = false;
  std::vector<uint16_t> pos;
  std::vector<int32_t> experts;
};

Case makeCase(Rng &rng, unsigned n, unsigned numExperts, unsigned tokens,
              unsigned topK, bool replicated, unsigned flavour) {
  Case c;
  c.cfg.numChiplets = n;
  c.cfg.numExperts = numExperts;
  c.tokens = tokens;
  c.topK = topK;
  c.replicated = replicated;
  switch (flavour % 4) {
  case 0: // the plans' typical constants
    c.cfg.chunksPerShard = 1 + rng.below(40);
    c.cfg.linkTicksPerChunk = 16;
    c.cfg.dramTicksPerChunk = 16 + rng.below(40);
    c.cfg.computeTicksPerTokenChunk = rng.below(4);
    break;
  case 1: // small and odd constants, chunksPerShard 0 means 1
    c.cfg.chunksPerShard = rng.below(3);
    c.cfg.linkTicksPerChunk = 1 + rng.below(23);
    c.cfg.dramTicksPerChunk = 1 + rng.below(7);
    c.cfg.computeTicksPerTokenChunk = rng.below(50);
    break;
  case 2: // large enough to wrap 32-bit ticks
    c.cfg.chunksPerShard = 1 + rng.below(5000);
    c.cfg.linkTicksPerChunk = 1 + rng.below(100000);
    c.cfg.dramTicksPerChunk = 1 + rng.below(300000);
    c.cfg.computeTicksPerTokenChunk = rng.below(100000);
    break;
  default: // DRAM faster than links, compute-heavy
    c.cfg.chunksPerShard = 1 + rng.below(8);
    c.cfg.linkTicksPerChunk = 16 + rng.below(64);
    c.cfg.dramTicksPerChunk = 1 + rng.below(16);
    c.cfg.computeTicksPerTokenChunk = 100 + rng.below(1000);
    break;
  }
  bool skewed = rng.below(2);
  for (unsigned t = 0; t < tokens; ++t) {
    c.pos.push_back(rng.below(n));
    for (unsigned j = 0; j < topK; ++j) {
      int32_t e;
      unsigned u = rng.below(100);
      if (u < 3)
        e = -1 - (int32_t)rng.below(5); // ignored slot
      else if (skewed && u < 60)
        e = rng.below(std::min(numExperts, 4u));
      else
        e = rng.below(numExperts);
      c.experts.push_back(e); // repeats allowed
    }
  }
  return c;
}

void expectSame(const Case &c, const RefDecision &want,
                const TrajectoryScheduler &s, const Decision &got,
                bool recorded, const char *what) {
  SCOPED_TRACE(::testing::Message()
               << what << ": n=" << c.cfg.numChiplets
               << " experts=" << c.cfg.numExperts << " tokens=" << c.tokens
               << " topK=" << c.topK << " replicated=" << c.replicated
               << " S=" << c.cfg.chunksPerShard
               << " link=" << c.cfg.linkTicksPerChunk
               << " dram=" << c.cfg.dramTicksPerChunk
               << " compute=" << c.cfg.computeTicksPerTokenChunk);
  ASSERT_EQ(got.experts.size(), want.experts.size());
  EXPECT_EQ(got.makespanTicks, want.makespanTicks);
  for (size_t i = 0; i < want.experts.size(); ++i) {
    const ExpertDecision &a = got.experts[i], &b = want.experts[i].d;
    ASSERT_EQ(a.expert, b.expert) << "order differs at " << i;
    EXPECT_EQ(a.holders, b.holders) << i;
    EXPECT_EQ(a.tokens, b.tokens) << i;
    EXPECT_EQ(a.arcStart, b.arcStart) << i;
    EXPECT_EQ(a.arcLen, b.arcLen) << i;
    EXPECT_EQ(a.cwGap, b.cwGap) << i;
    EXPECT_EQ(a.ccwGap, b.ccwGap) << i;
    EXPECT_EQ(a.startTick, b.startTick) << i;
    ASSERT_EQ(a.endTick, b.endTick) << i;
    for (unsigned p = 0; p < c.cfg.numChiplets; ++p)
      ASSERT_EQ(s.tokensAt(a, p), want.experts[i].tokensAt[p])
          << i << " at " << p;
  }
  if (!recorded)
    return;
  ASSERT_EQ(s.bookings().size(), want.bookings.size());
  for (size_t i = 0; i < want.bookings.size(); ++i) {
    const LinkBooking &a = s.bookings()[i], &b = want.bookings[i];
    ASSERT_EQ(a.expert, b.expert) << "booking " << i;
    ASSERT_EQ(a.link, b.link) << "booking " << i;
    ASSERT_EQ(a.startTick, b.startTick) << "booking " << i;
    ASSERT_EQ(a.endTick, b.endTick) << "booking " << i;
    ASSERT_EQ(a.chunks, b.chunks) << "booking " << i;
  }
}

const unsigned kRings[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  12, 15, 16,
                           17, 20, 24, 31, 32, 33, 40, 48, 63, 64};

TEST(FseDpSchedulerEquivalence, MatchesReferenceOnGeneratedGatings) {
  Rng rng{20261123};
  for (unsigned n : kRings)
    for (int iter = 0; iter < 60; ++iter) {
      unsigned numExperts = 1 + rng.below(iter % 3 == 0 ? 8 : 300);
      unsigned topK = 1 + rng.below(8);
      unsigned tokens = rng.below(iter % 5 == 0 ? 400 : 40);
      Case c = makeCase(rng, n, numExperts, tokens, topK, iter % 2, iter);
      TrajectoryScheduler s(c.cfg);
      bool recorded = iter % 3 == 1;
      s.setRecord(recorded);
      RefDecision want =
          referenceDecide(c.cfg, c.tokens, c.replicated ? nullptr : c.pos.data(),
                          c.experts.data(), c.topK);
      const Decision &got = s.decide(
          c.tokens, c.replicated ? nullptr : c.pos.data(), c.experts.data(),
          c.topK);
      expectSame(c, want, s, got, recorded, "fresh scheduler");
      if (HasFatalFailure())
        return;
    }
}

TEST(FseDpSchedulerEquivalence, MatchesReferenceWhenReused) {
  // One scheduler per configuration deciding many batches in a row, as the
  // runtime does: nothing of one decision may leak into the next.
  Rng rng{77};
  for (unsigned n : {4u, 8u, 16u, 32u, 40u}) {
    for (unsigned flavour = 0; flavour < 4; ++flavour) {
      Case proto = makeCase(rng, n, 256, 0, 8, false, flavour);
      TrajectoryScheduler s(proto.cfg);
      for (int iter = 0; iter < 40; ++iter) {
        unsigned tokens = 1 + rng.below(iter % 4 == 0 ? 64 : 16);
        Case c = makeCase(rng, n, 256, tokens, 8, iter % 3 == 2, flavour);
        c.cfg = proto.cfg;
        bool recorded = iter % 5 == 0;
        s.setRecord(recorded);
        RefDecision want = referenceDecide(
            c.cfg, c.tokens, c.replicated ? nullptr : c.pos.data(),
            c.experts.data(), c.topK);
        const Decision &got = s.decide(
            c.tokens, c.replicated ? nullptr : c.pos.data(), c.experts.data(),
            c.topK);
        expectSame(c, want, s, got, recorded, "reused scheduler");
        if (HasFatalFailure())
          return;
      }
    }
  }
}

// FNV-1a over every field of a decision.
struct Fnv {
  uint64_t h = 0xcbf29ce484222325ull;
  void add(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 0x100000001b3ull;
    }
  }
  /// Every field of a decision and its recorded bookings; `withSplit`
  /// adds rule V6's split factor (the hash taken before V6 lacks it).
  void addDecision(const TrajectoryScheduler &s, const Decision &d,
                   unsigned n, bool withSplit) {
    add(d.makespanTicks);
    for (const ExpertDecision &e : d.experts) {
      add(e.expert);
      add(e.holders);
      add(e.tokens);
      add(e.arcStart | e.arcLen << 8 | e.cwGap << 16 |
          (uint64_t)e.ccwGap << 24 |
          (withSplit ? (uint64_t)e.split << 32 : 0));
      add(e.startTick);
      add(e.endTick);
      for (unsigned p = 0; p < n; ++p)
        add(s.tokensAt(e, p));
    }
    for (const LinkBooking &b : s.bookings()) {
      add(b.expert);
      add(b.link);
      add(b.startTick);
      add(b.endTick);
      add(b.chunks);
    }
  }
};

TEST(FseDpSchedulerEquivalence, GoldenHashOfFixedDecisions) {
  // The benchmark's shapes (16 chiplets, 256 experts, top-8, batches 1..64)
  // and smaller rings, data-parallel and replicated, recorded. The hash was
  // taken from the scheduler at commit 0cfefd3 (before tuning) and retaken
  // when rule V4 began ordering the replicated holders farthest-first (the
  // reference above changed with it; the data-parallel decisions did not).
  Rng rng{5};
  Fnv hash;
  for (unsigned n : {4u, 8u, 16u, 32u, 48u})
    for (unsigned tokens : {1u, 2u, 4u, 8u, 16u, 64u})
      for (unsigned flavour = 0; flavour < 4; ++flavour)
        for (bool replicated : {false, true}) {
          Case c = makeCase(rng, n, 256, tokens, 8, replicated, flavour);
          TrajectoryScheduler s(c.cfg);
          s.setRecord(true);
          const Decision &d = s.decide(
              c.tokens, replicated ? nullptr : c.pos.data(), c.experts.data(),
              c.topK);
          hash.addDecision(s, d, n, /*withSplit=*/false);
        }
  EXPECT_EQ(hash.h, 0x94e1ab05b646e648ull) << std::hex << "hash 0x" << hash.h;
}

TEST(FseDpSchedulerEquivalence, GoldenHashOfSplitDecisions) {
  // Rule V6 (split holders, replicated tokens) on the same shapes: taken
  // when V6 landed, so a later change of its decisions or bookings shows
  // here. Rings of 48 never split (beyond the 32 tabulated).
  Rng rng{6};
  Fnv hash;
  unsigned split = 0;
  for (unsigned n : {4u, 8u, 12u, 16u, 32u, 48u})
    for (unsigned tokens : {1u, 2u, 4u, 8u, 16u, 64u})
      for (unsigned flavour = 0; flavour < 4; ++flavour) {
        Case c = makeCase(rng, n, 256, tokens, 8, /*replicated=*/true,
                          flavour);
        c.cfg.splitHolders = true;
        TrajectoryScheduler s(c.cfg);
        s.setRecord(true);
        const Decision &d =
            s.decide(c.tokens, nullptr, c.experts.data(), c.topK);
        for (const ExpertDecision &e : d.experts)
          split += e.split > 1;
        hash.addDecision(s, d, n, /*withSplit=*/true);
      }
  EXPECT_GT(split, 1000u);
  EXPECT_EQ(hash.h, 0x4eda69a6076f8332ull) << std::hex << "hash 0x" << hash.h;
}

} // namespace
