//===- dataflow_ndp_wafer_bench.cpp - ndp-tp / er-mapping programs vs direct ===//
//
// Per-decision cost of the when/where programs of ndp-tp (one MoE layer's
// GPU/NDP decision) and of er-mapping's migrations (one step's trigger and
// swaps, and the chunk staging into that step's slots), interpreted by
// lib/Runtime/Dataflow, against the direct runtime code on the same
// pre-drawn gatings and link loads. Thread CPU time (the machine is
// shared). Prints `direct_us`, `dataflow_us` and `dataflow_over_direct`
// per decision; the wafer rows also split observe (trigger + swaps) and
// staging. Both paths run the same plain code for the parts that are not
// when/where (balancer bin packing, swap search), so the ratio prices the
// token-level execution of the rest.
//
//   build/bin/dataflow_ndp_wafer_bench
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Df/DfRuntimePrograms.h"
#include "moesaic/Runtime/Dataflow/NdpTpInterpreter.h"
#include "moesaic/Runtime/Dataflow/WaferMigrationInterpreter.h"
#include "moesaic/Runtime/Wafer/ERMapping.h"
#include "moesaic/Target/HardwareFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <ctime>
#include <functional>
#include <random>
#include <set>

using namespace moesaic;
using namespace moesaic::dataflow;

