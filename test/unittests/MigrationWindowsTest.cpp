//===- MigrationWindowsTest.cpp - NI-Balancer stages chunks in idle memory ===//
//
// The memory side of NI-Balancer's staging: a copy holds the source's and
// the destination's HBM, so chunks go only where both are idle
// (SlotTimeline, fillSlot) and migrationSlots says when that is in a layer.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Runtime/Wafer/ERMapping.h"
#include "moesaic/Runtime/Wafer/MigrationWindows.h"
#include "moesaic/Runtime/Wafer/WaferRuntime.h"
#include "moesaic/Target/HardwareFile.h"
#include "moesaic/Workload/Workload.h"

#include "WaferTestUtil.h"

#include <gtest/gtest.h>

using namespace moesaic;
using namespace moesaic::wafer;
using moesaic::testutil::moeModel;
using moesaic::testutil::wafer8x8;

namespace {

/// Microseconds a copy of `bytes` takes from `from` to `to` (the slowest of
/// the two HBMs and the route's links).
double copyUs(const SystemModel &sys, unsigned from, unsigned to,
              double bytes) {
  double gbps = std::min(sys.devices[from].offchipGBps,
                         sys.devices[to].offchipGBps);
  for (unsigned l : sys.route(from, to))
    gbps = std::min(gbps, sys.links[l].bandwidthGBps);
  return bytesToUs(bytes, gbps);
}

/// 128 experts placed row-major on `sys` (two per die).
WaferLayout smallLayout(const SystemModel &sys) {
  ModelDesc model = moeModel(128, 4, 1, 2048, 1024, /*attention=*/false);
  return rowMajorLayout(sys, *chooseShape(model, sys, 8), 128);
}

/// A balancer that decides after two steps, 6 chunks per move.
BalancerConfig quickConfig(int64_t horizon) {
  BalancerConfig c;
  c.window = 2;
  c.cooldown = 2;
  c.chunks = 6;
  c.horizon = horizon;
  return c;
}

/// Four hot experts on the first die, one of them very hot: swaps follow.
std::vector<int32_t> skewedLoad() {
  std::vector<int32_t> load(128, 2);
  for (int e = 0; e < 4; ++e)
    load[e] = 100;
  load[0] = 400;
  return load;
}

} // namespace

TEST(SlotTimeline, ChunksSharingAMemoryRunOneAfterTheOther) {
  SystemModel sys = wafer8x8();
  const double chunk = 1 << 20;
  double us = copyUs(sys, 0, 1, chunk);
  // Die 0 idle for 10 chunk times, dies 1 and 2 for 3 (fill 1: no margin).
  std::vector<MemoryWindow> mem(sys.numDevices(), {0.0, 0.0});
  mem[0] = {0.0, 10 * us};
  mem[1] = {0.0, 3 * us};
  mem[2] = {0.0, 3 * us};
  SlotTimeline t(sys, 1.0, std::vector<double>(sys.links.size(), 0.0), mem);
  std::vector<unsigned> r01 = sys.route(0, 1), r02 = sys.route(0, 2);
  // Three chunks 0 -> 1 fill die 1's window; a fourth would end too late.
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(t.place(0, 1, r01, chunk)) << i;
  EXPECT_FALSE(t.place(0, 1, r01, chunk));
  // Die 2 is idle from 0 too, but die 0 is busy until 3 chunk times: a
  // chunk 0 -> 2 would end at 4 > 3.
  EXPECT_FALSE(t.place(0, 2, r02, chunk));
  // A die with no idle time takes nothing.
  EXPECT_FALSE(t.place(5, 6, sys.route(5, 6), chunk));
}

TEST(SlotTimeline, FillFractionLeavesTheEndOfEachWindow) {
  SystemModel sys = wafer8x8();
  const double chunk = 1 << 20;
  double us = copyUs(sys, 0, 1, chunk);
  std::vector<MemoryWindow> mem(sys.numDevices(), {2 * us, 10 * us});
  auto count = [&](double fill) {
    SlotTimeline t(sys, fill, std::vector<double>(sys.links.size(), 0.0),
                   mem);
    int n = 0;
    while (t.place(0, 1, sys.route(0, 1), chunk))
      ++n;
    return n;
  };
  // Idle from 2 to 10 chunk times: 8 fit whole, 6 in three quarters.
  EXPECT_EQ(count(1.0), 8);
  EXPECT_EQ(count(0.75), 6);
}

