//===- FseDpSchedulerTest.cpp - FSE-DP runtime scheduler properties -------===//
//
// Unit and property tests of the FSE-DP runtime library: ring embeddings
// (rule V1), shard sizing, and the trajectory scheduler over random gatings:
// every chiplet holding tokens of an expert receives each of its shards
// exactly once, no link is booked beyond one chunk per chunk-time, decisions
// are deterministic for a seed.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Runtime/FseDp/FseDpPlan.h"
#include "moesaic/Runtime/FseDp/RingEmbedding.h"
#include "moesaic/Runtime/FseDp/TrajectoryScheduler.h"
#include "moesaic/Target/HardwareFile.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

using namespace moesaic;
using namespace moesaic::fsedp;

namespace {

SystemModel preset(const char *name) {
  llvm::Expected<SystemModel> m = loadHardware(name);
  EXPECT_TRUE((bool)m) << (m ? "" : llvm::toString(m.takeError()));
  return std::move(*m);
}

TEST(FseDpRing, PresetsEmbedAsVerifiedRings) {
  for (const char *name :
       {"edge-chiplet-4", "edge-chiplet-8-mesh", "edge-chiplet-16-mesh"}) {
    SystemModel sys = preset(name);
    llvm::Expected<RingEmbedding> ring = embedRing(sys);
    ASSERT_TRUE((bool)ring) << llvm::toString(ring.takeError());
    EXPECT_EQ(ring->size(), sys.acceleratorDevices().size());
    EXPECT_EQ(verifyRing(sys, ring->logicalToPhysical), "") << name;
    for (unsigned p = 0; p < ring->size(); ++p)
      EXPECT_EQ(ring->physicalToLogical[ring->logicalToPhysical[p]], (int)p);
  }
  EXPECT_EQ(embedRing(preset("edge-chiplet-4"))->rule, "ring");
  EXPECT_EQ(embedRing(preset("edge-chiplet-16-mesh"))->rule, "snake");
}

TEST(FseDpRing, VerifierRejectsNonNeighbours) {
  SystemModel sys = preset("edge-chiplet-16-mesh");
  std::vector<unsigned> order = sys.acceleratorDevices(); // row-major
  std::string problem = verifyRing(sys, order);
  EXPECT_NE(problem.find("not joined by a link"), std::string::npos)
      << problem;
  order.pop_back();
  EXPECT_NE(verifyRing(sys, order).find("positions"), std::string::npos);
}

TEST(FseDpRing, OddByOddMeshHasNoRing) {
  SystemModel sys;
  sys.name = "mesh3";
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      Device d;
      d.name = "c" + std::to_string(r * 3 + c);
      d.coord = {r, c};
      d.peakTflops["bf16"] = 1;
      d.onchipBytes = 1 << 20;
      d.offchipBytes = 1ll << 30;
      d.offchipGBps = 10;
      sys.addDevice(d);
    }
  SystemModel::TopologyDecl t;
  t.kind = TopologyKind::Mesh;
  t.rows = t.cols = 3;
  t.gbps = 100;
  t.latencyNs = 10;
  for (unsigned i = 0; i < 9; ++i)
    t.members.push_back(i);
  sys.topologyDecls.push_back(t);
  ASSERT_EQ(sys.finalize(), "");
  llvm::Expected<RingEmbedding> ring = embedRing(sys);
  ASSERT_FALSE((bool)ring);
  EXPECT_NE(llvm::toString(ring.takeError()).find("no Hamiltonian cycle"),
            std::string::npos);
}

MoeLayerDesc layer(int64_t experts, int64_t topk, int64_t hidden,
                   int64_t ffn) {
  MoeLayerDesc l;
  l.index = 3;
  l.numExperts = experts;
  l.topK = topk;
  l.hiddenSize = hidden;
  l.expertFfnSize = ffn;
  return l;
}

