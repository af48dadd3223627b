//===- wafer_bench.cpp - ER-Mapping + NI-Balancer vs the wafer baseline ---===//
//
// One run, one table (bench/wafer.sh drives it): for each model and batch,
// builds the row-major baseline and the ER-Mapping layout on a wafer preset,
// runs a skewed, drifting gating trace through each strategy's runtime and
// the event-driven simulator, and prints byte-hops, bottleneck link load,
// MoE compute/communication time and the migration time exposed by
// NI-Balancer and by stop-the-world staging (same layout, same trigger).
// Exposed migration time is measured, not modelled: the step graph is
// simulated twice, the second time with every migration task (transfers
// and the HBM reads and writes of the copies) turned into a zero-time
// barrier, and the makespans are subtracted.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Hw/HwDialect.h"
#include "moesaic/Dialect/Moe/MoeDialect.h"
#include "moesaic/Dialect/Moe/MoeModelDesc.h"
#include "moesaic/Dialect/Moe/MoeOps.h"
#include "moesaic/Perf/Simulator.h"
#include "moesaic/Runtime/Wafer/ERMapping.h"
#include "moesaic/Runtime/Wafer/WaferRuntime.h"
#include "moesaic/Target/HardwareFile.h"
#include "moesaic/Workload/Workload.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <limits>
#include <map>

using namespace moesaic;
using namespace moesaic::wafer;

static llvm::cl::OptionCategory benchCategory("moesaic-bench-wafer options");
static llvm::cl::list<std::string>
    modelFiles(llvm::cl::Positional, llvm::cl::desc("<model.mlir>..."),
               llvm::cl::OneOrMore, llvm::cl::cat(benchCategory));
static llvm::cl::opt<std::string>
    hwName("hw", llvm::cl::init("wafer-8x8"),
           llvm::cl::desc("wafer preset or hardware file"),
           llvm::cl::cat(benchCategory));
static llvm::cl::list<int64_t> batches("batch", llvm::cl::CommaSeparated,
                                       llvm::cl::desc("tokens per step"),
                                       llvm::cl::cat(benchCategory));
static llvm::cl::opt<int64_t> steps("steps", llvm::cl::init(12),
                                    llvm::cl::desc("decode steps simulated"),
                                    llvm::cl::cat(benchCategory));
static llvm::cl::opt<int64_t> settleSteps(
    "settle-steps", llvm::cl::init(-1),
    llvm::cl::desc("steps simulated after --steps with no new migration "
                   "decisions, so every decided move lands before the run "
                   "ends (-1: the balancer's horizon, after which a move's "
                   "chunks left are forced into the next step's slots)"),
    llvm::cl::cat(benchCategory));
static llvm::cl::opt<int64_t> horizon(
    "horizon", llvm::cl::init(-1),
    llvm::cl::desc("steps a move's chunks may wait for cold slots before "
                   "the rest are forced into the next step's slots (-1: "
                   "the balancer's default)"),
    llvm::cl::cat(benchCategory));
static llvm::cl::opt<int64_t> chunkBytes(
    "chunk-bytes", llvm::cl::init(0),
    llvm::cl::desc("largest migration chunk (0: the balancer's default, "
                   "1 MiB)"),
    llvm::cl::cat(benchCategory));
static llvm::cl::opt<std::string>
    trace("trace", llvm::cl::init("zipf:1.2,drift=0.05"),
          llvm::cl::desc("synthetic gating trace (docs/workloads.md)"),
          llvm::cl::cat(benchCategory));
static llvm::cl::opt<int64_t>
    searchIters("search", llvm::cl::init(1500),
                llvm::cl::desc("ER-Mapping's unit swaps per candidate"),
                llvm::cl::cat(benchCategory));
static llvm::cl::opt<bool>
    jsonOut("details", llvm::cl::init(false),
            llvm::cl::desc("under each table row: the layout, per-phase byte-hops, step times and ER-Mapping's candidates"),
            llvm::cl::cat(benchCategory));
static llvm::cl::opt<bool> jsonLines(
    "json", llvm::cl::init(false),
    llvm::cl::desc("print one JSON object per (model, batch) instead of the table"),
    llvm::cl::cat(benchCategory));
static llvm::cl::opt<int64_t> maxMoeLayers(
    "moe-layers", llvm::cl::init(0),
    llvm::cl::desc("simulate the model cut after this many MoE layers (0: all)"),
    llvm::cl::cat(benchCategory));

