//===- sim_throughput.cpp - Simulated tasks per second ---------------------===//
//
// The simulator must execute at least 1e6 tasks (events) per second. This
// builds a MoE-like decode workload on a mesh (per layer: a dense compute on
// every die, two dispatch transfers per die to random dies, the expert
// computes there, the combine transfers back, a layer barrier) and times
// simulate() alone. Counters:
//   events_per_s         simulated tasks per second of wall time
//   ratio_vs_1e6_target  events_per_s / 1e6 (>= 1 meets the target)
//
//   build/bin/moesaic-bench-sim
//
//===----------------------------------------------------------------------===//

#include "moesaic/Perf/Simulator.h"

#include <benchmark/benchmark.h>

#include <random>

using namespace moesaic;
using namespace moesaic::perf;

namespace {

SystemModel meshSystem(int rows, int cols) {
  SystemModel s;
  s.name = "bench-mesh";
  SystemModel::TopologyDecl t;
  t.kind = TopologyKind::Mesh;
  t.rows = rows;
  t.cols = cols;
  t.gbps = 500;
  t.latencyNs = 20;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      Device d;
      d.name = "d" + std::to_string(r) + "_" + std::to_string(c);
      d.coord = {r, c};
      d.peakTflops["bf16"] = 100;
      d.onchipBytes = 64 << 20;
      d.offchipBytes = int64_t(16) << 30;
      d.offchipGBps = 1000;
      t.members.push_back(s.addDevice(d));
    }
  s.topologyDecls.push_back(t);
  std::string err = s.finalize();
  if (!err.empty())
    abort();
  return s;
}

/// About `numTasks` tasks of MoE-like layers on `devices` dies.
TaskGraph moeGraph(unsigned devices, size_t numTasks, uint64_t seed) {
  std::mt19937_64 rng(seed); // the engine's output is fixed by the standard
  TaskGraph g;
  g.reserve(numTasks + 4 * devices, 2 * numTasks + 4 * devices);
  TaskId layerEnd = g.addBarrier();
  std::vector<TaskId> combines;
  int layer = 0;
  while (g.size() < numTasks) {
    g.setLayer(layer++);
    g.setPhase(Phase::Dense);
    std::vector<TaskId> dense(devices);
    for (unsigned d = 0; d < devices; ++d)
      dense[d] = g.addCompute(d, 2e8, 2e6, 100, {layerEnd});
    g.setPhase(Phase::Moe);
    combines.clear();
    for (unsigned d = 0; d < devices; ++d)
      for (int k = 0; k < 2; ++k) {
        unsigned e = rng() % devices;
        TaskId out = g.addTransfer(d, e, 8192, {dense[d]});
        TaskId ex = g.addCompute(e, 1e8, 4e6, 100, {out});
        combines.push_back(g.addTransfer(e, d, 8192, {ex}));
      }
    Task barrier;
    layerEnd = g.add(barrier, combines);
  }
  return g;
}

void runScenario(benchmark::State &state, int rows, int cols, bool record) {
  SystemModel s = meshSystem(rows, cols);
  TaskGraph g = moeGraph(s.numDevices(), state.range(0), 1);
  uint64_t events = 0;
  double makespan = 0;
  for (auto _ : state) {
    SimResult r = simulate(g, s, {record});
    events += r.events;
    makespan = r.makespanUs;
    benchmark::DoNotOptimize(r);
  }
  state.counters["tasks"] = (double)g.size();
  state.counters["makespan_us"] = makespan;
  state.counters["events_per_s"] =
      benchmark::Counter((double)events, benchmark::Counter::kIsRate);
  state.counters["ratio_vs_1e6_target"] =
      benchmark::Counter((double)events / 1e6, benchmark::Counter::kIsRate);
}

void BM_Mesh16x16(benchmark::State &state) {
  runScenario(state, 16, 16, false);
}
void BM_Mesh16x16Recorded(benchmark::State &state) {
  runScenario(state, 16, 16, true);
}
void BM_Mesh32x32(benchmark::State &state) {
  runScenario(state, 32, 32, false);
}

} // namespace

BENCHMARK(BM_Mesh16x16)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Mesh16x16Recorded)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Mesh32x32)->Arg(1000000)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