TEST(FseDpPlan, ChunkRuleAndBuffers) {
  SystemModel sys = preset("edge-chiplet-4");
  RingEmbedding ring = *embedRing(sys);
  llvm::Expected<LayerPlan> lp =
      planLayer(layer(8, 2, 4096, 14336), sys, ring);
  ASSERT_TRUE((bool)lp) << llvm::toString(lp.takeError());
  EXPECT_EQ(lp->shardBytes, (lp->expertBytes + 3) / 4);
  EXPECT_LE(lp->bufferBytes, sys.devices[0].onchipBytes / 2);
  EXPECT_EQ(lp->bufferBytes, kStreamBuffers * lp->chunkBytes);
  EXPECT_GE(lp->chunkBytes * lp->chunksPerShard, lp->shardBytes);
  EXPECT_LT((lp->chunksPerShard - 1) * lp->chunkBytes, lp->shardBytes);
  // 128 GB/s over 20 ns x 16 hops: chunks of at least 40960 bytes.
  EXPECT_GE(lp->chunkBytes, 40960);
  // DRAM (68.3 GB/s) is slower than a link (128 GB/s).
  EXPECT_GT(lp->dramTicksPerChunk, lp->linkTicksPerChunk);
}

TEST(FseDpPlan, SramTooSmallNamesLayerAndShortfall) {
  SystemModel sys = preset("edge-chiplet-4");
  RingEmbedding ring = *embedRing(sys);
  ShardRule rule;
  rule.bufferFraction = 0.01; // 83886 bytes for 6 x 40960
  llvm::Expected<LayerPlan> lp =
      planLayer(layer(8, 2, 4096, 14336), sys, ring, rule);
  ASSERT_FALSE((bool)lp);
  std::string msg = llvm::toString(lp.takeError());
  EXPECT_NE(msg.find("MoE layer 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("shortfall 161874 bytes"), std::string::npos) << msg;
}

TEST(FseDpPlan, ScheduleJsonRoundTrip) {
  SystemModel sys = preset("edge-chiplet-16-mesh");
  ModelDesc model;
  model.moeLayers = {layer(64, 6, 2048, 1408), layer(128, 8, 2048, 768)};
  model.moeLayers[1].index = 4;
  llvm::Expected<Plan> plan = planModel(model, sys);
  ASSERT_TRUE((bool)plan) << llvm::toString(plan.takeError());
  llvm::json::Object o{{"layers", scheduleLayers(*plan)}};
  llvm::Expected<Plan> back = planFromSchedule(o, sys, model);
  ASSERT_TRUE((bool)back) << llvm::toString(back.takeError());
  EXPECT_EQ(back->ring.logicalToPhysical, plan->ring.logicalToPhysical);
  EXPECT_EQ(back->ring.rule, "snake");
  ASSERT_EQ(back->layers.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back->layers[i].layer, plan->layers[i].layer);
    EXPECT_EQ(back->layers[i].chunkBytes, plan->layers[i].chunkBytes);
    EXPECT_EQ(back->layers[i].chunksPerShard, plan->layers[i].chunksPerShard);
    EXPECT_EQ(back->layers[i].bufferBytes, plan->layers[i].bufferBytes);
    EXPECT_EQ(back->layers[i].dramTicksPerChunk,
              plan->layers[i].dramTicksPerChunk);
    EXPECT_DOUBLE_EQ(back->layers[i].usPerTick, plan->layers[i].usPerTick);
  }
  // A ring that is not one is refused.
  llvm::json::Array bad = scheduleLayers(*plan);
  llvm::json::Array *order =
      bad[0].getAsObject()->getObject("stream_ring")->getArray("order");
  std::swap((*order)[0], (*order)[5]);
  llvm::json::Object badSchedule{{"layers", std::move(bad)}};
  llvm::Expected<Plan> refused = planFromSchedule(badSchedule, sys, model);
  ASSERT_FALSE((bool)refused);
  EXPECT_NE(llvm::toString(refused.takeError()).find("not joined"),
            std::string::npos);
  // A missing layer is named.
  llvm::json::Array all = scheduleLayers(*plan), partial;
  for (size_t i = 0; i < all.size(); ++i)
    if (i != 2)
      partial.push_back(std::move(all[i]));
  llvm::json::Object partialSchedule{{"layers", std::move(partial)}};
  llvm::Expected<Plan> missing = planFromSchedule(partialSchedule, sys, model);
  ASSERT_FALSE((bool)missing);
  EXPECT_NE(llvm::toString(missing.takeError()).find("layer 4 lacks"),
            std::string::npos);
}

TEST(FseDpPlan, LoadOrderRoundTripsAndDefaultsForOldSchedules) {
  SystemModel sys = preset("edge-chiplet-8-mesh");
  ModelDesc model;
  model.moeLayers = {layer(64, 6, 2048, 1408)};
  llvm::Expected<Plan> plan = planModel(model, sys);
  ASSERT_TRUE((bool)plan) << llvm::toString(plan.takeError());
  EXPECT_TRUE(plan->layers[0].interleavedLoads); // rule V5's default
  auto withLoads = [&](std::optional<llvm::StringRef> loads) {
    llvm::json::Array layers = scheduleLayers(*plan);
    llvm::json::Object *sc =
        layers[1].getAsObject()->getObject("stream_schedule");
    if (loads)
      (*sc)["loads"] = *loads;
    else
      sc->erase("loads");
    llvm::json::Object o{{"layers", std::move(layers)}};
    return planFromSchedule(o, sys, model);
  };
  for (llvm::StringRef loads : {"interleaved", "sequential"}) {
    llvm::Expected<Plan> back = withLoads(loads);
    ASSERT_TRUE((bool)back) << llvm::toString(back.takeError());
    EXPECT_EQ(back->layers[0].interleavedLoads, loads == "interleaved");
  }
  // Written before rule V5: those schedules were simulated expert by
  // expert, and before rule V6 with one holder per expert.
  llvm::Expected<Plan> old = withLoads(std::nullopt);
  ASSERT_TRUE((bool)old) << llvm::toString(old.takeError());
  EXPECT_FALSE(old->layers[0].interleavedLoads);
  EXPECT_TRUE(plan->layers[0].splitHolders); // rule V6's default
  {
    llvm::json::Array layers = scheduleLayers(*plan);
    llvm::json::Object *sc =
        layers[1].getAsObject()->getObject("stream_schedule");
    EXPECT_EQ(sc->getString("holders"), llvm::StringRef("split"));
    sc->erase("holders");
    llvm::json::Object o{{"layers", std::move(layers)}};
    llvm::Expected<Plan> v5 = planFromSchedule(o, sys, model);
    ASSERT_TRUE((bool)v5) << llvm::toString(v5.takeError());
    EXPECT_FALSE(v5->layers[0].splitHolders);
    EXPECT_FALSE(v5->layers[0].schedulerConfig(8).splitHolders);
    layers = scheduleLayers(*plan);
    (*layers[1].getAsObject()->getObject("stream_schedule"))["holders"] =
        "many";
    llvm::json::Object b{{"layers", std::move(layers)}};
    llvm::Expected<Plan> badHolders = planFromSchedule(b, sys, model);
    ASSERT_FALSE((bool)badHolders);
    EXPECT_NE(llvm::toString(badHolders.takeError())
                  .find("'holders' must be \"split\" or \"single\""),
              std::string::npos);
  }
  llvm::Expected<Plan> bad = withLoads(llvm::StringRef("random"));
  ASSERT_FALSE((bool)bad);
  EXPECT_NE(llvm::toString(bad.takeError())
                .find("'loads' must be \"interleaved\" or \"sequential\""),
            std::string::npos);
  // Not a string at all: refused too, not read as the default.
  llvm::json::Array layers = scheduleLayers(*plan);
  (*layers[1].getAsObject()->getObject("stream_schedule"))["loads"] = 1;
  llvm::json::Object numeric{{"layers", std::move(layers)}};
  llvm::Expected<Plan> notString = planFromSchedule(numeric, sys, model);
  ASSERT_FALSE((bool)notString);
  EXPECT_NE(llvm::toString(notString.takeError()).find("'loads' must be"),
            std::string::npos);
}

TEST(FseDpScheduler, OccupancyMatchesShardPaths) {
  for (unsigned n : {1u, 2u, 4u, 5u, 8u, 16u}) {
    for (unsigned start = 0; start < n; ++start)
      for (unsigned len = 0; len < n; ++len) {
        unsigned gap = n - 1 - len;
        for (unsigned cw = gap / 2; cw <= (gap + 1) / 2; ++cw) {
          std::vector<uint8_t> occ(2 * n);
          TrajectoryScheduler::occupancy(n, start, len, cw, occ.data());
          std::vector<unsigned> count(2 * n, 0), cwLeg, ccwLeg;
          for (unsigned home = 0; home < n; ++home) {
            TrajectoryScheduler::shardPath(n, start, len, cw, home, cwLeg,
                                           ccwLeg);
            unsigned at = home;
            for (unsigned p : cwLeg) {
              ASSERT_EQ(p, (at + 1) % n); // one clockwise hop at a time
              ++count[at];
              at = p;
            }
            at = home;
            for (unsigned p : ccwLeg) {
              ASSERT_EQ(p, (at + n - 1) % n);
              ++count[n + at];
              at = p;
            }
          }
          for (unsigned l = 0; l < 2 * n; ++l)
            ASSERT_EQ(occ[l], count[l])
                << "n=" << n << " start=" << start << " len=" << len
                << " link=" << l;
        }
      }
  }
}

struct Gating {
  std::vector<uint16_t> pos;
  std::vector<int32_t> experts;
};

Gating randomGating(std::mt19937 &rng, unsigned n, unsigned numExperts,
                    unsigned tokens, unsigned topK, bool skewed) {
  Gating g;
  std::uniform_int_distribution<unsigned> chip(0, n - 1);
  for (unsigned t = 0; t < tokens; ++t) {
    g.pos.push_back(chip(rng));
    std::set<int32_t> picked;
    while (picked.size() < topK) {
      unsigned e;
      if (skewed) {
        std::geometric_distribution<unsigned> geo(0.3);
        e = std::min<unsigned>(geo(rng), numExperts - 1);
        if (picked.count(e))
          e = std::uniform_int_distribution<unsigned>(0, numExperts - 1)(rng);
      } else {
        e = std::uniform_int_distribution<unsigned>(0, numExperts - 1)(rng);
      }
      picked.insert(e);
    }
    for (int32_t e : picked)
      g.experts.push_back(e);
  }
  return g;
}

TEST(FseDpScheduler, RandomGatingsCoverHoldersOnceWithinLinkCapacity) {
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 300; ++iter) {
    unsigned n = std::vector<unsigned>{1, 2, 4, 8, 16, 32, 40}[iter % 7];
    unsigned numExperts = 1 + rng() % 64, topK = 1 + rng() % std::min(8u, numExperts);
    unsigned tokens = 1 + rng() % 24;
    SchedulerConfig cfg;
    cfg.numChiplets = n;
    cfg.numExperts = numExperts;
    cfg.chunksPerShard = 1 + rng() % 5;
    cfg.linkTicksPerChunk = 16;
    cfg.dramTicksPerChunk = 8 + rng() % 40;
    cfg.computeTicksPerTokenChunk = rng() % 3;
    TrajectoryScheduler sched(cfg);
    sched.setRecord(true);
    Gating g = randomGating(rng, n, numExperts, tokens, topK, iter % 2);
    const Decision &d = sched.decide(tokens, g.pos.data(), g.experts.data(),
                                     topK);

    // Every active expert decided exactly once, with its true holders.
    std::map<uint32_t, uint64_t> want;
    for (unsigned t = 0; t < tokens; ++t)
      for (unsigned j = 0; j < topK; ++j)
        want[g.experts[t * topK + j]] |= uint64_t(1) << g.pos[t];
    ASSERT_EQ(d.experts.size(), want.size());
    std::set<uint32_t> seen;
    std::vector<unsigned> cwLeg, ccwLeg;
    for (const ExpertDecision &e : d.experts) {
      ASSERT_TRUE(seen.insert(e.expert).second);
      ASSERT_EQ(e.holders, want[e.expert]);
      ASSERT_EQ(e.cwGap + e.ccwGap + e.arcLen, n - 1);
      // Each shard reaches every holder exactly once.
      for (unsigned home = 0; home < n; ++home) {
        TrajectoryScheduler::shardPath(n, e.arcStart, e.arcLen, e.cwGap,
                                       home, cwLeg, ccwLeg);
        std::vector<unsigned> visits(n, 0);
        visits[home] = 1;
        for (unsigned p : cwLeg)
          ++visits[p];
        for (unsigned p : ccwLeg)
          ++visits[p];
        for (unsigned p = 0; p < n; ++p) {
          ASSERT_LE(visits[p], 1u) << "shard visits a chiplet twice";
          if (e.holders >> p & 1) {
            ASSERT_EQ(visits[p], 1u) << "holder misses shard " << home;
          }
        }
      }
      // The arc leaves a largest gap: no shorter covering arc exists.
      unsigned maxGap = 0;
      for (unsigned s = 0; s < n; ++s) {
        if (!(e.holders >> s & 1))
          continue;
        unsigned gap = 0;
        for (unsigned k = 1; k < n && !(e.holders >> ((s + k) % n) & 1); ++k)
          ++gap;
        if (gap < n)
          maxGap = std::max(maxGap, gap);
      }
      if (__builtin_popcountll(e.holders) > 1) {
        ASSERT_EQ(e.arcLen, n - 1 - maxGap);
      }
      ASSERT_LE(e.startTick, e.endTick);
      ASSERT_LE(e.endTick, d.makespanTicks);
    }
    // No directed link carries more than one chunk per chunk-time: the
    // booked intervals of a link are disjoint and long enough.
    std::map<uint32_t, std::vector<LinkBooking>> perLink;
    for (const LinkBooking &b : sched.bookings())
      perLink[b.link].push_back(b);
    for (auto &[link, list] : perLink) {
      ASSERT_LT(link, 2 * n);
      std::sort(list.begin(), list.end(),
                [](auto &a, auto &b) { return a.startTick < b.startTick; });
      for (size_t i = 0; i < list.size(); ++i) {
        ASSERT_GE(list[i].endTick - list[i].startTick,
                  list[i].chunks * cfg.linkTicksPerChunk);
        if (i) {
          ASSERT_LE(list[i - 1].endTick, list[i].startTick)
              << "link " << link << " overbooked";
        }
      }
    }
  }
}

