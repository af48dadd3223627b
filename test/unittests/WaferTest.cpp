//===- WaferTest.cpp - ER-Mapping, per-link traffic and NI-Balancer -------===//

#include "moesaic/Runtime/Wafer/ERMapping.h"
#include "moesaic/Runtime/Wafer/NIBalancer.h"
#include "moesaic/Runtime/Wafer/WaferRuntime.h"
#include "moesaic/Target/HardwareFile.h"

#include "WaferTestUtil.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

using namespace moesaic;
using namespace moesaic::wafer;
using moesaic::testutil::moeModel;
using moesaic::testutil::wafer8x8;

namespace {

std::vector<int32_t> randomRouting(int64_t tokens, int64_t topK,
                                   int64_t experts, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> out;
  for (int64_t t = 0; t < tokens; ++t) {
    std::set<int32_t> picked;
    while ((int64_t)picked.size() < topK)
      picked.insert((int32_t)(rng() % experts));
    out.insert(out.end(), picked.begin(), picked.end());
  }
  return out;
}

/// Every die holds exactly `perDie` units and the rings partition the dies.
void expectBijection(const WaferLayout &layout, const SystemModel &sys,
                     int64_t perDie) {
  EXPECT_EQ(validate(layout, sys), "");
  std::map<unsigned, int64_t> count;
  for (unsigned d : layout.unitDie)
    ++count[d];
  EXPECT_EQ(count.size(), sys.acceleratorDevices().size());
  for (auto [d, n] : count)
    EXPECT_EQ(n, perDie) << "die " << d;
  std::set<unsigned> ringDies;
  for (const auto &r : layout.rings)
    for (unsigned d : r)
      EXPECT_TRUE(ringDies.insert(d).second);
  EXPECT_EQ(ringDies.size(), sys.acceleratorDevices().size());
}

} // namespace

TEST(WaferLayout, ErMappingIsABijectionOntoDies) {
  SystemModel sys = wafer8x8();
  for (int64_t experts : {64, 128, 16}) {
    ModelDesc model = moeModel(experts, 4);
    llvm::Expected<WaferShape> shape = chooseShape(model, sys);
    ASSERT_TRUE((bool)shape) << llvm::toString(shape.takeError());
    MappingProblem p{&sys, &model.moeLayers[0], *shape, 256, {}};
    MappingReport rep;
    WaferLayout er = erMapping(p, 40, 1, &rep);
    int64_t perDie = experts >= 64 ? experts / 64 : 1;
    expectBijection(er, sys, perDie);
    EXPECT_EQ(er.shards, experts >= 64 ? 1 : 64 / experts);
    expectBijection(rowMajorLayout(sys, *shape, experts), sys, perDie);
    // Every candidate was considered and the pick is among them.
    EXPECT_GE(rep.candidates.size(), 2u);
    EXPECT_FALSE(rep.chosen.empty());
  }
}

// The local search stops at its flow budget (a 32 x 32 wafer took 378 s
// for 1000 swaps per candidate), deterministically, with a valid layout.
TEST(WaferLayout, ErMappingSearchStopsAtItsFlowBudget) {
  SystemModel sys = wafer8x8();
  ModelDesc model = moeModel(64, 4);
  llvm::Expected<WaferShape> shape = chooseShape(model, sys);
  ASSERT_TRUE((bool)shape);
  MappingProblem p{&sys, &model.moeLayers[0], *shape, 256, {}};
  MappingReport full, cut, again;
  erMapping(p, 200, 3, &full);
  EXPECT_FALSE(full.budgetReached);
  LayoutCost one = evaluate(p, rowMajorLayout(sys, *shape, 64),
                            rowMajorLayout(sys, *shape, 64).unitDie);
  ASSERT_GT(one.flows, 0u);
  // Room for about ten evaluations per candidate.
  uint64_t budget = 10 * one.flows * full.candidates.size();
  WaferLayout a = erMapping(p, 200, 3, &cut, budget);
  WaferLayout b = erMapping(p, 200, 3, &again, budget);
  EXPECT_TRUE(cut.budgetReached);
  EXPECT_LT(cut.swapsTried, 40);
  EXPECT_LT(cut.swapsTried, full.swapsTried);
  EXPECT_EQ(a.unitDie, b.unitDie);
  EXPECT_EQ(validate(a, sys), "");
  expectBijection(a, sys, 1);
}