TEST(SlotTimeline, ALinkCarriesTheSlotsOwnTrafficFirst) {
  SystemModel sys = wafer8x8();
  const double chunk = 1 << 20;
  double us = copyUs(sys, 0, 1, chunk);
  std::vector<unsigned> r01 = sys.route(0, 1);
  ASSERT_EQ(r01.size(), 1u);
  double linkGBps = sys.links[r01[0]].bandwidthGBps;
  std::vector<double> load(sys.links.size(), 0.0);
  // The link is busy for 2.5 chunk times with the slot's own bytes.
  load[r01[0]] = 2.5 * us * linkGBps * 1e3;
  std::vector<MemoryWindow> mem(sys.numDevices(), {0.0, 4 * us});
  SlotTimeline t(sys, 1.0, load, mem);
  EXPECT_TRUE(t.place(0, 1, r01, chunk));  // 2.5 .. 3.5
  EXPECT_FALSE(t.place(0, 1, r01, chunk)); // would end at 4.5
}

TEST(NIBalancerMemory, ChunksOnlyWhereBothMemoriesAreIdle) {
  SystemModel sys = wafer8x8();
  WaferLayout layout = smallLayout(sys);
  NIBalancer bal(quickConfig(50), sys, layout, 1,
                 std::vector<double>{12.0e6});
  std::vector<int32_t> load = skewedLoad();
  for (int64_t s = 0; s < 2; ++s)
    bal.observe(s, {load});
  ASSERT_FALSE(bal.pendingMoves().empty());
  std::vector<double> links(sys.links.size(), 0.0);
  // Memories busy the whole slot: nothing is placed.
  SlotWindow busy{links, 100.0,
                  std::vector<MemoryWindow>(sys.numDevices(), {0.0, 0.0})};
  EXPECT_TRUE(bal.fillSlot(2, 0, SlotPhase::Moe, busy).empty());
  // Idle for 4 chunk times: each die's chunks fit in three quarters of it
  // (fill 0.75).
  double chunk = bal.pendingMoves().front().chunkBytes;
  double us = copyUs(sys, 0, 1, chunk);
  SlotWindow idle{links, 100.0,
                  std::vector<MemoryWindow>(sys.numDevices(), {0.0, 4 * us})};
  std::vector<int64_t> placed = bal.fillSlot(3, 0, SlotPhase::Moe, idle);
  ASSERT_FALSE(placed.empty());
  std::vector<double> busyUs(sys.numDevices(), 0.0);
  for (int64_t i : placed) {
    const Move &mv = bal.moves()[bal.chunks()[i].move];
    double t = copyUs(sys, mv.from, mv.to, bal.chunks()[i].bytes);
    busyUs[mv.from] += t;
    busyUs[mv.to] += t;
  }
  for (unsigned dev = 0; dev < sys.numDevices(); ++dev)
    EXPECT_LE(busyUs[dev], 0.75 * 4 * us + 1e-9) << "die " << dev;
}