TEST(FseDpScheduler, DeterministicForASeed) {
  SchedulerConfig cfg;
  cfg.numChiplets = 16;
  cfg.numExperts = 256;
  cfg.chunksPerShard = 3;
  cfg.dramTicksPerChunk = 30;
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::mt19937 a(seed), b(seed);
    Gating ga = randomGating(a, 16, 256, 16, 8, seed & 1);
    Gating gb = randomGating(b, 16, 256, 16, 8, seed & 1);
    TrajectoryScheduler s1(cfg), s2(cfg);
    // s2 decides something else first: no state may leak between calls.
    std::mt19937 other(99);
    Gating go = randomGating(other, 16, 256, 16, 8, false);
    s2.decide(16, go.pos.data(), go.experts.data(), 8);
    Decision d1 = s1.decide(16, ga.pos.data(), ga.experts.data(), 8);
    const Decision &d2 = s2.decide(16, gb.pos.data(), gb.experts.data(), 8);
    ASSERT_EQ(d1.experts.size(), d2.experts.size());
    EXPECT_EQ(d1.makespanTicks, d2.makespanTicks);
    for (size_t i = 0; i < d1.experts.size(); ++i) {
      EXPECT_EQ(d1.experts[i].expert, d2.experts[i].expert);
      EXPECT_EQ(d1.experts[i].arcStart, d2.experts[i].arcStart);
      EXPECT_EQ(d1.experts[i].cwGap, d2.experts[i].cwGap);
      EXPECT_EQ(d1.experts[i].endTick, d2.experts[i].endTick);
    }
  }
}