TEST(WaferLayout, EntwinedDomainsHoldOneMemberOfEveryRing) {
  SystemModel sys = wafer8x8();
  ModelDesc model = moeModel(64, 8);
  llvm::Expected<WaferShape> shape = chooseShape(model, sys, 8);
  ASSERT_TRUE((bool)shape);
  // Share skewed to experts 0..7 so the MoE phase dominates.
  MappingProblem p{&sys, &model.moeLayers[0], *shape, 1 << 14, {}};
  WaferLayout er = erMapping(p, 0, 0);
  if (er.dispatch == Dispatch::Domain) {
    EXPECT_EQ(er.domains.size(), 8u);
    EXPECT_EQ(validate(er, sys), "");
  }
  // The validator rejects a domain with two members of one ring.
  WaferLayout bad = er;
  bad.dispatch = Dispatch::Domain;
  bad.domains = {diesRowMajor(sys)};
  EXPECT_NE(validate(bad, sys), "");
}

TEST(WaferTraffic, LinkSumsEqualBytesTimesHops) {
  SystemModel sys = wafer8x8();
  ModelDesc model = moeModel(64, 8);
  llvm::Expected<WaferShape> shape = chooseShape(model, sys, 8);
  ASSERT_TRUE((bool)shape);
  MappingProblem p{&sys, &model.moeLayers[0], *shape, 256, {}};
  for (const WaferLayout &layout :
       {erMapping(p, 50, 0), rowMajorLayout(sys, *shape, 64)}) {
    std::vector<int32_t> routing = randomRouting(256, 8, 64, 7);
    std::vector<Flow> flows;
    ringFlows(layout, 256, 4096, allReducesPerLayer(layout), flows);
    DispatchTables tables(layout, sys);
    moeFlows(layout, layout.unitDie, tables, sys, {256, 8, routing.data()},
             4096, false, flows);
    LinkLoad load;
    accumulate(flows, sys, load);
    double sent = 0, byteHops = 0;
    for (const Flow &f : flows) {
      sent += f.bytes;
      byteHops += f.bytes * sys.hops(f.src, f.dst);
    }
    double linkSum = 0;
    for (double b : load.bytes)
      linkSum += b;
    EXPECT_NEAR(linkSum, byteHops, 1e-6 * byteHops);
    EXPECT_NEAR(load.byteHops, byteHops, 1e-6 * byteHops);
    EXPECT_NEAR(load.totalBytes, sent, 1e-6 * sent);
    EXPECT_GT(byteHops, 0);
  }
}

TEST(WaferTraffic, OwnerDispatchSendsEveryRemotePairTwice) {
  SystemModel sys = wafer8x8();
  ModelDesc model = moeModel(64, 2);
  llvm::Expected<WaferShape> shape = chooseShape(model, sys, 8);
  ASSERT_TRUE((bool)shape);
  WaferLayout base = rowMajorLayout(sys, *shape, 64);
  std::vector<int32_t> routing = randomRouting(64, 2, 64, 3);
  std::vector<Flow> flows;
  DispatchTables tables(base, sys);
  moeFlows(base, base.unitDie, tables, sys, {64, 2, routing.data()}, 100,
           false, flows);
  size_t remote = 0;
  for (int64_t t = 0; t < 64; ++t) {
    unsigned owner = base.rings[t % base.rings.size()]
                               [(t / base.rings.size()) % 8];
    for (int k = 0; k < 2; ++k)
      remote += base.unitDie[routing[t * 2 + k]] != owner;
  }
  EXPECT_EQ(flows.size(), 2 * remote);
}