// A move still pending `horizon` steps after its decision is forced: its
// chunks left all go in the next step's slots (2 per MoE layer), those
// that fit first and at least an even share of the slots left whether or
// not they fit, so it has landed when the step ends; what they overflow
// of the memories' idle windows is exposed, and the regular chunks of
// that slot start after them.
TEST(NIBalancerMemory, MovesPastTheHorizonAreSpreadOverTheNextStep) {
  SystemModel sys = wafer8x8();
  WaferLayout layout = smallLayout(sys);
  const BalancerConfig c = quickConfig(3);
  const size_t layers = 2;
  NIBalancer bal(c, sys, layout, layers, std::vector<double>(layers, 12.0e6));
  std::vector<int32_t> load = skewedLoad();
  for (int64_t s = 0; s < 2; ++s)
    bal.observe(s, {load, std::vector<int32_t>(128, 2)});
  ASSERT_FALSE(bal.pendingMoves().empty());
  const size_t decided = bal.pendingMoves().size();
  const int64_t decidedAt = bal.moves().front().decidedStep;
  std::vector<double> links(sys.links.size(), 0.0);
  SlotWindow busy{links, 100.0,
                  std::vector<MemoryWindow>(sys.numDevices(), {0.0, 0.0})};
  // Before the horizon nothing is forced (and busy memories take nothing).
  EXPECT_EQ(bal.forceExpired(decidedAt + c.horizon - 1), 0.0);
  EXPECT_TRUE(bal.forcedMoves().empty());
  SlotWindow w = busy;
  EXPECT_TRUE(bal.fillForced(decidedAt + 2, 0, SlotPhase::Ring, w).empty());
  // At the horizon every pending move is forced, with all its chunks.
  const int64_t step = decidedAt + c.horizon;
  EXPECT_EQ(bal.forceExpired(step), 0.0);
  EXPECT_EQ(bal.forcedMoves().size(), decided);
  EXPECT_TRUE(bal.pendingMoves().empty());
  std::vector<int64_t> chunksLeft;
  for (const NIBalancer::PendingMove &p : bal.forcedMoves())
    chunksLeft.push_back(p.chunksLeft);
  ASSERT_EQ(chunksLeft.front(), c.chunks);
  // Four slots: 6 chunks go 2, 2, 1, 1 (ceil of what is left over the
  // slots left), even into busy memories.
  std::vector<size_t> perSlot;
  double exposedBefore = bal.exposedUs();
  for (int64_t l = 0; l < (int64_t)layers; ++l)
    for (SlotPhase ph : {SlotPhase::Ring, SlotPhase::Moe}) {
      SlotWindow slot = busy;
      std::vector<int64_t> ids = bal.fillForced(step, l, ph, slot);
      perSlot.push_back(ids.size() / decided);
      for (int64_t i : ids) {
        EXPECT_TRUE(bal.chunks()[i].flushed);
        EXPECT_EQ(bal.chunks()[i].moeLayer, l);
        // The regular fill sees the forced bytes as the slot's own.
        const Move &mv = bal.moves()[bal.chunks()[i].move];
        for (unsigned link : sys.route(mv.from, mv.to))
          EXPECT_GT(slot.linkLoad[link], 0.0);
      }
    }
  EXPECT_EQ(perSlot, (std::vector<size_t>{2, 2, 1, 1}));
  EXPECT_TRUE(bal.forcedMoves().empty());
  EXPECT_TRUE(bal.idle());
  // Busy memories: every forced chunk overflows, and that is exposed.
  EXPECT_GT(bal.exposedUs(), exposedBefore);
  // Every move landed: the placement is the decided one.
  EXPECT_EQ(bal.placement(0), bal.decided(0));

  // In an idle window, every forced chunk that fits goes at once (more
  // than the even share of 3), exposing nothing, and the window left for
  // the regular fill starts after them.
  NIBalancer idle(c, sys, layout, 1, std::vector<double>{12.0e6});
  for (int64_t s = 0; s < 2; ++s)
    idle.observe(s, {load});
  idle.forceExpired(decidedAt + c.horizon);
  ASSERT_EQ(idle.forcedMoves().size(), decided);
  double chunk = idle.forcedMoves().front().chunkBytes;
  const Move &mv = idle.moves()[idle.forcedMoves().front().move];
  double us = copyUs(sys, mv.from, mv.to, chunk);
  SlotWindow roomy{links, 1000.0, std::vector<MemoryWindow>(
                                      sys.numDevices(), {0.0, 500 * us})};
  std::vector<int64_t> ids =
      idle.fillForced(decidedAt + c.horizon, 0, SlotPhase::Ring, roomy);
  EXPECT_EQ(ids.size(), 6 * decided);
  EXPECT_TRUE(idle.idle());
  EXPECT_EQ(idle.exposedUs(), 0.0);
  EXPECT_GE(roomy.memory[mv.from].fromUs, 6 * us - 1e-9);
  EXPECT_GE(roomy.memory[mv.to].fromUs, 6 * us - 1e-9);
}