TEST(FseDpScheduler, ReplicatedTokensGetOneSpreadHolderPerExpert) {
  SchedulerConfig cfg;
  cfg.numChiplets = 16;
  cfg.numExperts = 128;
  cfg.chunksPerShard = 2;
  cfg.dramTicksPerChunk = 30;
  TrajectoryScheduler s(cfg);
  s.setRecord(true);
  std::mt19937 rng(7);
  for (unsigned tokens : {1u, 4u, 16u}) {
    Gating g = randomGating(rng, 16, 128, tokens, 8, false);
    const Decision &d = s.decide(tokens, nullptr, g.experts.data(), 8);
    std::map<uint32_t, unsigned> want;
    for (int32_t e : g.experts)
      ++want[e];
    ASSERT_EQ(d.experts.size(), want.size());
    std::vector<unsigned> perHolder(16, 0);
    std::vector<unsigned> cwLeg, ccwLeg;
    for (const ExpertDecision &e : d.experts) {
      ASSERT_EQ(__builtin_popcountll(e.holders), 1);
      unsigned h = __builtin_ctzll(e.holders);
      ++perHolder[h];
      EXPECT_EQ(s.tokensAt(e, h), want[e.expert]);
      EXPECT_EQ(e.arcLen, 0);
      // Every shard reaches the holder exactly once.
      for (unsigned home = 0; home < 16; ++home) {
        TrajectoryScheduler::shardPath(16, e.arcStart, 0, e.cwGap, home,
                                       cwLeg, ccwLeg);
        unsigned hits = (home == h) + std::count(cwLeg.begin(), cwLeg.end(), h) +
                        std::count(ccwLeg.begin(), ccwLeg.end(), h);
        ASSERT_EQ(hits, 1u);
      }
    }
    // Holders are spread: no chiplet holds more than its share (+1).
    unsigned share = (d.experts.size() + 15) / 16;
    for (unsigned c : perHolder)
      EXPECT_LE(c, share);
  }
}

