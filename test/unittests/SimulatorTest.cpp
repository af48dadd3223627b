//===- SimulatorTest.cpp - The event-driven simulator, by hand -------------===//
//
// Every expected time below is computed by hand from the formulas in
// docs/performance-model.md: compute us = flops / (TFLOP/s x 1e6), bytes us =
// bytes / (GB/s x 1e3), a transfer = sum of hop latencies + bytes / slowest.
//
//===----------------------------------------------------------------------===//

#include "PerfTestUtil.h"

#include "moesaic/Perf/Simulator.h"
#include "moesaic/Perf/Timeline.h"
#include "moesaic/Perf/StrategyRuntime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

using namespace moesaic;
using namespace moesaic::perf;
using namespace moesaic::testutil;

namespace {

TEST(Simulator, TransferQueuesBehindAnotherOnOneLink) {
  SystemModel s = line3();
  TaskGraph g;
  // a -> b: 1e6 B / 100 GB/s = 10 us on the link, arriving 1 us of
  // latency later (11 us). The second waits for the link, not the arrival.
  TaskId t0 = g.addTransfer(0, 1, 1e6);
  TaskId t1 = g.addTransfer(0, 1, 1e6);
  SimResult r = simulate(g, s, {true});
  EXPECT_DOUBLE_EQ(r.taskStart[t0], 0);
  EXPECT_DOUBLE_EQ(r.taskEnd[t0], 11);
  EXPECT_DOUBLE_EQ(r.taskStart[t1], 10);
  EXPECT_DOUBLE_EQ(r.taskEnd[t1], 21);
  EXPECT_DOUBLE_EQ(r.makespanUs, 21);
  unsigned ab = *s.directLink(0, 1);
  EXPECT_DOUBLE_EQ(r.links[ab].bytes, 2e6);
  EXPECT_DOUBLE_EQ(r.links[ab].busyUs, 20);
  EXPECT_DOUBLE_EQ(r.commBytes, 2e6);
  EXPECT_DOUBLE_EQ(r.byteHops, 2e6);
  EXPECT_EQ(r.events, 2u);
  EXPECT_TRUE(r.warnings.empty());
}

// Moving weights reads the source's off-chip memory and writes the
// destination's while the bytes cross: a copy holds both memory engines,
// runs at the slowest of them and the links, and counts its bytes on both.
TEST(Simulator, AMemoryCopyHoldsBothMemoryEngines) {
  SystemModel s = line3();
  s.devices[0].offchipGBps = 50; // a's memory is the bottleneck
  TaskGraph g;
  TaskId load = g.addLoad(0, 1e6); // 20 us on a's memory engine
  Task copy;
  copy.kind = TaskKind::Transfer;
  copy.device = 0;
  copy.dst = 1;
  copy.bytes = 1e6;
  copy.memoryCopy = true;
  TaskId c = g.add(copy, {});
  // A plain transfer on the same link is not a copy: it waits for the link
  // only, after the copy.
  TaskId plain = g.addTransfer(0, 1, 1e6);
  // A load on b waits for the copy's write.
  TaskId loadB = g.addLoad(1, 1e6);
  SimResult r = simulate(g, s, {true});
  EXPECT_DOUBLE_EQ(r.taskStart[load], 0);
  EXPECT_DOUBLE_EQ(r.taskStart[c], 20);       // after a's load
  EXPECT_DOUBLE_EQ(r.taskEnd[c], 20 + 20 + 1); // 1e6 B at 50 GB/s, + 1 us
  EXPECT_DOUBLE_EQ(r.taskStart[loadB], 0);     // ran before the copy began
  EXPECT_DOUBLE_EQ(r.taskStart[plain], 0);     // the link was free first
  EXPECT_DOUBLE_EQ(r.devices[0].offchipBytes, 2e6); // load + copy read
  EXPECT_DOUBLE_EQ(r.devices[1].offchipBytes, 2e6); // load + copy write
  EXPECT_DOUBLE_EQ(r.devices[0].memoryBusyUs, 40);
  EXPECT_DOUBLE_EQ(r.devices[1].memoryBusyUs, 10 + 20);
  unsigned ab = *s.directLink(0, 1);
  EXPECT_DOUBLE_EQ(r.links[ab].busyUs, 10 + 20);
  EXPECT_DOUBLE_EQ(r.commBytes, 2e6);
  EXPECT_DOUBLE_EQ(r.byteHops, 2e6);
  EXPECT_DOUBLE_EQ(taskDurationUs(g[c], s), 21);
}

TEST(Simulator, OppositeDirectionsDoNotQueue) {
  SystemModel s = line3();
  TaskGraph g;
  g.addTransfer(0, 1, 1e6);
  g.addTransfer(1, 0, 1e6);
  EXPECT_DOUBLE_EQ(simulate(g, s).makespanUs, 11);
}

TEST(Simulator, MultiHopUsesSlowestLinkAndEveryLatency) {
  SystemModel s = line3();
  TaskGraph g;
  // a -> c: 2 hops, 2 us latency, 1e6 B at 50 GB/s = 20 us.
  g.addTransfer(0, 2, 1e6);
  // b -> c queues behind it on link b->c, free after 20 us: 20 + 1 + 20.
  g.addTransfer(1, 2, 1e6);
  SimResult r = simulate(g, s, {true});
  EXPECT_DOUBLE_EQ(r.taskEnd[0], 22);
  EXPECT_DOUBLE_EQ(r.taskStart[1], 20);
  EXPECT_DOUBLE_EQ(r.makespanUs, 41);
  EXPECT_DOUBLE_EQ(r.byteHops, 3e6);
  EXPECT_DOUBLE_EQ(taskDurationUs(g[0], s), 22);
}

TEST(Simulator, ComputeOverlapsTransfer) {
  SystemModel s = line3();
  TaskGraph g;
  // 1e8 FLOPs at 10 TFLOP/s = 10 us, in parallel with an 11 us transfer.
  TaskId c = g.addCompute(0, 1e8, 0, 10);
  TaskId t = g.addTransfer(0, 1, 1e6);
  // A dependent compute on b starts when the transfer lands.
  TaskId d = g.addCompute(1, 1e8, 0, 10, {t});
  SimResult r = simulate(g, s, {true});
  EXPECT_DOUBLE_EQ(r.taskStart[c], 0);
  EXPECT_DOUBLE_EQ(r.taskStart[t], 0);
  EXPECT_DOUBLE_EQ(r.taskStart[d], 11);
  EXPECT_DOUBLE_EQ(r.makespanUs, 21);
  EXPECT_DOUBLE_EQ(r.devices[0].computeBusyUs, 10);
  EXPECT_DOUBLE_EQ(r.devices[1].computeBusyUs, 10);
  EXPECT_DOUBLE_EQ(r.devices[0].flops, 1e8);
}

TEST(Simulator, RooflineComputeHoldsBothEngines) {
  SystemModel s = line3();
  TaskGraph g;
  // max(1e8 / 10 TFLOP/s = 10 us, 2e6 B / 100 GB/s = 20 us) = 20 us.
  TaskId c = g.addCompute(0, 1e8, 2e6, 10);
  // A load needs the memory engine: waits for the compute, 1e6 B = 10 us.
  TaskId l = g.addLoad(0, 1e6);
  // A pure compute needs only the compute engine: waits too (20 -> 30 us).
  TaskId p = g.addCompute(0, 1e8, 0, 10);
  SimResult r = simulate(g, s, {true});
  EXPECT_DOUBLE_EQ(r.taskEnd[c], 20);
  EXPECT_DOUBLE_EQ(r.taskStart[l], 20);
  EXPECT_DOUBLE_EQ(r.taskEnd[l], 30);
  EXPECT_DOUBLE_EQ(r.taskStart[p], 20);
  EXPECT_DOUBLE_EQ(r.makespanUs, 30);
  EXPECT_DOUBLE_EQ(r.devices[0].memoryBusyUs, 30);
  EXPECT_DOUBLE_EQ(r.devices[0].computeBusyUs, 30);
  EXPECT_DOUBLE_EQ(r.devices[0].offchipBytes, 3e6);
  // Compute-bound when the bytes are few: 1e8 FLOPs, 1e5 B -> 10 us.
  Task t;
  t.kind = TaskKind::Compute;
  t.flops = 1e8;
  t.bytes = 1e5;
  t.tflops = 10;
  EXPECT_DOUBLE_EQ(taskDurationUs(t, s), 10);
}

TEST(Simulator, MeshRouteHopsAndLinkOccupancy) {
  SystemModel s = mesh(4, 4, 100, 10);
  unsigned src = *s.lookup("d0_0"), dst = *s.lookup("d2_3");
  ASSERT_EQ(s.hops(src, dst), 5);
  TaskGraph g;
  // 5 hops x 10 ns + 1e6 B / 100 GB/s = 0.05 + 10 us.
  g.addTransfer(src, dst, 1e6);
  SimResult r = simulate(g, s);
  EXPECT_NEAR(r.makespanUs, 10.05, 1e-9);
  EXPECT_DOUBLE_EQ(r.byteHops, 5e6);
  std::vector<unsigned> route = s.route(src, dst);
  int used = 0;
  for (size_t l = 0; l < s.links.size(); ++l) {
    bool onRoute = std::count(route.begin(), route.end(), l) > 0;
    EXPECT_EQ(r.links[l].bytes, onRoute ? 1e6 : 0) << "link " << l;
    if (onRoute) { // held for the bytes alone
      EXPECT_NEAR(r.links[l].busyUs, 10, 1e-9);
    }
    used += r.links[l].bytes > 0;
  }
  EXPECT_EQ(used, 5);
  // A transfer crossing one of those links waits; one using none does not.
  TaskGraph g2;
  g2.addTransfer(src, dst, 1e6);
  TaskId crossing = g2.addTransfer(*s.lookup("d0_1"), *s.lookup("d0_2"), 1e6);
  TaskId disjoint = g2.addTransfer(*s.lookup("d3_0"), *s.lookup("d3_1"), 1e6);
  SimResult r2 = simulate(g2, s, {true});
  EXPECT_NEAR(r2.taskStart[crossing], 10, 1e-9);
  EXPECT_DOUBLE_EQ(r2.taskStart[disjoint], 0);
}

TEST(Simulator, PeakOnchipMemory) {
  SystemModel s = line3();
  TaskGraph g;
  Task a;
  a.kind = TaskKind::Load;
  a.device = 0;
  a.bytes = 1e6; // 10 us
  a.allocBytes = 100;
  a.freeBytes = 100;
  TaskId ta = g.add(a, {});
  Task b;
  b.kind = TaskKind::Compute;
  b.device = 0;
  b.flops = 5e7; // 5 us, overlaps a
  b.tflops = 10;
  b.allocBytes = 50;
  b.freeBytes = 50;
  g.add(b, {});
  Task c = b;
  c.allocBytes = 30;
  c.freeBytes = 0; // kept
  g.add(c, {ta});
  // Transfers allocate at their destination.
  Task t;
  t.kind = TaskKind::Transfer;
  t.device = 0;
  t.dst = 1;
  t.bytes = 1e3;
  t.allocBytes = 1000;
  g.add(t, {});
  SimResult r = simulate(g, s);
  EXPECT_EQ(r.devices[0].peakOnchipBytes, 150);
  EXPECT_EQ(r.devices[1].peakOnchipBytes, 1000);
  EXPECT_EQ(r.peakOnchipBytes(), 1000);
}

TEST(Simulator, PriorityOrdersReadyTasksOnOneResource) {
  SystemModel s = line3();
  TaskGraph g;
  TaskId lo = g.addCompute(0, 1e8, 0, 10);
  TaskId hi = g.addCompute(0, 1e8, 0, 10);
  g[hi].priority = -1;
  SimResult r = simulate(g, s, {true});
  EXPECT_DOUBLE_EQ(r.taskStart[hi], 0);
  EXPECT_DOUBLE_EQ(r.taskStart[lo], 10);
}

TEST(Simulator, LayersPhasesAndLabels) {
  SystemModel s = line3();
  TaskGraph g;
  g.setLayer(3);
  g.setPhase(Phase::Moe);
  g.setLabel("expert 1");
  TaskId c = g.addCompute(0, 1e8, 0, 10);
  g.setPhase(Phase::Migration);
  TaskId t = g.addTransfer(0, 1, 1e6, {c});
  g.setLayer(-1);
  g.clearLabel();
  TaskId b = g.addBarrier({t});
  EXPECT_EQ(g.labelOf(g[c]), "expert 1");
  EXPECT_EQ(g.labelOf(g[b]), "");
  EXPECT_EQ(g[t].layer, 3);
  SimResult r = simulate(g, s);
  ASSERT_TRUE(r.layers.count(3));
  EXPECT_DOUBLE_EQ(r.layers[3].startUs, 0);
  EXPECT_DOUBLE_EQ(r.layers[3].endUs, 21);
  EXPECT_DOUBLE_EQ(r.layers[3].moeEndUs, 10);
  EXPECT_DOUBLE_EQ(r.moeComputeUs, 10);
  EXPECT_DOUBLE_EQ(r.migrationUs, 11);
  EXPECT_EQ(r.layers.size(), 1u);
}

TEST(TaskGraph, LabelsAreInternedAndDependenciesKept) {
  TaskGraph g;
  uint32_t a = g.setLabel("expert 1");
  uint32_t b = g.setLabel("expert 2");
  EXPECT_NE(a, b);
  EXPECT_EQ(g.setLabel("expert 1"), a);
  EXPECT_EQ(g.setLabel(""), 0u);
  for (int i = 0; i < 10000; ++i)
    g.setLabel("shard " + std::to_string(i % 5000));
  TaskId t = g.addBarrier();
  EXPECT_EQ(g.labelOf(g[t]), "shard 4999");
  EXPECT_EQ(g.setLabel("shard 17"), g.setLabel("shard 17"));
  // kNoTask dependencies are dropped; others kept in order.
  TaskId u = g.add(Task(), {t, kNoTask, t});
  EXPECT_EQ(g.depsEnd(g[u]) - g.depsBegin(g[u]), 2);
  EXPECT_EQ(*g.depsBegin(g[u]), t);
}

TEST(Simulator, UnreachableAndUnknownDevicesAreReported) {
  SystemModel s = line3();
  TaskGraph g;
  g.addCompute(7, 1e8, 0, 10);
  SimResult r = simulate(g, s);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("unknown device 7"), std::string::npos);
  // A device without compute: the task never ends, and it says so.
  SystemModel s2;
  s2.addDevice(device("a"));
  Device mem = device("m");
  mem.peakTflops.clear();
  s2.addDevice(mem);
  s2.linkDecls.push_back({0, 1, 100, 1000, true, "d2d"});
  ASSERT_EQ(s2.finalize(), "");
  TaskGraph g2;
  g2.addCompute(1, 1e8, 0, 0);
  SimResult r2 = simulate(g2, s2);
  EXPECT_TRUE(std::isinf(r2.makespanUs));
  ASSERT_EQ(r2.warnings.size(), 1u);
  EXPECT_NE(r2.warnings[0].find("task 0 never ends"), std::string::npos);
  // The timeline stays valid JSON: no infinite slice.
  SimResult rec = simulate(g2, s2, {true});
  std::string text;
  llvm::raw_string_ostream(text) << timelineJSON(g2, s2, rec);
  EXPECT_TRUE(bool(llvm::json::parse(text))) << text;
  EXPECT_EQ(text.find("\"X\""), std::string::npos);
  // A transfer whose size is not a number (a broken estimate) never ends
  // either: it is reported and does not hang the run.
  TaskGraph g4;
  TaskId nan = g4.addTransfer(0, 1, std::nan(""), {});
  g4.addCompute(1, 1e8, 0, 10, {nan});
  SimResult r4 = simulate(g4, s);
  EXPECT_TRUE(std::isinf(r4.makespanUs));
  EXPECT_TRUE(std::isinf(taskDurationUs(g4[nan], s)));
  EXPECT_EQ(r4.events, 2u);
  ASSERT_EQ(r4.warnings.size(), 1u);
  EXPECT_NE(r4.warnings[0].find("task 0 never ends: its size is not a number"),
            std::string::npos);
  // Many problems: a few verbatim, then a count.
  TaskGraph g3;
  for (int i = 0; i < 20; ++i)
    g3.addLoad(9, 1e3);
  SimResult r3 = simulate(g3, s);
  ASSERT_EQ(r3.warnings.size(), 9u);
  EXPECT_EQ(r3.warnings.back(), "... and 12 more problems");
}