namespace {
/// Drives a balancer through skewed steps with made-up phase loads.
struct BalancerRig {
  SystemModel sys = wafer8x8();
  WaferLayout layout;
  std::unique_ptr<NIBalancer> bal;
  explicit BalancerRig(Staging staging, double fillFraction = 0.75,
                       int64_t horizon = 50) {
    // Two experts per die: a die's hot pair can be split by a swap.
    ModelDesc model = moeModel(128, 4, 1);
    WaferShape shape = *chooseShape(model, sys, 8);
    layout = rowMajorLayout(sys, shape, 128);
    BalancerConfig c;
    c.staging = staging;
    c.window = 2;
    c.cooldown = 2;
    c.chunks = 6;
    c.horizon = horizon;
    c.fillFraction = fillFraction;
    bal = std::make_unique<NIBalancer>(c, sys, layout, 1,
                                       std::vector<double>{12.0e6});
  }
  /// Experts 0..3 (dies 0 and 1 in row-major) take most tokens.
  std::vector<std::vector<int32_t>> skewed() const {
    std::vector<int32_t> load(128, 2);
    for (int e = 0; e < 4; ++e)
      load[e] = 100;
    load[0] = 400;
    return {load};
  }
};
} // namespace

/// Per-phase link loads: 5 MB on the links whose (from, to) coordinates
/// `hotInRing` / `hotInMoe` pick, 1 kB on the others.
template <class Ring, class Moe>
static std::pair<std::vector<double>, std::vector<double>>
phaseLoads(const SystemModel &sys, Ring hotInRing, Moe hotInMoe) {
  std::vector<double> ring(sys.links.size(), 1e3), moe(sys.links.size(), 1e3);
  for (size_t l = 0; l < sys.links.size(); ++l) {
    const auto &a = sys.devices[sys.links[l].src].coord;
    const auto &b = sys.devices[sys.links[l].dst].coord;
    if (hotInRing(a, b))
      ring[l] = 5e6;
    if (hotInMoe(a, b))
      moe[l] = 5e6;
  }
  return {ring, moe};
}

/// A slot with this link load whose memories are idle throughout (the
/// link rules alone decide).
static SlotWindow openSlot(const SystemModel &sys,
                           const std::vector<double> &load, double us) {
  return {load, us, std::vector<MemoryWindow>(sys.numDevices(), {0.0, 1e12})};
}

TEST(NIBalancer, ChunksNeverUseAPhaseHotLinkAndPlacementLands) {
  BalancerRig rig(Staging::NonInvasive);
  const SystemModel &sys = rig.sys;
  // Phase loads: ring phase hot on row 0's links, MoE phase hot on
  // column 0's links; everything else lightly loaded.
  auto [ringLoad, moeLoad] = phaseLoads(
      sys, [](auto a, auto b) { return a[0] == 0 && b[0] == 0; },
      [](auto a, auto b) { return a[1] == 0 && b[1] == 0; });
  int64_t decided = 0;
  for (int64_t step = 0; step < 40; ++step) {
    for (SlotPhase ph : {SlotPhase::Ring, SlotPhase::Moe}) {
      const std::vector<double> &load =
          ph == SlotPhase::Ring ? ringLoad : moeLoad;
      std::vector<bool> hot = rig.bal->hotLinks(load);
      for (int64_t c : rig.bal->fillSlot(step, 0, ph, openSlot(sys, load, 30.0))) {
        const Chunk &ch = rig.bal->chunks()[c];
        const Move &mv = rig.bal->moves()[ch.move];
        EXPECT_EQ(ch.phase, ph);
        for (unsigned l : sys.route(mv.from, mv.to))
          EXPECT_FALSE(hot[l]) << "chunk of move " << ch.move
                               << " on a hot link in its slot";
      }
    }
    decided += (int64_t)rig.bal->observe(step, rig.skewed()).size();
  }
  ASSERT_GT(decided, 0);
  // Every chunk of every move was placed: the served placement is the
  // decided one.
  EXPECT_TRUE(rig.bal->idle());
  EXPECT_EQ(rig.bal->placement(0), rig.bal->decided(0));
  EXPECT_NE(rig.bal->placement(0), rig.layout.unitDie);
  EXPECT_EQ(rig.bal->exposedUs(), 0.0);
  // Chunks sum to the moved bytes.
  double chunkBytes = 0, moveBytes = 0;
  for (const Chunk &c : rig.bal->chunks())
    chunkBytes += c.bytes;
  for (const Move &m : rig.bal->moves())
    moveBytes += m.bytes;
  EXPECT_NEAR(chunkBytes, moveBytes, 1e-6 * moveBytes);
}