TEST(FseDpScheduler, ReplicatedHoldersOfConsecutiveExpertsAreFarApart) {
  // Rule V4's order: the holders of m active experts are the m evenly
  // spaced slots (each chiplet once per round of n), and consecutive
  // experts, whose loads and streams overlap in time, sit at least a
  // quarter of the ring apart. The earlier rule (slot i, adjacent holders)
  // fails the second check.
  for (unsigned n : {4u, 8u, 12u, 16u, 32u}) {
    SchedulerConfig cfg;
    cfg.numChiplets = n;
    cfg.numExperts = 3 * n;
    TrajectoryScheduler s(cfg);
    for (unsigned m = 1; m <= 3 * n; ++m) {
      std::vector<int32_t> experts(m);
      for (unsigned e = 0; e < m; ++e)
        experts[e] = (int32_t)e; // token e picks expert e: m active
      const Decision &d = s.decide(m, nullptr, experts.data(), 1);
      ASSERT_EQ(d.experts.size(), m);
      std::vector<unsigned> holder;
      for (const ExpertDecision &e : d.experts) {
        ASSERT_EQ(__builtin_popcountll(e.holders), 1);
        holder.push_back(__builtin_ctzll(e.holders));
      }
      unsigned slots = std::min(m, n);
      for (unsigned round = 0; round * n < m; ++round) {
        unsigned begin = round * n, end = std::min(m, begin + n);
        std::set<unsigned> seen(holder.begin() + begin, holder.begin() + end);
        EXPECT_EQ(seen.size(), end - begin) << "n=" << n << " m=" << m;
        for (unsigned i = begin; i < end; ++i) {
          unsigned slot = 0;
          while (slot < slots && slot * n / slots != holder[i])
            ++slot;
          EXPECT_LT(slot, slots) << "holder " << holder[i] << " is not an "
                                 << "evenly spaced slot, n=" << n
                                 << " m=" << m;
          if (i > begin) {
            unsigned a = holder[i - 1], b = holder[i];
            unsigned dist = std::min((a + n - b) % n, (b + n - a) % n);
            EXPECT_GE(dist, n / 4) << "experts " << i - 1 << " and " << i
                                   << ", n=" << n << " m=" << m;
          }
        }
      }
    }
  }
}