/// The model cut after its first `n` MoE layers (dense layers before them
/// kept, pre/post ops kept).
static ModelDesc truncate(const ModelDesc &m, int64_t n) {
  if (n <= 0 || n >= (int64_t)m.moeLayers.size())
    return m;
  ModelDesc out = m;
  int64_t last = m.moeLayers[n - 1].index;
  out.numLayers = last + 1;
  out.moeLayers.resize(n);
  out.denseOps.clear();
  for (const DenseOpDesc &op : m.denseOps)
    if (op.layer <= last)
      out.denseOps.push_back(op);
  return out;
}

namespace {
struct RunResult {
  double byteHops = 0, ringByteHops = 0, moeByteHops = 0;
  double bottleneckBytes = 0, moeBottleneckBytes = 0;
  double stepUs = 0, moeUs = 0, moeComputeUs = 0, moeCommUs = 0;
  double exposedUs = 0, stwUs = 0;
  int64_t moves = 0, decisions = 0, flushed = 0, hidden = 0, pending = 0;
  double analyticUs = 0;
};
} // namespace

static RunResult run(const std::string &name, Staging staging,
                     const WaferLayout &layout, const SystemModel &sys,
                     const ModelDesc &model, const GatingTrace &tr,
                     int64_t context, int64_t decidingSteps,
                     bool balance = true) {
  WaferRuntime rt(name, staging);
  BalancerConfig cfg =
      chunkBytes > 0
          ? defaultBalancerConfig(model, layout, (double)chunkBytes)
          : defaultBalancerConfig(model, layout);
  cfg.staging = staging;
  if (horizon >= 0)
    cfg.horizon = horizon;
  if (!balance) // never triggers: no migration at all
    cfg.trigger = std::numeric_limits<double>::infinity();
  llvm::json::Object sched{{"wafer", scheduleObject(layout, cfg)}};
  if (llvm::Error e = rt.load(sched, sys, model)) {
    llvm::errs() << "error: " << llvm::toString(std::move(e)) << "\n";
    std::exit(1);
  }
  rt.freezeDecisionsAfter(decidingSteps - 1);
  perf::TaskGraph graph;
  perf::TaskId cur = graph.addBarrier();
  RunResult r;
  std::vector<perf::TaskId> stepFirst;
  for (int64_t s = 0; s < tr.steps; ++s) {
    perf::StepContext ctx{sys, model, tr, s, context};
    r.analyticUs += rt.analyticStepUs(ctx);
    stepFirst.push_back((perf::TaskId)graph.size());
    cur = rt.emitStep(ctx, graph, cur);
  }
  stepFirst.push_back((perf::TaskId)graph.size());
  perf::SimResult sim = perf::simulate(graph, sys);
  perf::TaskGraph noMig = graph;
  for (size_t i = 0; i < noMig.size(); ++i)
    if (noMig[i].phase == perf::Phase::Migration &&
        noMig[i].kind != perf::TaskKind::Barrier) { // copies and HBM reads/writes
      noMig[i].kind = perf::TaskKind::Barrier;
      noMig[i].bytes = 0;
    }
  perf::SimOptions rec;
  rec.recordTasks = true;
  perf::SimResult base = perf::simulate(noMig, sys, rec);
  double n = (double)tr.steps;
  const WaferStats &st = rt.stats();
  r.ringByteHops = st.ringByteHops / n;
  r.moeByteHops = st.moeByteHops / n;
  r.byteHops = r.ringByteHops + r.moeByteHops;
  double layers = std::max<int64_t>(1, st.moeLayerSteps);
  r.bottleneckBytes = (st.ringMaxLinkBytes + st.moeMaxLinkBytes) / layers;
  r.moeBottleneckBytes = st.moeMaxLinkBytes / layers;
  r.stepUs = sim.makespanUs / n;
  r.analyticUs /= n;
  // Per step and MoE layer (no-migration run): the span of the layer's MoE
  // tasks, and within it the longest expert computation (critical compute);
  // the rest of the span is dispatch/combine communication.
  double moe = 0, moeCompute = 0;
  for (int64_t s = 0; s < tr.steps; ++s) {
    std::map<int32_t, std::array<double, 3>> span; // start, end, compute
    for (perf::TaskId i = stepFirst[s]; i < stepFirst[s + 1]; ++i) {
      const perf::Task &t = noMig[i];
      if (t.phase != perf::Phase::Moe || t.kind == perf::TaskKind::Barrier)
        continue;
      auto it = span.try_emplace(t.layer, std::array<double, 3>{1e300, 0, 0})
                    .first;
      it->second[0] = std::min(it->second[0], base.taskStart[i]);
      it->second[1] = std::max(it->second[1], base.taskEnd[i]);
      if (t.kind == perf::TaskKind::Compute)
        it->second[2] = std::max(it->second[2],
                                 base.taskEnd[i] - base.taskStart[i]);
    }
    for (auto &[l, v] : span) {
      moe += v[1] - v[0];
      moeCompute += v[2];
    }
  }
  r.moeUs = moe / n;
  r.moeComputeUs = moeCompute / n;
  r.moeCommUs = std::max(0.0, r.moeUs - r.moeComputeUs);
  r.exposedUs = (sim.makespanUs - base.makespanUs) / n;
  r.stwUs = rt.balancer()->stopTheWorldUs() / n;
  r.moves = (int64_t)rt.balancer()->moves().size();
  r.decisions = rt.balancer()->decisions();
  r.flushed = st.chunksFlushed;
  r.hidden = st.chunksHidden;
  r.pending = (int64_t)rt.balancer()->pendingMoves().size();
  return r;
}