//===----------------------------------------------------------------------===//
// Random graphs: determinism, timeline, and the bounds every run respects.
//===----------------------------------------------------------------------===//

SystemModel randomSystem(std::mt19937_64 &rng) {
  // Shapes only; the numbers below use rng() directly (portable).
  int rows = 1 + rng() % 3, cols = 2 + rng() % 2;
  return mesh(rows, cols, 20 + rng() % 200, rng() % 100);
}

TaskGraph randomGraph(std::mt19937_64 &rng, unsigned devices, int n) {
  TaskGraph g;
  for (int i = 0; i < n; ++i) {
    std::vector<TaskId> deps;
    int nd = i ? rng() % 4 : 0;
    for (int d = 0; d < nd; ++d)
      deps.push_back(rng() % i);
    Task t;
    t.device = rng() % devices;
    t.dst = rng() % devices;
    t.layer = rng() % 3;
    t.priority = rng() % 3;
    // Compute twice as often as the other kinds.
    unsigned roll = rng() % 5;
    testutil::setRandomWork(t, rng, roll == 0 ? 0 : roll - 1);
    g.add(t, deps);
  }
  return g;
}

TEST(Simulator, Deterministic) {
  std::mt19937_64 rng(7);
  SystemModel s = mesh(3, 3);
  TaskGraph g = randomGraph(rng, s.numDevices(), 400);
  SimResult a = simulate(g, s, {true}), b = simulate(g, s, {true});
  EXPECT_EQ(a.makespanUs, b.makespanUs);
  EXPECT_EQ(a.taskStart, b.taskStart);
  EXPECT_EQ(a.taskEnd, b.taskEnd);
  EXPECT_EQ(a.byteHops, b.byteHops);
  EXPECT_EQ(a.events, 400u);
}