namespace {

double cpuUs() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

llvm::Expected<Program>
buildProgram(const std::function<df::ProgramOp(mlir::OpBuilder &)> &build) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<df::DfDialect>();
  mlir::OpBuilder b(&ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::ModuleOp::create(b.getUnknownLoc());
  b.setInsertionPointToEnd(module->getBody());
  return programFromJson(df::programToJson(build(b)));
}

/// Skewed gating: `tokens` x `topK` distinct experts.
std::vector<int32_t> gating(std::mt19937 &rng, unsigned tokens, unsigned topK,
                            int64_t experts, double skew) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<int32_t> out;
  for (unsigned t = 0; t < tokens; ++t) {
    std::set<int32_t> s;
    while (s.size() < topK)
      s.insert(std::min<int32_t>((int32_t)(std::pow(u(rng), 1 + skew) * experts),
                                 (int32_t)experts - 1));
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

std::vector<int32_t> loadOf(const std::vector<int32_t> &g, int64_t experts) {
  std::vector<int32_t> load(experts, 0);
  for (int32_t e : g)
    if (e >= 0 && e < experts)
      ++load[e];
  return load;
}

void BM_NdpTp(benchmark::State &state) {
  int64_t experts = state.range(0);
  int g = (int)state.range(1);
  unsigned units = state.range(2), tokens = state.range(3),
           topK = state.range(4);
  llvm::Expected<Program> prog = buildProgram([&](mlir::OpBuilder &b) {
    return df::buildNdpTpProgram(b, b.getUnknownLoc(), 0, experts, g, units);
  });
  if (!prog)
    return state.SkipWithError(llvm::toString(prog.takeError()).c_str());
  auto in = NdpTpInterpreter::create(std::move(*prog), experts, g, units);
  if (!in)
    return state.SkipWithError(llvm::toString(in.takeError()).c_str());
  ndp::BalanceCosts costs;
  costs.gpuGBps = 716.8;
  costs.gpuTflops = 97.5;
  costs.unitGBps.assign(units, 76.8);
  costs.unitTflops.assign(units, 0.5);
  costs.unitFraction.assign(units, 1.0 / units);
  costs.ndpFixedUs = 20;
  costs.granularity = g;
  std::mt19937 rng(42);
  const unsigned kBatches = 64;
  std::vector<std::vector<int32_t>> picks;
  std::vector<std::vector<uint8_t>> ready;
  for (unsigned i = 0; i < kBatches; ++i) {
    picks.push_back(gating(rng, tokens, topK, experts, 1.0));
    std::vector<uint8_t> r(experts);
    for (uint8_t &x : r)
      x = rng() % 3 == 0;
    ready.push_back(std::move(r));
  }
  const double bytes = 25e6, flops = 5e7;
  double directUs = 0, dataflowUs = 0;
  size_t blocks = 0;
  for (auto _ : state) {
    double t0 = cpuUs();
    for (unsigned i = 0; i < kBatches; ++i) {
      std::vector<ndp::ExpertWork> w =
          ndp::layerWork(loadOf(picks[i], experts), bytes, flops, ready[i]);
      benchmark::DoNotOptimize(ndp::balanceLayer(w, costs).gpuFinishUs);
    }
    double t1 = cpuUs();
    for (unsigned i = 0; i < kBatches; ++i)
      benchmark::DoNotOptimize(
          (*in)->decide(tokens, picks[i].data(), topK, ready[i], bytes, flops,
                        costs)
              .plan.gpuFinishUs);
    double t2 = cpuUs();
    directUs += t1 - t0;
    dataflowUs += t2 - t1;
    ++blocks;
  }
  double d = directUs / (blocks * kBatches), f = dataflowUs / (blocks * kBatches);
  state.counters["direct_us"] = d;
  state.counters["dataflow_us"] = f;
  state.counters["dataflow_over_direct"] = f / d;
}

/// One MoE layer on a wafer preset (0: wafer-8x8, 1: wafer-12x12),
/// `experts` experts, batch `tokens`, top-k `topK`; per decode step: the
/// observe (trigger every step once the window is full, swaps when it
/// fires) and two slots (ring and MoE phase) of chunk staging.
void BM_WaferMigrations(benchmark::State &state) {
  using namespace moesaic::wafer;
  const char *hw = state.range(0) ? "wafer-12x12" : "wafer-8x8";
  int64_t experts = state.range(1);
  unsigned tokens = state.range(2), topK = state.range(3);
  llvm::Expected<SystemModel> sys = loadHardware(hw);
  if (!sys)
    return state.SkipWithError(llvm::toString(sys.takeError()).c_str());
  ModelDesc model;
  model.name = "bench";
  model.numLayers = 1;
  model.hiddenSize = 2048;
  MoeLayerDesc l;
  l.numExperts = experts;
  l.topK = topK;
  l.hiddenSize = 2048;
  l.expertFfnSize = 768;
  model.moeLayers.push_back(l);
  llvm::Expected<WaferShape> shape = chooseShape(model, *sys);
  if (!shape)
    return state.SkipWithError(llvm::toString(shape.takeError()).c_str());
  WaferLayout layout = rowMajorLayout(*sys, *shape, experts);
  BalancerConfig cfg = defaultBalancerConfig(model, layout);
  cfg.cooldown = 1; // decide whenever the trigger fires
  std::vector<double> unitBytes{double(l.expertBytes()) / shape->shards};
  llvm::Expected<Program> trig = buildProgram([&](mlir::OpBuilder &b) {
    return df::buildWaferTriggerProgram(b, b.getUnknownLoc(), 0, experts,
                                        shape->shards, shape->dies, cfg.window);
  });
  llvm::Expected<Program> stage = buildProgram([&](mlir::OpBuilder &b) {
    return df::buildWaferStagingProgram(b, b.getUnknownLoc(),
                                        (int64_t)sys->links.size());
  });
  if (!trig || !stage)
    return state.SkipWithError("program build failed");

  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  const int64_t kSteps = 64;
  std::vector<std::vector<int32_t>> picks;
  std::vector<std::vector<double>> linkLoad;
  for (int64_t s = 0; s < kSteps; ++s) {
    std::vector<int32_t> g = gating(rng, tokens, topK, experts, 2.0);
    for (int32_t &e : g)
      e = (int32_t)((e + 5 * (s / 16)) % experts); // drifting hot set
    picks.push_back(std::move(g));
    for (int ph = 0; ph < 2; ++ph) {
      std::vector<double> ll(sys->links.size());
      for (double &b : ll)
        b = 4e5 * std::pow(u(rng), 3);
      linkLoad.push_back(std::move(ll));
    }
  }
  // Slots of 20 us with every memory idle throughout.
  std::vector<SlotWindow> slots;
  for (std::vector<double> &ll : linkLoad)
    slots.push_back({ll, 20.0,
                     std::vector<MemoryWindow>(sys->numDevices(), {0.0, 20.0})});
  double dObs = 0, fObs = 0, dSlot = 0, fSlot = 0;
  int64_t moves = 0, chunks = 0;
  size_t blocks = 0;
  for (auto _ : state) {
    state.PauseTiming();
    NIBalancer direct(cfg, *sys, layout, 1, unitBytes);
    auto in = WaferMigrationInterpreter::create({*trig}, *stage, cfg, *sys,
                                                layout, unitBytes);
    if (!in)
      return state.SkipWithError(llvm::toString(in.takeError()).c_str());
    state.ResumeTiming();
    for (int64_t s = 0; s < kSteps; ++s) {
      double t0 = cpuUs();
      for (int ph = 0; ph < 2; ++ph)
        chunks += (int64_t)direct
                      .fillSlot(s, 0, ph ? SlotPhase::Moe : SlotPhase::Ring,
                                slots[2 * s + ph])
                      .size();
      double t1 = cpuUs();
      for (int ph = 0; ph < 2; ++ph)
        benchmark::DoNotOptimize(
            (*in)->fillSlot(s, 0, ph ? SlotPhase::Moe : SlotPhase::Ring,
                            slots[2 * s + ph]));
      double t2 = cpuUs();
      moves += (int64_t)direct.observe(s, {loadOf(picks[s], experts)}).size();
      double t3 = cpuUs();
      benchmark::DoNotOptimize(
          (*in)->observe(s, {LayerGating{picks[s].data(), tokens, topK}}));
      double t4 = cpuUs();
      dSlot += t1 - t0;
      fSlot += t2 - t1;
      dObs += t3 - t2;
      fObs += t4 - t3;
    }
    ++blocks;
  }
  double n = double(blocks * kSteps);
  state.counters["direct_us"] = (dObs + dSlot) / n;
  state.counters["dataflow_us"] = (fObs + fSlot) / n;
  state.counters["dataflow_over_direct"] = (fObs + fSlot) / (dObs + dSlot);
  state.counters["observe_over_direct"] = fObs / dObs;
  state.counters["staging_over_direct"] = fSlot / dSlot;
  state.counters["moves_per_step"] = moves / n;
  state.counters["chunks_per_step"] = chunks / n;
}

} // namespace

// experts, granularity, NDP units, batch, top-k
BENCHMARK(BM_NdpTp)
    ->ArgNames({"experts", "g", "units", "batch", "topk"})
    ->Args({8, 4, 8, 1, 2})    // Mixtral-8x7B, batch 1
    ->Args({64, 4, 8, 4, 6})   // DeepSeek-V2-Lite, batch 4
    ->Args({128, 4, 8, 4, 8}); // Qwen3-30B-A3B, batch 4

// mesh (0: 8x8, 1: 12x12), experts, batch, top-k
BENCHMARK(BM_WaferMigrations)
    ->ArgNames({"mesh12", "experts", "batch", "topk"})
    ->Args({0, 128, 64, 8})  // Qwen3-30B-A3B-like on 8x8: 2 experts per die
    ->Args({0, 256, 64, 8})  // DeepSeek-V3-like on 8x8: 4 experts per die
    ->Args({0, 16, 64, 2})   // 16 experts on 8x8: 4 shards each, no swap helps
    ->Args({1, 8, 64, 2});   // Mixtral-like on 12x12: 18 shards each

BENCHMARK_MAIN();