// Moves past the horizon are forced into the next step's slots whether or
// not their memories are idle, but, like every chunk, never onto a link
// hot in the slot's phase; a move whose route stays hot through a whole
// step goes stop-the-world at the next step's start, between the phases.
// Every move lands.
TEST(NIBalancer, ForcedChunksNeverUseAPhaseHotLinkEither) {
  BalancerRig rig(Staging::NonInvasive, 0.75, /*horizon=*/2);
  const SystemModel &sys = rig.sys;
  // Ring phase hot on row 0's links both ways, MoE phase on its eastward
  // links: the swap the skewed load triggers (dies 0 and 2, on row 0)
  // sends one half east, hot in both phases, and one half west, cold in
  // the MoE phase.
  auto [ringLoad, moeLoad] = phaseLoads(
      sys, [](auto a, auto b) { return a[0] == 0 && b[0] == 0; },
      [](auto a, auto b) { return a[0] == 0 && b[0] == 0 && b[1] > a[1]; });
  // Memories busy throughout: only forcing places chunks.
  auto busySlot = [&](const std::vector<double> &load) {
    return SlotWindow{load, 30.0,
                      std::vector<MemoryWindow>(sys.numDevices(), {0.0, 0.0})};
  };
  int64_t decided = 0, forcedChunks = 0, sentBetweenSteps = 0;
  for (int64_t step = 0; step < 40; ++step) {
    size_t before = rig.bal->chunks().size();
    rig.bal->forceExpired(step);
    sentBetweenSteps += (int64_t)(rig.bal->chunks().size() - before);
    for (SlotPhase ph : {SlotPhase::Ring, SlotPhase::Moe}) {
      const std::vector<double> &load =
          ph == SlotPhase::Ring ? ringLoad : moeLoad;
      std::vector<bool> hot = rig.bal->hotLinks(load);
      SlotWindow window = busySlot(load);
      for (int64_t c : rig.bal->fillForced(step, 0, ph, window)) {
        const Chunk &ch = rig.bal->chunks()[c];
        const Move &mv = rig.bal->moves()[ch.move];
        EXPECT_TRUE(ch.flushed);
        EXPECT_EQ(ch.phase, ph);
        for (unsigned l : sys.route(mv.from, mv.to))
          EXPECT_FALSE(hot[l]) << "forced chunk of move " << ch.move
                               << " on a hot link in its slot";
        ++forcedChunks;
      }
      EXPECT_TRUE(rig.bal->fillSlot(step, 0, ph, window).empty());
    }
    if (step < 30) // then no new decisions: every move lands
      decided += (int64_t)rig.bal->observe(step, rig.skewed()).size();
  }
  ASSERT_GT(decided, 0);
  EXPECT_GT(forcedChunks, 0);
  EXPECT_TRUE(rig.bal->idle());
  EXPECT_EQ(rig.bal->placement(0), rig.bal->decided(0));
  // The eastward halves went between the steps.
  EXPECT_GT(sentBetweenSteps, 0);
}