int main(int argc, char **argv) {
  // --help lists this benchmark's options, not every LLVM backend's.
  llvm::cl::HideUnrelatedOptions(benchCategory);
  llvm::cl::ParseCommandLineOptions(argc, argv, "wafer strategies benchmark\n");
  if (batches.empty())
    batches.push_back(256);
  llvm::Expected<SystemModel> sys = loadHardware(hwName);
  if (!sys) {
    llvm::errs() << "error: " << llvm::toString(sys.takeError()) << "\n";
    return 1;
  }
  mlir::MLIRContext mctx;
  mctx.loadDialect<moe::MoeDialect, hw::HwDialect>();
  if (!jsonLines)
    llvm::outs() << llvm::formatv(
      "{0,-16} {1,5} | {2,9} {3,9} {4,6} | {5,9} {6,9} {7,6} | {8,8} {9,8} "
      "{10,8} {11,8} | {12,8} {13,8} {14,6} | {15,5}\n",
      "model", "batch", "bh base", "bh er", "cut%", "bnl base", "bnl er",
      "cut%", "moeC b", "moeC er", "moeX b", "moeX er", "mig STW",
      "mig NI", "hid%", "moves");
  for (const std::string &file : modelFiles) {
    mlir::OwningOpRef<mlir::ModuleOp> mod =
        mlir::parseSourceFile<mlir::ModuleOp>(file, &mctx);
    if (!mod) {
      llvm::errs() << "error: cannot parse '" << file << "'\n";
      return 1;
    }
    mlir::FailureOr<ModelDesc> full = moe::describeModel(moe::findModel(*mod));
    if (mlir::failed(full)) {
      llvm::errs() << "error: '" << file << "' holds no moe.model\n";
      return 1;
    }
    // The shape (ring size, memory) is decided on the whole model.
    llvm::Expected<WaferShape> shape = chooseShape(*full, *sys);
    std::optional<ModelDesc> model = truncate(*full, maxMoeLayers);
    if (!shape) {
      llvm::errs() << "error: " << llvm::toString(shape.takeError()) << "\n";
      return 1;
    }
    for (int64_t batch : batches) {
      int64_t settle = settleSteps >= 0 ? settleSteps.getValue()
                       : horizon >= 0   ? horizon.getValue()
                                        : BalancerConfig().horizon;
      llvm::Expected<WorkloadSpec> spec = parseWorkloadSpec(
          llvm::formatv("batch={0},trace={1},steps={2},seed=0", batch,
                        trace.getValue(), steps + settle)
              .str());
      if (!spec) {
        llvm::errs() << "error: " << llvm::toString(spec.takeError()) << "\n";
        return 1;
      }
      llvm::Expected<GatingTrace> tr = makeTrace(*spec, *model);
      if (!tr) {
        llvm::errs() << "error: " << llvm::toString(tr.takeError()) << "\n";
        return 1;
      }
      int64_t context = spec->context > 0 ? spec->context : 4096;
      const MoeLayerDesc &ml = model->moeLayers.front();
      // ER-Mapping's static placement sees the first step's load only
      // (a profiling batch), never the future.
      MappingProblem prob{&*sys, &ml, *shape, batch, {}};
      std::vector<int32_t> l0 = tr->expertLoad(0, 0);
      double sum = 0;
      for (int32_t x : l0)
        sum += x;
      for (int32_t x : l0)
        prob.expertShare.push_back(sum > 0 ? x / sum : 0);
      MappingReport rep;
      WaferLayout er = erMapping(prob, searchIters, 0, &rep);
      WaferLayout base = rowMajorLayout(*sys, *shape, ml.numExperts);
      RunResult b = run("wafer-baseline", Staging::StopTheWorld, base, *sys,
                        *model, *tr, context, steps);
      RunResult e = run("er-mapping", Staging::NonInvasive, er, *sys, *model,
                        *tr, context, steps);
      RunResult es = run("er-mapping", Staging::StopTheWorld, er, *sys,
                         *model, *tr, context, steps);
      // The same layout never migrating: what balancing buys at all.
      RunResult en = run("er-mapping", Staging::StopTheWorld, er, *sys,
                         *model, *tr, context, steps, /*balance=*/false);
      auto cut = [](double base, double x) {
        return base > 0 ? 100.0 * (1 - x / base) : 0.0;
      };
      if (jsonLines) {
        auto obj = [](const RunResult &r) {
          return llvm::json::Object{
              {"byte_hops", r.byteHops}, {"ring_byte_hops", r.ringByteHops},
              {"moe_byte_hops", r.moeByteHops},
              {"bottleneck_link_bytes", r.bottleneckBytes},
              {"moe_bottleneck_link_bytes", r.moeBottleneckBytes},
              {"step_us", r.stepUs}, {"analytic_step_us", r.analyticUs},
              {"moe_us", r.moeUs}, {"moe_compute_us", r.moeComputeUs},
              {"moe_comm_us", r.moeCommUs},
              {"migration_exposed_us", r.exposedUs},
              {"migration_moves", r.moves}, {"decisions", r.decisions},
              {"chunks_flushed", r.flushed}, {"chunks_hidden", r.hidden},
              {"moves_pending_at_end", r.pending}};
        };
        llvm::json::Object row{
            {"model", model->name},
            {"batch", batch},
            {"moe_layers_simulated", (int64_t)model->moeLayers.size()},
            {"moe_layers_total", (int64_t)full->moeLayers.size()},
            {"steps_deciding", steps.getValue()},
            {"steps_simulated", tr->steps},
            {"dies", shape->dies},
            {"ring_size", shape->ringSize},
            {"shards", shape->shards},
            {"layout", rep.chosen},
            {"baseline", obj(b)},
            {"er_mapping", obj(e)},
            {"er_mapping_stop_the_world", obj(es)},
            {"er_mapping_no_migration", obj(en)}};
        llvm::outs() << llvm::json::Value(std::move(row)) << "\n";
        continue;
      }
      llvm::outs() << llvm::formatv(
          "{0,-16} {1,5} | {2,9:e2} {3,9:e2} {4,6:f1} | {5,9:e2} {6,9:e2} "
          "{7,6:f1} | {8,8:f1} {9,8:f1} {10,8:f1} {11,8:f1} | {12,8:f1} "
          "{13,8:f1} {14,6:f1} | {15,5}\n",
          model->name, batch, b.byteHops, e.byteHops,
          cut(b.byteHops, e.byteHops), b.bottleneckBytes, e.bottleneckBytes,
          cut(b.bottleneckBytes, e.bottleneckBytes), b.moeComputeUs,
          e.moeComputeUs, b.moeCommUs, e.moeCommUs, es.exposedUs, e.exposedUs,
          cut(es.exposedUs, e.exposedUs), e.moves);
      if (jsonOut)
        llvm::outs() << "  layout: " << rep.chosen << "; g=" << shape->ringSize
                     << " shards=" << shape->shards
                     << "; base ring/moe bh " << b.ringByteHops << "/"
                     << b.moeByteHops << ", er ring/moe bh " << e.ringByteHops
                     << "/" << e.moeByteHops << "; step us base " << b.stepUs
                     << " (analytic " << b.analyticUs << ") er " << e.stepUs
                     << " (analytic " << e.analyticUs << ")"
                     << "; STW base exposed " << b.exposedUs
                     << "; flushed NI " << e.flushed << "/" << e.hidden
                     << "\n";
      if (jsonOut)
        for (const std::string &c : rep.candidates)
          llvm::outs() << "    candidate " << c << "\n";
    }
  }
  return 0;
}