TEST(FseDpScheduler, SplitHoldersShareEachExpertsShards) {
  // Rule V6 with replicated tokens: every shard reaches exactly one of its
  // expert's holders (the one of its segment), the holders are evenly
  // spaced, each holds all the expert's tokens, and no directed link is
  // booked beyond one chunk per chunk time, on every booking path.
  std::mt19937 rng(606);
  unsigned splitSeen = 0;
  for (int iter = 0; iter < 240; ++iter) {
    unsigned n = std::vector<unsigned>{4, 6, 8, 12, 16, 32}[iter % 6];
    SchedulerConfig cfg;
    cfg.numChiplets = n;
    cfg.numExperts = 8 + rng() % 120;
    cfg.chunksPerShard = 1 + rng() % 16;
    cfg.linkTicksPerChunk = 16;
    cfg.dramTicksPerChunk = 8 + rng() % 40;
    cfg.computeTicksPerTokenChunk = rng() % 3;
    cfg.splitHolders = true;
    TrajectoryScheduler sched(cfg);
    sched.setPortable(iter % 2);
    sched.setRecord(iter % 3 == 0);
    unsigned topK = 1 + rng() % std::min(8u, cfg.numExperts);
    unsigned tokens = 1 + rng() % 16;
    Gating g = randomGating(rng, n, cfg.numExperts, tokens, topK, iter % 2);
    const Decision &d = sched.decide(tokens, nullptr, g.experts.data(), topK);
    std::vector<uint8_t> factors = TrajectoryScheduler::splitFactors(cfg);
    ASSERT_FALSE(d.experts.empty());
    unsigned h = factors[std::min(d.experts.size(), factors.size()) - 1];
    std::map<uint32_t, unsigned> want;
    for (int32_t e : g.experts)
      if (e >= 0)
        ++want[e];
    std::vector<unsigned> cwLeg, ccwLeg;
    for (const ExpertDecision &e : d.experts) {
      ASSERT_EQ(e.split, h) << "n=" << n;
      ASSERT_EQ(e.arcLen, 0);
      ASSERT_EQ((unsigned)__builtin_popcountll(e.holders), h);
      ASSERT_EQ(e.cwGap + e.ccwGap + 1u, n / h);
      for (unsigned j = 0; j < h; ++j) {
        unsigned p = (e.arcStart + j * (n / h)) % n;
        ASSERT_TRUE(e.holders >> p & 1) << "holders not evenly spaced";
        ASSERT_EQ(sched.tokensAt(e, p), std::min(want[e.expert], 255u));
      }
      for (unsigned home = 0; home < n; ++home) {
        TrajectoryScheduler::shardPath(n, e.arcStart, e.arcLen, e.cwGap,
                                       home, cwLeg, ccwLeg, e.split);
        unsigned holders = (e.holders >> home) & 1;
        for (const std::vector<unsigned> *leg : {&cwLeg, &ccwLeg})
          for (size_t i = 0; i < leg->size(); ++i) {
            unsigned p = (*leg)[i];
            holders += (e.holders >> p) & 1;
            if (e.holders >> p & 1) {
              ASSERT_EQ(i + 1, leg->size()) << "a leg ends at its holder";
            }
          }
        ASSERT_EQ(holders, 1u) << "shard " << home << " of expert "
                               << e.expert << " must reach one holder";
        ASSERT_LE(cwLeg.size() + ccwLeg.size(), n / h / 2);
      }
      ASSERT_LE(e.startTick, e.endTick);
    }
    splitSeen += h > 1;
    std::map<uint32_t, std::vector<LinkBooking>> perLink;
    for (const LinkBooking &b : sched.bookings())
      perLink[b.link].push_back(b);
    for (auto &[link, list] : perLink) {
      std::sort(list.begin(), list.end(),
                [](auto &a, auto &b) { return a.startTick < b.startTick; });
      for (size_t i = 1; i < list.size(); ++i)
        ASSERT_LE(list[i - 1].endTick, list[i].startTick)
            << "link " << link << " overbooked";
    }
  }
  EXPECT_GT(splitSeen, 40u);
}