// The chunks one slot takes fill at most `fillFraction` of each link's
// capacity over the phase, the phase's own bytes included (chunks hold
// whole routes and are not preempted: the rest is slack); allowed the whole
// capacity, the same pending moves put more chunks into the same slot.
TEST(NIBalancer, ChunksFillAtMostTheirShareOfALinksCapacity) {
  auto fill = [](double fraction) {
    BalancerRig rig(Staging::NonInvasive, fraction);
    const SystemModel &sys = rig.sys;
    int64_t step = 0;
    for (; step < 40 && rig.bal->pendingMoves().empty(); ++step)
      rig.bal->observe(step, rig.skewed());
    EXPECT_FALSE(rig.bal->pendingMoves().empty());
    // A light phase (one busy link makes every other one cold) lasting
    // 4.5 chunks of the slowest link's time.
    double chunk = rig.bal->pendingMoves().front().chunkBytes, slowest = 1e30;
    for (const auto &l : sys.links)
      slowest = std::min(slowest, l.bandwidthGBps);
    const double durationUs = 4.5 * chunk / (slowest * 1e3);
    std::vector<double> load(sys.links.size(), 0.1 * chunk);
    load.back() = 4 * chunk;
    std::vector<double> bytes(sys.links.size(), 0.0);
    std::vector<int64_t> placed =
        rig.bal->fillSlot(step, 0, SlotPhase::Moe,
                          openSlot(sys, load, durationUs));
    for (int64_t c : placed) {
      const Chunk &ch = rig.bal->chunks()[c];
      const Move &mv = rig.bal->moves()[ch.move];
      for (unsigned l : sys.route(mv.from, mv.to))
        bytes[l] += ch.bytes;
    }
    for (size_t l = 0; l < bytes.size(); ++l)
      if (bytes[l] > 0) { // the links the slot's chunks use
        EXPECT_LE(bytes[l] + load[l],
                  fraction * durationUs * sys.links[l].bandwidthGBps * 1e3 +
                      1e-6 * chunk)
            << "link " << l << " over its share";
      }
    return placed.size();
  };
  size_t threeQuarters = fill(0.75), whole = fill(1.0);
  EXPECT_GT(threeQuarters, 0u);
  EXPECT_GT(whole, threeQuarters);
}

// A swap's two moves take effect together: after one half has landed the
// dies still serve the old placement (one of them would otherwise hold a
// unit more than it has room for).
TEST(NIBalancer, SwapHalvesLandTogether) {
  BalancerRig rig(Staging::NonInvasive);
  rig.bal->observe(0, rig.skewed());
  rig.bal->observe(1, rig.skewed());
  const auto &pending = rig.bal->pendingMoves();
  ASSERT_GE(pending.size(), 2u);
  const Move &first = rig.bal->moves()[pending[0].move];
  ASSERT_GE(first.partner, 0) << "the rig's dies are full: moves are swaps";
  const Move &second = rig.bal->moves()[first.partner];
  EXPECT_EQ(second.partner, pending[0].move);
  std::vector<unsigned> before = rig.bal->placement(0);
  // All chunks of the first half only.
  std::vector<int64_t> counts(pending.size(), 0);
  counts[0] = pending[0].chunksLeft;
  rig.bal->placeChunks(2, 0, SlotPhase::Moe, counts);
  EXPECT_EQ(rig.bal->placement(0), before);
  // Then the other half: both units move.
  counts.assign(pending.size(), 0);
  for (size_t i = 0; i < pending.size(); ++i)
    if (pending[i].move == first.partner)
      counts[i] = pending[i].chunksLeft;
  rig.bal->placeChunks(2, 0, SlotPhase::Moe, counts);
  EXPECT_EQ(rig.bal->placement(0)[first.unit], first.to);
  EXPECT_EQ(rig.bal->placement(0)[second.unit], second.to);
}

TEST(NIBalancer, StopTheWorldSameDecisionsAllExposed) {
  BalancerRig ni(Staging::NonInvasive), stw(Staging::StopTheWorld);
  // Same observed loads, decisions at the same step: the same moves.
  auto a = ni.bal->observe(0, ni.skewed());
  a = ni.bal->observe(1, ni.skewed());
  auto b = stw.bal->observe(0, stw.skewed());
  b = stw.bal->observe(1, stw.skewed());
  ASSERT_FALSE(a.empty());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const Move &x = ni.bal->moves()[a[i]], &y = stw.bal->moves()[b[i]];
    EXPECT_EQ(x.unit, y.unit);
    EXPECT_EQ(x.from, y.from);
    EXPECT_EQ(x.to, y.to);
  }
  // The decided placement lowers the busiest die's load.
  double us = stw.bal->flushAll(2);
  EXPECT_GT(us, 0.0);
  EXPECT_DOUBLE_EQ(stw.bal->exposedUs(), us);
  EXPECT_EQ(stw.bal->placement(0), stw.bal->decided(0));
}

