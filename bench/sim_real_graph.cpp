//===- sim_real_graph.cpp - Simulator speed on real --compare task graphs -===//
//
// The simulator on the task graphs a real `--compare` builds: the
// DeepSeek-V3-shaped model of examples/deepseek-v3.mlir (61 layers, 256
// experts) on edge-chiplet-16-mesh, batch 16, 64 decode steps, lowered by
// each registered chiplet strategy's own pipeline and expanded by its
// runtime (setup, not timed); the loop times simulate() alone, with
// per-task recording on as evaluateSchedule uses it. Steps stop early once
// the graph holds kMaxTasks tasks (fse-dp emits ~1.4 million tasks per
// step on this model, 89 million for 64 steps: more memory than the
// machine spares, and events per second do not need them all). Counters:
//   tasks, steps (simulated), events_per_s (per CPU second),
//   ratio_vs_1e6_target  events_per_s / 1e6 (>= 1 meets the target)
//
//   build/bin/moesaic-bench-sim-real
//
//===----------------------------------------------------------------------===//

#include "LowerForBench.h"
#include "moesaic/Driver/Strategy.h"
#include "moesaic/Perf/Simulator.h"
#include "moesaic/Perf/StrategyRuntime.h"

#include "llvm/Support/MemoryBuffer.h"

#include <benchmark/benchmark.h>

#include <memory>

using namespace moesaic;
using namespace moesaic::perf;

namespace {

constexpr const char *kHw = "edge-chiplet-16-mesh";
constexpr size_t kMaxTasks = 16'000'000;

void runRealGraph(benchmark::State &state, std::string strategy) {
  static std::string text;
  if (text.empty()) {
    auto buffer = llvm::MemoryBuffer::getFile(MOESAIC_SOURCE_DIR
                                              "/examples/deepseek-v3.mlir");
    if (!buffer) {
      state.SkipWithError("cannot read examples/deepseek-v3.mlir");
      for (auto _ : state) {
      }
      return;
    }
    text = (*buffer)->getBuffer().str();
  }
  bench::Lowered s = bench::lowerForBench(text, kHw, strategy, 16, 64);
  std::unique_ptr<StrategyRuntime> runtime = createRuntime(strategy);
  std::string error = s.error;
  if (error.empty() && !runtime)
    error = "no runtime registered";
  if (error.empty())
    if (llvm::Error e = runtime->load(s.schedule, s.system, s.model))
      error = llvm::toString(std::move(e));
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    for (auto _ : state) {
    }
    return;
  }
  TaskGraph graph;
  TaskId prev = graph.addBarrier();
  int64_t steps = 0;
  for (; steps < s.trace.steps && graph.size() < kMaxTasks; ++steps) {
    StepContext ctx{s.system, s.model, s.trace, steps, 4096};
    prev = runtime->emitStep(ctx, graph, prev);
  }
  // The schedule (with fse-dp, gigabytes of when/where program JSON) is
  // not needed any more.
  s.schedule = llvm::json::Object();
  SimOptions options;
  options.recordTasks = true;
  uint64_t events = 0;
  for (auto _ : state) {
    SimResult r = simulate(graph, s.system, options);
    events += r.events;
    benchmark::DoNotOptimize(r);
  }
  state.counters["tasks"] = (double)graph.size();
  state.counters["steps"] = (double)steps;
  state.counters["events_per_s"] =
      benchmark::Counter((double)events, benchmark::Counter::kIsRate);
  state.counters["ratio_vs_1e6_target"] =
      benchmark::Counter((double)events / 1e6, benchmark::Counter::kIsRate);
}

} // namespace

int main(int argc, char **argv) {
  registerAllPasses(); // registers the strategies and their runtimes
  for (const StrategyInfo &info : listStrategies())
    if (servesKind(info, SystemKind::Chiplet))
      benchmark::RegisterBenchmark(
          ("deepseek-v3/" + info.name + "/chiplets:16/batch:16/steps:<=64")
              .c_str(),
          runRealGraph, info.name)
          ->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