TEST(FseDpScheduler, SplitFactorKeepsLinksUnderDram) {
  // Rule V6's factor on edge-chiplet-16-mesh's ticks (Qwen3-30B-A3B: 15
  // chunks per shard, 28 DRAM ticks per chunk): a single holder's two
  // in-links carry 15 shards, so two active experts need 4 holders each;
  // with many experts halving the ring suffices (each link then carries
  // about one shard per expert, 16 ticks against 28). A 4-ring's single
  // holders keep up once a few experts spread over it. Off (or on data-
  // parallel tokens) it is always 1.
  SchedulerConfig cfg;
  cfg.numChiplets = 16;
  cfg.numExperts = 128;
  cfg.chunksPerShard = 15;
  cfg.dramTicksPerChunk = 28;
  EXPECT_EQ(TrajectoryScheduler::splitFactors(cfg),
            std::vector<uint8_t>(32, 1));
  cfg.splitHolders = true;
  std::vector<uint8_t> f = TrajectoryScheduler::splitFactors(cfg);
  ASSERT_EQ(f.size(), 32u);
  EXPECT_EQ(f[1], 4);  // 2 active experts
  EXPECT_EQ(f[31], 2); // 32 and more
  for (uint8_t h : f)
    EXPECT_TRUE(h == 1 || h == 2 || h == 4 || h == 8) << (int)h;
  cfg.numChiplets = 4;
  f = TrajectoryScheduler::splitFactors(cfg);
  EXPECT_EQ(f[7], 1);
  // A large dram tick (slow DRAM) never needs a split.
  cfg.numChiplets = 16;
  cfg.dramTicksPerChunk = 1000;
  EXPECT_EQ(TrajectoryScheduler::splitFactors(cfg),
            std::vector<uint8_t>(32, 1));
  // Data-parallel tokens are never split.
  cfg.dramTicksPerChunk = 28;
  TrajectoryScheduler s(cfg);
  std::vector<uint16_t> pos = {0, 5};
  std::vector<int32_t> experts = {3, 9};
  for (const ExpertDecision &e : s.decide(2, pos.data(), experts.data(), 1).experts)
    EXPECT_EQ(e.split, 1);
}

TEST(FseDpScheduler, LongestStreamsGoFirst) {
  SchedulerConfig cfg;
  cfg.numChiplets = 8;
  cfg.numExperts = 4;
  TrajectoryScheduler s(cfg);
  // Expert 0 on one chiplet, expert 1 on chiplets 0 and 4 (arc length 4).
  std::vector<uint16_t> pos = {2, 0, 4};
  std::vector<int32_t> ex = {0, 1, 1};
  const Decision &d = s.decide(3, pos.data(), ex.data(), 1);
  ASSERT_EQ(d.experts.size(), 2u);
  EXPECT_EQ(d.experts[0].expert, 1u);
  EXPECT_EQ(d.experts[0].arcLen, 4);
  EXPECT_EQ(d.experts[1].arcLen, 0);
  EXPECT_EQ(d.experts[1].arcStart, 2);
}

} // namespace