TEST(WaferShape, TooSmallMeshIsAClearError) {
  SystemModel sys = wafer8x8();
  ModelDesc model = moeModel(64, 4);
  model.moeLayers[0].expertFfnSize = 1 << 22; // 50 GB experts
  llvm::Expected<WaferShape> shape = chooseShape(model, sys);
  ASSERT_FALSE((bool)shape);
  std::string msg = llvm::toString(shape.takeError());
  EXPECT_NE(msg.find("too small for the model's experts"), std::string::npos)
      << msg;
}

TEST(WaferRuntime, LoadsTheExportedScheduleForm) {
  SystemModel sys = wafer8x8();
  ModelDesc model = moeModel(64, 4);
  WaferShape shape = *chooseShape(model, sys);
  WaferLayout base = rowMajorLayout(sys, shape, 64);
  // The layer -1 entry the hw.wafer_* ops export (device names).
  llvm::json::Array rings, domains, units;
  auto names = [&](const std::vector<unsigned> &v) {
    llvm::json::Array a;
    for (unsigned d : v)
      a.push_back(sys.devices[d].name);
    return a;
  };
  for (const auto &r : base.rings)
    rings.push_back(names(r));
  for (const auto &d : base.domains)
    domains.push_back(names(d));
  llvm::json::Object entry{
      {"index", -1},
      {"wafer_rings", llvm::json::Object{{"dispatch", "owner"},
                                         {"rings", std::move(rings)},
                                         {"domains", std::move(domains)}}},
      {"wafer_experts", llvm::json::Object{{"experts", 64},
                                           {"shards", 1},
                                           {"per_die", 1},
                                           {"units", names(base.unitDie)}}}};
  llvm::json::Object schedule{{"strategy", "wafer-baseline"},
                              {"layers", llvm::json::Array{std::move(entry)}}};
  WaferRuntime rt("wafer-baseline", Staging::StopTheWorld);
  llvm::Error e = rt.load(schedule, sys, model);
  ASSERT_FALSE((bool)e) << llvm::toString(std::move(e));
  EXPECT_EQ(rt.layout().unitDie, base.unitDie);
  EXPECT_EQ(rt.layout().rings, base.rings);
  // An unknown device is refused by name.
  llvm::json::Object broken = schedule;
  (*(*broken.getArray("layers"))[0].getAsObject()->getObject("wafer_experts")
        ->getArray("units"))[0] = "nowhere";
  llvm::Error e2 = rt.load(broken, sys, model);
  ASSERT_TRUE((bool)e2);
  EXPECT_NE(llvm::toString(std::move(e2)).find("'nowhere'"), std::string::npos);
}

TEST(WaferLayout, UnevenCountsOn12x12) {
  llvm::Expected<SystemModel> sys = loadHardware("wafer-12x12");
  ASSERT_TRUE((bool)sys);
  // 256 experts on 144 dies: one or two per die, every die used.
  ModelDesc model = moeModel(256, 8);
  WaferShape shape = *chooseShape(model, *sys);
  EXPECT_EQ(shape.unitsPerDie, 2);
  WaferLayout base = rowMajorLayout(*sys, shape, 256);
  EXPECT_EQ(validate(base, *sys), "");
  std::map<unsigned, int> count;
  for (unsigned d : base.unitDie)
    ++count[d];
  EXPECT_EQ(count.size(), 144u);
  // 128 experts on 144 dies: one die each, 16 dies without experts.
  ModelDesc small = moeModel(128, 8);
  WaferShape s2 = *chooseShape(small, *sys);
  EXPECT_EQ(s2.shards, 1);
  WaferLayout b2 = rowMajorLayout(*sys, s2, 128);
  EXPECT_EQ(validate(b2, *sys), "");
  std::set<unsigned> used(b2.unitDie.begin(), b2.unitDie.end());
  EXPECT_EQ(used.size(), 128u);
}
