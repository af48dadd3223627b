//===- StepWindowsTest.cpp - Simulating a graph window by window ----------===//
//
// The simulator may run a multi-step task graph step by step (Simulator.h,
// StepWindows.h, docs/performance-model.md "Windows"). These tests hold it
// to its promise: the same result as one run of the whole graph, and a
// clean fallback when a step does not follow the cut after all.
//
//===----------------------------------------------------------------------===//

#include "PerfTestUtil.h"

#include "moesaic/Driver/Evaluate.h"
#include "moesaic/Perf/Simulator.h"
#include "moesaic/Perf/StepWindows.h"
#include "moesaic/Perf/StrategyRuntime.h"

#include "llvm/Support/FormatVariadic.h"

#include <gtest/gtest.h>

#include <random>

using namespace moesaic;
using namespace moesaic::perf;
using namespace moesaic::testutil;

namespace {

TEST(StepWindows, SplitKeepsIdsAndDependencies) {
  TaskGraph g;
  TaskId a = g.addBarrier();
  TaskId b = g.addCompute(0, 1e6, 0, 10, {a});
  TaskId c = g.addBarrier({a, b});
  TaskId d = g.addLoad(1, 1e3, {c});
  TaskGraph window = g.splitBefore(d);
  EXPECT_EQ(window.firstTask(), a);
  EXPECT_EQ(window.size(), (size_t)d);
  EXPECT_EQ(window.all().size(), 3u);
  EXPECT_EQ(window[b].kind, TaskKind::Compute);
  ASSERT_EQ(window.depsEnd(window[c]) - window.depsBegin(window[c]), 2);
  EXPECT_EQ(window.depsBegin(window[c])[1], b);
  // The rest keeps its ids and appends after them.
  EXPECT_EQ(g.firstTask(), d);
  EXPECT_EQ(g.size(), (size_t)d + 1);
  EXPECT_EQ(*g.depsBegin(g[d]), c);
  TaskId e = g.addTransfer(0, 1, 1e3, {d, c});
  EXPECT_EQ(e, d + 1);
  ASSERT_EQ(g.depsEnd(g[e]) - g.depsBegin(g[e]), 2);
  EXPECT_EQ(g.depsBegin(g[e])[0], d);
  EXPECT_EQ(g.depsBegin(g[e])[1], c);
}

TEST(StepWindows, CutChecks) {
  TaskGraph g;
  TaskId s = g.addBarrier();
  TaskId x = g.addCompute(0, 1e6, 0, 10, {s});
  TaskId y = g.addCompute(1, 1e6, 0, 10, {s});
  TaskId end = g.addBarrier({x, y});
  EXPECT_TRUE(allPrecede(g, 0, g.size(), end));
  EXPECT_FALSE(allPrecede(g, 0, g.size(), x)); // y does not precede x
  {
    // A barrier nothing waits for is done with its dependencies; any other
    // task could still be running after the cut.
    TaskGraph h;
    TaskId hs = h.addBarrier();
    TaskId hx = h.addCompute(0, 1e6, 0, 10, {hs});
    TaskId dangling = h.addBarrier({hx});
    TaskId hend = h.addBarrier({hx});
    h.addBarrier({dangling});
    EXPECT_TRUE(allPrecede(h, 0, h.size(), hend));
    h.addCompute(1, 1e6, 0, 10, {hx});
    EXPECT_FALSE(allPrecede(h, 0, h.size(), hend));
  }
  TaskId z = g.addCompute(0, 1e6, 0, 10, {end});
  EXPECT_TRUE(allFollow(g, end, z));
  g.addCompute(1, 1e6, 0, 10, {y}); // around the cut
  EXPECT_FALSE(allFollow(g, end, z));
  FollowSet set;
  set.reset(end, z);
  EXPECT_FALSE(set.extend(g));
  set.reset(end, z);
  g.addBarrier({z}); // follows through z
  EXPECT_FALSE(set.extend(g)); // the earlier stray task still counts
}

/// Appends one step of random work on `devices` devices after `start`,
/// ended by a barrier every task of the step precedes.
TaskId randomStep(std::mt19937_64 &rng, TaskGraph &g, unsigned devices,
                  TaskId start, int tasks) {
  std::vector<TaskId> step;
  for (int i = 0; i < tasks; ++i) {
    Task t;
    t.device = rng() % devices;
    t.dst = rng() % devices;
    t.layer = rng() % 3;
    t.priority = rng() % 3;
    t.allocBytes = rng() % 4 ? 0 : 1000;
    t.freeBytes = t.allocBytes;
    testutil::setRandomWork(t, rng, rng() % 4);
    std::vector<TaskId> deps{start};
    for (int k = rng() % 3; k > 0 && !step.empty(); --k)
      deps.push_back(step[rng() % step.size()]);
    step.push_back(g.add(t, deps));
  }
  return g.add(Task(), step);
}

TEST(StepWindows, WindowsSimulateLikeOneRun) {
  SystemModel s = mesh(3, 3);
  for (uint64_t seed = 0; seed < 5; ++seed) {
    std::mt19937_64 rng(seed);
    // The whole graph, and the same graph split at every step's end.
    TaskGraph whole, held;
    TaskId prev = whole.addBarrier(), heldPrev = held.addBarrier();
    std::vector<TaskGraph> windows;
    std::vector<TaskId> cuts;
    for (int step = 0; step < 6; ++step) {
      std::mt19937_64 a(seed * 100 + step), b = a;
      prev = randomStep(a, whole, s.numDevices(), prev, 150);
      TaskId begin = held.size();
      heldPrev = randomStep(b, held, s.numDevices(), heldPrev, 150);
      ASSERT_EQ(prev, heldPrev);
      if (step > 0) {
        ASSERT_TRUE(allPrecede(held, held.firstTask(), begin, cuts.back()));
        ASSERT_TRUE(allFollow(held, cuts.back(), begin));
        windows.push_back(held.splitBefore(begin));
      }
      cuts.push_back(prev);
    }
    windows.push_back(held.splitBefore(held.size()));
    SimResult one = simulate(whole, s, {true});
    Simulator sim(s, {true});
    for (const TaskGraph &w : windows) {
      sim.run(w);
      for (TaskId id = w.firstTask(); id < w.size(); ++id) {
        ASSERT_EQ(sim.startUs(id), one.taskStart[id]) << "task " << id;
        ASSERT_EQ(sim.endUs(id), one.taskEnd[id]) << "task " << id;
      }
    }
    SimResult split = sim.take();
    EXPECT_TRUE(split.warnings.empty());
    EXPECT_EQ(split.makespanUs, one.makespanUs);
    EXPECT_EQ(split.events, one.events);
    EXPECT_EQ(split.byteHops, one.byteHops);
    EXPECT_EQ(split.commBytes, one.commBytes);
    EXPECT_EQ(split.peakOnchipBytes(), one.peakOnchipBytes());
    for (size_t d = 0; d < s.numDevices(); ++d) {
      EXPECT_EQ(split.devices[d].computeBusyUs, one.devices[d].computeBusyUs);
      EXPECT_EQ(split.devices[d].offchipBytes, one.devices[d].offchipBytes);
    }
    for (size_t l = 0; l < s.links.size(); ++l)
      EXPECT_EQ(split.links[l].busyUs, one.links[l].busyUs);
    ASSERT_EQ(split.layers.size(), one.layers.size());
    for (auto &[l, stats] : one.layers)
      EXPECT_EQ(split.layers[l].endUs, stats.endUs);
  }
}

/// A runtime that emits random steps, in one of three shapes: each step
/// ends in a cut ("cut"); a task of step k >= 2 depends on step k-2 only,
/// around the cut ("leaky": windows already simulated would be wrong, so
/// the evaluation starts over without them); a task of each step outlives
/// the step's end ("overlap": no cut anywhere).
class WindowTestRuntime : public StrategyRuntime {
public:
  explicit WindowTestRuntime(std::string shape) : shape(std::move(shape)) {}
  llvm::Error load(const llvm::json::Object &, const SystemModel &,
                   const ModelDesc &) override {
    return llvm::Error::success();
  }
  TaskId emitStep(const StepContext &ctx, TaskGraph &g,
                  TaskId start) override {
    std::mt19937_64 rng(ctx.step);
    // Heavy enough to stay above the tiny model's lower bound.
    TaskId heavy = g.addCompute(0, 1e10, 0, 10, {start});
    TaskId end = randomStep(rng, g, ctx.system.numDevices(), heavy, 120);
    if (shape == "leaky" && ctx.step >= 2)
      g.addTransfer(1, 2, 5e5, {older[ctx.step - 2]});
    older.push_back(heavy);
    if (shape == "overlap") {
      TaskId late = g.addTransfer(0, 3, 2e6, {heavy});
      TaskId joined = g.addBarrier({end});
      lateTasks.push_back(late);
      return ctx.step + 1 == ctx.trace.steps
                 ? g.addBarrier({joined, late})
                 : joined;
    }
    if (shape == "leaky" && ctx.step >= 2)
      return g.addBarrier({end, (TaskId)(g.size() - 1)});
    return end;
  }
  double analyticStepUs(const StepContext &) override { return 1000; }

private:
  std::string shape;
  std::vector<TaskId> older, lateTasks;
};

TEST(StepWindows, EvaluationMatchesOneWindow) {
  for (const char *shape : {"cut", "leaky", "overlap"}) {
    std::string name = std::string("test-step-windows-") + shape;
    registerRuntime(name, [shape] {
      return std::make_unique<WindowTestRuntime>(shape);
    });
    SystemModel system = mesh(2, 3);
    ModelDesc model = tinyModel();
    WorkloadSpec spec = *parseWorkloadSpec("batch=4,steps=12,seed=3");
    GatingTrace trace = *makeTrace(spec, model);
    llvm::json::Object schedule{{"strategy", name}};
    // Without windows: the whole graph at once, the reference.
    llvm::Expected<StrategyOutcome> one =
        evaluateSchedule(schedule, system, model, spec, trace, true, "direct",
                         "fine", false, /*windowed=*/false);
    ASSERT_TRUE((bool)one) << llvm::toString(one.takeError());
    EXPECT_EQ(one->simulatorWindows, 1u);
    std::string expected =
        llvm::formatv("{0}", llvm::json::Value(llvm::json::Object(one->result)));
    auto timelineText = [](const StrategyOutcome &o) {
      EvaluationSink sink;
      sink.outcomes.push_back({o.strategy, {}, {}, o.timeline});
      std::string text;
      llvm::raw_string_ostream os(text);
      sink.writeTimeline(os);
      return os.str();
    };
    std::string expectedTimeline = timelineText(*one);
    ASSERT_NE(expectedTimeline.find("\"ph\":\"X\""), std::string::npos);
    for (bool pipelined : {false, true}) {
      // The timeline is recorded window by window: the same slices.
      llvm::Expected<StrategyOutcome> windowed = evaluateSchedule(
          schedule, system, model, spec, trace, true, "direct", "fine",
          pipelined);
      ASSERT_TRUE((bool)windowed) << llvm::toString(windowed.takeError());
      // A window per step when every step ends in a cut; after a leak the
      // evaluation starts over in one window; no cut, one window.
      EXPECT_EQ(windowed->simulatorWindows,
                std::string(shape) == "cut" ? 12u : 1u)
          << shape;
      EXPECT_EQ(llvm::formatv("{0}", llvm::json::Value(llvm::json::Object(
                                         windowed->result)))
                    .str(),
                expected)
          << shape << (pipelined ? " pipelined" : "");
      EXPECT_EQ(timelineText(*windowed), expectedTimeline)
          << shape << (pipelined ? " pipelined" : "");
    }
  }
}

} // namespace