TEST(Simulator, TimelineSlicesNeverOverlapOnAThread) {
  std::mt19937_64 rng(11);
  SystemModel s = mesh(2, 3);
  TaskGraph g = randomGraph(rng, s.numDevices(), 300);
  SimResult r = simulate(g, s, {true});
  llvm::json::Value v = timelineJSON(g, s, r);
  const llvm::json::Object *root = v.getAsObject();
  ASSERT_TRUE(root);
  EXPECT_EQ(root->getString("displayTimeUnit"), "ns");
  const llvm::json::Array *events = root->getArray("traceEvents");
  ASSERT_TRUE(events);
  std::map<std::pair<int64_t, int64_t>, std::vector<std::pair<double, double>>>
      slices;
  int meta = 0;
  for (const llvm::json::Value &e : *events) {
    const llvm::json::Object *o = e.getAsObject();
    ASSERT_TRUE(o);
    llvm::StringRef ph = *o->getString("ph");
    if (ph == "M") {
      ++meta;
      continue;
    }
    ASSERT_EQ(ph, "X");
    double ts = *o->getNumber("ts"), dur = *o->getNumber("dur");
    EXPECT_GT(dur, 0);
    slices[{*o->getInteger("pid"), *o->getInteger("tid")}].push_back(
        {ts, ts + dur});
  }
  // Per device: process + 2 threads; links: process + a thread per link.
  EXPECT_EQ(meta, (int)(3 * s.numDevices() + 1 + s.links.size()));
  ASSERT_GT(slices.size(), 3u);
  for (auto &[key, list] : slices) {
    std::sort(list.begin(), list.end());
    for (size_t i = 1; i < list.size(); ++i)
      EXPECT_GE(list[i].first, list[i - 1].second - 1e-9)
          << "pid " << key.first << " tid " << key.second;
  }
}

