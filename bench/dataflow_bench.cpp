//===- dataflow_bench.cpp - when/where program vs direct fse-dp scheduler -===//
//
// Per-decision cost of running an fse-dp layer's df.program (the dataflow
// interpreter, lib/Runtime/Dataflow) against the direct runtime scheduler
// (fsedp::TrajectoryScheduler::decide), on the same pre-drawn gatings. Each
// iteration times a block of 64 decisions of each in thread CPU time (the
// machine is shared). Prints `direct_us`, `dataflow_us` and
// `dataflow_over_direct` (the ratio). The interpreter reproduces the whole
// decision itself (graph events plus the plain-code booking,
// docs/dataflow.md); the ratio is the price of executing the decision as
// when/where token events. `replicated` = 1 runs rule V4 (tokenPos null:
// every chiplet holds every token, one holder per expert).
//
//   build/bin/dataflow_bench
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Df/DfOps.h"
#include "moesaic/Runtime/Dataflow/FseDpInterpreter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include <benchmark/benchmark.h>

#include <ctime>
#include <random>
#include <set>

using namespace moesaic;

namespace {

double cpuUs() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

void BM_DataflowVsDirect(benchmark::State &state) {
  unsigned n = state.range(0), experts = state.range(1),
           tokens = state.range(2), topK = state.range(3),
           chunks = state.range(4);
  const bool replicated = state.range(5) != 0;
  fsedp::SchedulerConfig cfg;
  cfg.numChiplets = n;
  cfg.numExperts = experts;
  cfg.chunksPerShard = chunks;
  cfg.dramTicksPerChunk = 30;
  cfg.computeTicksPerTokenChunk = 1;

  mlir::MLIRContext ctx;
  ctx.loadDialect<df::DfDialect>();
  mlir::OpBuilder b(&ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::ModuleOp::create(b.getUnknownLoc());
  b.setInsertionPointToEnd(module->getBody());
  llvm::Expected<dataflow::Program> prog =
      dataflow::programFromJson(df::programToJson(
          df::buildFseDpProgram(b, b.getUnknownLoc(), 0, n, experts, chunks)));
  if (!prog) {
    state.SkipWithError(llvm::toString(prog.takeError()).c_str());
    return;
  }
  auto interp = dataflow::FseDpInterpreter::create(std::move(*prog), cfg);
  if (!interp) {
    state.SkipWithError(llvm::toString(interp.takeError()).c_str());
    return;
  }
  fsedp::TrajectoryScheduler direct(cfg);

  std::mt19937 rng(42);
  const unsigned kBatches = 64;
  std::vector<std::vector<uint16_t>> pos(kBatches);
  std::vector<std::vector<int32_t>> picks(kBatches);
  for (unsigned i = 0; i < kBatches; ++i)
    for (unsigned t = 0; t < tokens; ++t) {
      pos[i].push_back(t % n);
      std::set<int32_t> s;
      while (s.size() < topK)
        s.insert(rng() % experts);
      picks[i].insert(picks[i].end(), s.begin(), s.end());
    }

  double directUs = 0, dataflowUs = 0;
  size_t blocks = 0;
  for (auto _ : state) {
    double t0 = cpuUs();
    for (unsigned i = 0; i < kBatches; ++i)
      benchmark::DoNotOptimize(
          direct.decide(tokens, replicated ? nullptr : pos[i].data(),
                        picks[i].data(), topK)
              .makespanTicks);
    double t1 = cpuUs();
    for (unsigned i = 0; i < kBatches; ++i)
      benchmark::DoNotOptimize(
          (*interp)->decide(tokens, replicated ? nullptr : pos[i].data(),
                            picks[i].data(), topK)
              .makespanTicks);
    double t2 = cpuUs();
    directUs += t1 - t0;
    dataflowUs += t2 - t1;
    ++blocks;
  }
  double d = directUs / (blocks * kBatches),
         f = dataflowUs / (blocks * kBatches);
  state.counters["direct_us"] = d;
  state.counters["dataflow_us"] = f;
  state.counters["dataflow_over_direct"] = f / d;
}

} // namespace

// chiplets, experts, batch, top-k, chunks per shard, replicated tokens
BENCHMARK(BM_DataflowVsDirect)
    ->ArgNames({"chiplets", "experts", "batch", "topk", "chunks", "repl"})
    ->Args({4, 8, 8, 2, 1, 0})    // Mixtral-like on 4 chiplets
    ->Args({4, 8, 8, 2, 16, 0})   // same, 16 chunk tokens per shard
    ->Args({8, 64, 8, 6, 2, 0})
    ->Args({16, 256, 16, 8, 2, 0}) // the scheduler's target configuration
    ->Args({8, 64, 8, 6, 2, 1})    // tensor-parallel dense before (V4)
    ->Args({16, 256, 16, 8, 2, 1});

BENCHMARK_MAIN();
