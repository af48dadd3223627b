//===- SimulatorReferenceTest.cpp - simulate() against a plain reference ---===//
//
// The simulator's speed-ups (flags for free resources that still have
// waiters, waiting groups per route, prefetching, routes resolved in bulk;
// docs/performance.md) must
// not change a single start time. This checks simulate() against a plain
// re-statement of its scheduling rule on random task graphs, with few
// distinct sizes and priorities so that ties in time and rank are common:
//  - candidates are tried in order of (ready time, priority, id);
//  - a task that finds a busy resource waits in the queue of the first busy
//    one in its route order, and the best waiter of each of its other free
//    resources becomes a candidate;
//  - a task frees its resources after its hold (a transfer: its bytes over
//    the slowest link of its route) and completes then, or a transfer the
//    route's latency later; completing makes its ready successors
//    candidates; then the best waiter of each resource it freed.
// The reference keeps ordered sets and recomputes routes per task: slow and
// simple.
//
//===----------------------------------------------------------------------===//

#include "PerfTestUtil.h"
#include "moesaic/Perf/Simulator.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <tuple>

using namespace moesaic;
using namespace moesaic::perf;

namespace {

struct RefResult {
  std::vector<double> start;
  double makespan = 0;
  std::vector<int64_t> peak;
};

RefResult referenceSimulate(const TaskGraph &g, const SystemModel &s) {
  unsigned n = s.numDevices();
  size_t numTasks = g.size();
  // Resources: compute 2d, memory 2d+1, link l 2n+l (as in Simulator.cpp).
  std::vector<std::vector<unsigned>> res(numTasks);
  std::vector<double> dur(numTasks), tail(numTasks, 0), ready(numTasks, 0),
      start(numTasks, 0);
  std::vector<unsigned> pending(numTasks);
  std::vector<std::vector<TaskId>> succ(numTasks);
  for (TaskId i = 0; i < numTasks; ++i) {
    const Task &t = g[i];
    dur[i] = taskDurationUs(t, s);
    switch (t.kind) {
    case TaskKind::Compute:
      res[i].push_back(2 * t.device);
      if (t.bytes > 0)
        res[i].push_back(2 * t.device + 1);
      break;
    case TaskKind::Load:
      res[i].push_back(2 * t.device + 1);
      break;
    case TaskKind::Transfer:
      if (t.device != t.dst && t.bytes > 0) {
        // A copy also holds the source's and the destination's memory
        // engines, and runs at the slowest of them and the links.
        double latency = 0, slowest = 1e300;
        if (t.memoryCopy)
          res[i].push_back(2 * t.device + 1);
        for (unsigned l : s.route(t.device, t.dst)) {
          res[i].push_back(2 * n + l);
          latency += s.links[l].latencyNs * 1e-3;
          slowest = std::min(slowest, s.links[l].bandwidthGBps);
        }
        if (t.memoryCopy) {
          res[i].push_back(2 * t.dst + 1);
          slowest = std::min({slowest, s.devices[t.device].offchipGBps,
                              s.devices[t.dst].offchipGBps});
        }
        dur[i] = bytesToUs(t.bytes, slowest);
        tail[i] = latency;
      }
      break;
    case TaskKind::Barrier:
      break;
    }
    pending[i] = g.depsEnd(t) - g.depsBegin(t);
    for (const TaskId *d = g.depsBegin(t); d != g.depsEnd(t); ++d)
      succ[*d].push_back(i);
  }
  using Key = std::tuple<double, int32_t, TaskId>;
  auto keyOf = [&](TaskId t) { return Key{ready[t], g[t].priority, t}; };
  size_t numRes = 2 * n + s.links.size();
  std::vector<bool> busy(numRes, false);
  std::vector<std::set<Key>> waiters(numRes);
  std::set<Key> candidates;
  // (time, 0: hold ends / 1: arrival, task)
  std::set<std::tuple<double, int, TaskId>> events;
  std::vector<int64_t> onchip(n, 0), peak(n, 0);
  auto pull = [&](unsigned r) {
    if (!busy[r] && !waiters[r].empty()) {
      candidates.insert(*waiters[r].begin());
      waiters[r].erase(waiters[r].begin());
    }
  };
  for (TaskId i = 0; i < numTasks; ++i)
    if (pending[i] == 0)
      candidates.insert(keyOf(i));
  double now = 0, makespan = 0;
  for (;;) {
    while (!candidates.empty()) {
      Key k = *candidates.begin();
      candidates.erase(candidates.begin());
      TaskId id = std::get<2>(k);
      const std::vector<unsigned> &r = res[id];
      size_t blocked = r.size();
      for (size_t i = 0; i < r.size() && blocked == r.size(); ++i)
        if (busy[r[i]])
          blocked = i;
      if (blocked != r.size()) {
        waiters[r[blocked]].insert(k);
        for (size_t j = 0; j < r.size(); ++j)
          if (j != blocked)
            pull(r[j]);
        continue;
      }
      for (unsigned x : r)
        busy[x] = true;
      start[id] = now;
      events.insert({now + dur[id], 0, id});
      const Task &t = g[id];
      unsigned d = t.kind == TaskKind::Transfer ? t.dst : t.device;
      if (t.allocBytes != 0 && d < n) {
        onchip[d] += t.allocBytes;
        peak[d] = std::max(peak[d], onchip[d]);
      }
    }
    if (events.empty())
      break;
    now = std::get<0>(*events.begin());
    auto complete = [&](TaskId id) {
      makespan = std::max(makespan, now);
      for (TaskId sId : succ[id]) {
        ready[sId] = std::max(ready[sId], now);
        if (--pending[sId] == 0)
          candidates.insert(keyOf(sId));
      }
    };
    while (!events.empty() && std::get<0>(*events.begin()) == now) {
      auto [time, kind, id] = *events.begin();
      events.erase(events.begin());
      if (kind == 1) {
        complete(id);
        continue;
      }
      const Task &t = g[id];
      for (unsigned x : res[id])
        busy[x] = false;
      unsigned d = t.kind == TaskKind::Transfer ? t.dst : t.device;
      if (t.freeBytes != 0 && d < n)
        onchip[d] -= t.freeBytes;
      if (tail[id] > 0)
        events.insert({now + tail[id], 1, id});
      else
        complete(id);
      for (unsigned x : res[id])
        pull(x);
    }
  }
  return {start, makespan, peak};
}

/// A random DAG on `s`: computes (with and without off-chip bytes), loads,
/// transfers (a third of them copies between off-chip memories) between
/// random devices and barriers, with dependencies on
/// random earlier tasks, 3 sizes and 3 priorities (many exact ties).
TaskGraph randomGraph(const SystemModel &s, size_t numTasks, uint64_t seed) {
  std::mt19937_64 rng(seed);
  unsigned n = s.numDevices();
  TaskGraph g;
  const double sizes[] = {4096, 65536, 1 << 20};
  for (size_t i = 0; i < numTasks; ++i) {
    std::vector<TaskId> deps;
    unsigned numDeps = g.size() ? rng() % 4 : 0;
    for (unsigned k = 0; k < numDeps; ++k)
      deps.push_back(rng() % g.size());
    Task t;
    unsigned kind = rng() % 10;
    t.device = rng() % n;
    t.dst = t.device;
    double size = sizes[rng() % 3];
    if (kind < 3) {
      t.kind = TaskKind::Compute;
      t.flops = size * 1e3;
      t.bytes = rng() % 2 ? size : 0;
      t.tflops = 10;
    } else if (kind < 4) {
      t.kind = TaskKind::Load;
      t.bytes = size;
    } else if (kind < 9) {
      t.kind = TaskKind::Transfer;
      t.dst = rng() % n;
      t.bytes = size;
      t.memoryCopy = rng() % 3 == 0; // weights from DRAM to DRAM
    }
    t.priority = (int32_t)(rng() % 3) - 1;
    t.layer = (int32_t)(i / 50);
    if (rng() % 4 == 0) {
      t.allocBytes = (int64_t)size;
      t.freeBytes = rng() % 2 ? (int64_t)size : 0;
    }
    g.add(t, deps);
  }
  return g;
}

/// simulate() on `g` against the reference: every start, the makespan and
/// every device's on-chip peak (`what` names the graph in failures).
void expectSameAsReference(const TaskGraph &g, const SystemModel &s,
                           const std::string &what) {
  SimResult r = simulate(g, s, {/*recordTasks=*/true});
  RefResult ref = referenceSimulate(g, s);
  ASSERT_EQ(r.taskStart.size(), g.size());
  EXPECT_EQ(r.events, g.size()) << what;
  EXPECT_EQ(r.makespanUs, ref.makespan) << what;
  size_t mismatches = 0;
  for (TaskId i = 0; i < g.size(); ++i)
    if (r.taskStart[i] != ref.start[i] && ++mismatches <= 3)
      ADD_FAILURE() << what << ": task " << i << " starts at "
                    << r.taskStart[i] << " us, reference " << ref.start[i];
  EXPECT_EQ(mismatches, 0u) << what;
  for (unsigned d = 0; d < s.numDevices(); ++d)
    EXPECT_EQ(r.devices[d].peakOnchipBytes, ref.peak[d]) << what;
}

void expectSameAsReference(const SystemModel &s, size_t numTasks,
                           uint64_t seed) {
  expectSameAsReference(randomGraph(s, numTasks, seed), s,
                        "seed " + std::to_string(seed));
}

TEST(SimulatorReference, RandomGraphsOnAMesh) {
  SystemModel s = testutil::mesh(4, 4);
  for (uint64_t seed = 1; seed <= 12; ++seed)
    expectSameAsReference(s, 3000, seed);
}

TEST(SimulatorReference, RandomGraphsOnALine) {
  SystemModel s = testutil::line3();
  for (uint64_t seed = 100; seed <= 106; ++seed)
    expectSameAsReference(s, 2000, seed);
}

/// Many transfers that all become ready at once on a bigger mesh: long
/// routes, long waiter queues, many free resources with waiters pulled
/// one at a time (the case the hot-resource flags shortcut).
TEST(SimulatorReference, BurstsOfLongRoutes) {
  SystemModel s = testutil::mesh(8, 8);
  std::mt19937_64 rng(7);
  TaskGraph g;
  TaskId prev = g.addBarrier();
  for (int burst = 0; burst < 6; ++burst) {
    std::vector<TaskId> ends;
    for (int k = 0; k < 400; ++k) {
      unsigned a = rng() % 64, b = rng() % 64;
      Task t;
      t.kind = TaskKind::Transfer;
      t.device = a;
      t.dst = b;
      t.bytes = (rng() % 2 ? 8192 : 65536);
      t.priority = (int32_t)(rng() % 2);
      ends.push_back(g.add(t, {prev}));
    }
    prev = g.add(Task(), ends);
  }
  expectSameAsReference(g, s, "bursts of long routes");
}

/// Stop-the-world migrations: bursts of transfers over a few device pairs
/// (so many waiting tasks share one route) and computes on a few devices
/// (sharing their engines), with three priorities and chains inside each
/// burst, so tasks join the waiting ones at many different times. This is
/// the case the simulator's waiting groups shortcut (docs/performance.md).
TEST(SimulatorReference, BurstsOnFewRoutes) {
  SystemModel s = testutil::mesh(4, 4);
  const unsigned pairs[][2] = {{0, 15}, {0, 15}, {3, 12}, {5, 6},
                               {15, 0}, {1, 13}, {2, 14}};
  std::mt19937_64 rng(11);
  TaskGraph g;
  TaskId prev = g.addBarrier();
  for (int burst = 0; burst < 8; ++burst) {
    std::vector<TaskId> ends;
    for (int k = 0; k < 300; ++k) {
      Task t;
      std::vector<TaskId> deps{prev};
      if (k >= 10 && rng() % 3 == 0)
        deps.push_back(ends[ends.size() - 1 - rng() % 10]);
      if (rng() % 4 == 0) {
        t.kind = TaskKind::Compute;
        t.device = rng() % 2 ? 0 : 5;
        t.flops = 1e7 * (1 + rng() % 3);
        t.bytes = rng() % 2 ? 65536 : 0;
        t.tflops = 10;
      } else {
        const unsigned *p = pairs[rng() % 7];
        t.kind = TaskKind::Transfer;
        t.device = p[0];
        t.dst = p[1];
        t.bytes = rng() % 2 ? 8192 : 65536;
      }
      t.priority = (int32_t)(rng() % 3) - 1;
      ends.push_back(g.add(t, deps));
    }
    prev = g.add(Task(), ends);
  }
  expectSameAsReference(g, s, "bursts on few routes");
}

} // namespace