TEST(Simulator, PropertyMakespanRespectsCriticalPathAndResourceSums) {
  std::mt19937_64 rng(2026);
  for (int iter = 0; iter < 200; ++iter) {
    SystemModel s = randomSystem(rng);
    ASSERT_TRUE(s.isFinalized());
    TaskGraph g = randomGraph(rng, s.numDevices(), 1 + rng() % 60);
    SimResult r = simulate(g, s, {true});
    ASSERT_EQ(r.events, g.size());
    // Critical path: longest chain of standalone durations.
    std::vector<double> finish(g.size());
    double cp = 0;
    for (size_t i = 0; i < g.size(); ++i) {
      const Task &t = g[(TaskId)i];
      double ready = 0;
      for (const TaskId *d = g.depsBegin(t); d != g.depsEnd(t); ++d)
        ready = std::max(ready, finish[*d]);
      finish[i] = ready + taskDurationUs(t, s);
      cp = std::max(cp, finish[i]);
      // Every task starts after its dependencies end.
      for (const TaskId *d = g.depsBegin(t); d != g.depsEnd(t); ++d)
        EXPECT_GE(r.taskStart[i], r.taskEnd[*d]);
    }
    double tol = 1e-9 * std::max(1.0, r.makespanUs);
    EXPECT_GE(r.makespanUs, cp - tol) << "iteration " << iter;
    for (const DeviceStats &d : r.devices) {
      EXPECT_GE(r.makespanUs, d.computeBusyUs - tol);
      EXPECT_GE(r.makespanUs, d.memoryBusyUs - tol);
    }
    for (const LinkStats &l : r.links)
      EXPECT_GE(r.makespanUs, l.busyUs - tol);
  }
}