TEST(MigrationSlots, MemoriesIdleAroundEachDiesOwnWork) {
  SystemModel sys = wafer8x8();
  unsigned n = sys.numDevices();
  LinkLoad ring;
  ring.bytes.assign(sys.links.size(), 0.0);
  const double ringUs = 2.0;
  // Die 0 dispatches 1 MB to die 2 (two hops east) and gets 1 MB back;
  // die 2 computes 50 us of experts, die 1 only its shared share (5 us),
  // die 3 80 us of experts on local tokens (no dispatch in).
  std::vector<Flow> flows{{0, 2, 1e6}, {2, 0, 1e6}};
  std::vector<double> shared(n, 0.0), routed(n, 0.0);
  shared[1] = 5.0;
  routed[2] = 50.0;
  routed[3] = 80.0;
  LayerSlots s = migrationSlots(sys, ring, ringUs, flows, shared, routed);
  std::vector<unsigned> there = sys.route(0, 2), back = sys.route(2, 0);
  ASSERT_EQ(there.size(), 2u);
  double hop = sys.links[there[0]].latencyNs * 1e-3;
  double arrive = bytesToUs(1e6, sys.links[there[0]].bandwidthGBps) + 2 * hop;
  // Before the experts: die 2 is idle until its dispatch is in, die 1
  // until its shared share starts, die 3 until its experts start right
  // after the all-reduces.
  EXPECT_DOUBLE_EQ(s.before.memory[2].untilUs, ringUs + arrive);
  EXPECT_DOUBLE_EQ(s.before.memory[1].untilUs, ringUs);
  EXPECT_DOUBLE_EQ(s.before.memory[3].untilUs, ringUs);
  // After: each from its own end to the busiest die's end plus the
  // combine.
  double layerEnd = ringUs + 80.0;
  double combine = bytesToUs(1e6, sys.links[back[0]].bandwidthGBps);
  EXPECT_DOUBLE_EQ(s.after.memory[2].fromUs, ringUs + arrive + 50.0);
  EXPECT_DOUBLE_EQ(s.after.memory[1].fromUs, ringUs + 5.0);
  EXPECT_DOUBLE_EQ(s.after.memory[3].fromUs, layerEnd);
  EXPECT_DOUBLE_EQ(s.after.memory[5].fromUs, ringUs);
  for (unsigned d = 0; d < n; ++d)
    EXPECT_DOUBLE_EQ(s.after.memory[d].untilUs, layerEnd + combine) << d;
  // The slots' link loads: the dispatch before (with the all-reduces), the
  // combine alone after (the dispatch is over by then).
  EXPECT_DOUBLE_EQ(s.before.linkLoad[there[0]], 1e6);
  EXPECT_DOUBLE_EQ(s.before.linkLoad[back[0]], 0.0);
  EXPECT_DOUBLE_EQ(s.after.linkLoad[there[0]], 0.0);
  EXPECT_DOUBLE_EQ(s.after.linkLoad[back[0]], 1e6);
}

// End to end through the runtime: on a drifting trace NI-Balancer's
// staged copies carry its placed chunks' bytes exactly, none larger than
// maxCopyBytes, and a move's chunks placed together in a slot go as one
// copy.
TEST(NIBalancerMemory, RuntimeIssuesCopiesOfUpToMaxCopyBytes) {
  SystemModel sys = wafer8x8();
  ModelDesc model = moeModel(128, 8, 4, 4096, 1536, /*attention=*/false);
  WaferShape shape = *chooseShape(model, sys, 8);
  WaferLayout layout = rowMajorLayout(sys, shape, 128);
  BalancerConfig cfg = defaultBalancerConfig(model, layout);
  ASSERT_GT(cfg.maxCopyBytes, 1 << 20);
  WaferRuntime rt("er-mapping", Staging::NonInvasive);
  llvm::json::Object sched{{"wafer", scheduleObject(layout, cfg)}};
  ASSERT_FALSE((bool)rt.load(sched, sys, model));
  llvm::Expected<WorkloadSpec> spec =
      parseWorkloadSpec("batch=64,trace=zipf:1.2,drift=0.05,steps=16,seed=0");
  ASSERT_TRUE((bool)spec);
  llvm::Expected<GatingTrace> trace = makeTrace(*spec, model);
  ASSERT_TRUE((bool)trace);
  perf::TaskGraph graph;
  perf::TaskId cur = graph.addBarrier();
  for (int64_t s = 0; s < trace->steps; ++s)
    cur = rt.emitStep(perf::StepContext{sys, model, *trace, s, 4096}, graph,
                      cur);
  const NIBalancer &bal = *rt.balancer();
  ASSERT_FALSE(bal.chunks().empty());
  double chunk = 0, chunked = 0, copied = 0;
  for (const Chunk &c : bal.chunks()) {
    chunk = std::max(chunk, c.bytes);
    // Forced chunks too (they go in slots as well), not those of a move
    // sent stop-the-world between steps (moeLayer -1: one copy per move).
    if (c.moeLayer >= 0)
      chunked += c.bytes;
  }
  int64_t merged = 0;
  for (const perf::Task &t : graph.all())
    if (t.phase == perf::Phase::Migration &&
        t.kind == perf::TaskKind::Transfer &&
        graph.labelOf(t) == "migration chunk") {
      EXPECT_TRUE(t.memoryCopy);
      EXPECT_LE(t.bytes, cfg.maxCopyBytes * (1 + 1e-9));
      merged += t.bytes > chunk * 1.5;
      copied += t.bytes;
    }
  EXPECT_GT(merged, 0) << "no slot sent a move's chunks as one copy";
  EXPECT_NEAR(copied, chunked, 1e-6 * chunked);
}