//===----------------------------------------------------------------------===//
// Runtime registry.
//===----------------------------------------------------------------------===//

class FixedRuntime : public StrategyRuntime {
public:
  explicit FixedRuntime(double us) : us(us) {}
  llvm::Error load(const llvm::json::Object &, const SystemModel &,
                   const ModelDesc &) override {
    return llvm::Error::success();
  }
  TaskId emitStep(const StepContext &, TaskGraph &g, TaskId start) override {
    return g.addBarrier({start});
  }
  double analyticStepUs(const StepContext &) override { return us; }
  double us;
};

TEST(StrategyRuntimeRegistry, RegisterCreateAndIdempotence) {
  EXPECT_EQ(createRuntime("simulator-test-none"), nullptr);
  registerRuntime("simulator-test-fixed",
                  [] { return std::make_unique<FixedRuntime>(1.0); });
  registerRuntime("simulator-test-fixed",
                  [] { return std::make_unique<FixedRuntime>(2.0); });
  std::unique_ptr<StrategyRuntime> a = createRuntime("simulator-test-fixed");
  std::unique_ptr<StrategyRuntime> b = createRuntime("simulator-test-fixed");
  ASSERT_NE(a, nullptr);
  EXPECT_NE(a.get(), b.get()); // a fresh runtime each time
  SystemModel s = line3();
  ModelDesc m = tinyModel();
  GatingTrace trace;
  StepContext ctx{s, m, trace};
  EXPECT_EQ(a->analyticStepUs(ctx), 1.0);
}

} // namespace
