//===- FseDpRuntime.cpp - Runtime half of --strategy=fse-dp ---------------===//
//
// Loads the FSE-DP schedule (hw.stream_* entries, FseDpPlan.h) and expands
// each decode step: dense layers as the schedule places them (the
// strategies' StepEmitter), and every MoE layer as expert streams: the
// runtime scheduler (TrajectoryScheduler) decides trajectories and order
// from the step's actual gating, the stream emitter turns the decision into
// Loads, hop-by-hop D2D Transfers and holder Computes with buffer
// allocation (StreamEmitter.h). Tokens never move: when the dense part left
// every token on every chiplet (tensor parallel), each active expert gets
// one holder, spread around the ring (rule V4), or one per ring segment
// sharing its shards (rule V6, when the schedule's `holders` is "split"),
// and the holders' partial outputs are all-reduced; otherwise the tokens'
// home chiplets are the holders.
//
// With useDataflowDecisions() (moe-opt --runtime=dataflow) the decisions
// come instead from each layer's when/where program in the schedule JSON
// (its "dataflow" object, moe-df-lower-fsedp), run by
// dataflow::FseDpInterpreter (docs/dataflow.md). The stream emitter reads
// per-holder token counts from the TrajectoryScheduler it is given
// (StreamEmitter.h), so that scheduler still gathers the batch's counts;
// the trajectories, order, ticks and holders emitted are the program's.
//
// With useCoarseTasks() (moe-opt --task-granularity=coarse) each MoE layer
// is emitted as one task per busy chiplet DRAM, link and compute engine
// (CoarseStreamEmitter.h) instead of per shard chunk, and every ring
// collective (the tensor-parallel dense layers' all-reduces) as one
// transfer per ring link instead of up to 30 stages.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Runtime/Dataflow/FseDpInterpreter.h"
#include "moesaic/Runtime/FseDp/CoarseStreamEmitter.h"
#include "moesaic/Runtime/FseDp/FseDpPlan.h"
#include "moesaic/Runtime/FseDp/StreamEmitter.h"
#include "moesaic/Runtime/FseDp/TrajectoryScheduler.h"
#include "moesaic/Strategies/Emit.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <map>
#include <memory>

using namespace moesaic;
using namespace moesaic::perf;

namespace {

class FseDpRuntime : public StrategyRuntime {
public:
  llvm::Error useDataflowDecisions() override {
    dataflowPath = true;
    return llvm::Error::success();
  }

  bool useCoarseTasks() override {
    coarseTasks = true;
    return true;
  }

  llvm::Error load(const llvm::json::Object &schedule,
                   const SystemModel &system,
                   const ModelDesc &model) override {
    auto parsed = parseSchedule(schedule, system, model);
    if (!parsed)
      return parsed.takeError();
    tables = std::move(*parsed);
    llvm::Expected<fsedp::Plan> plan =
        fsedp::planFromSchedule(schedule, system, model);
    if (!plan)
      return plan.takeError();
    this->plan = std::move(*plan);
    schedulers.clear();
    for (const fsedp::LayerPlan &l : this->plan.layers)
      schedulers.push_back(std::make_unique<fsedp::TrajectoryScheduler>(
          l.schedulerConfig(this->plan.ring.size())));
    interpreters.clear();
    if (dataflowPath)
      return loadPrograms(schedule);
    return llvm::Error::success();
  }

  TaskId emitStep(const StepContext &ctx, TaskGraph &graph,
                  TaskId start) override {
    StepEmitter emitter(ctx, graph, start);
    if (coarseTasks)
      emitter.maxRingStages = 1;
    TaskId end = emitLayers(emitter, tables,
                            [&](StepEmitter &em, const MoeLayerDesc &l,
                                size_t m, const LayerSchedule *layer) {
                              moe(em, l, m, layer, /*analytic=*/nullptr);
                            });
    // Speed (docs/performance.md): the closed form of this very step, from
    // the tasks just emitted, as the baselines do (Baselines.cpp): emitting
    // the step again into a scratch graph for analyticStepUs, trajectory
    // decisions included, was a fifth of a DeepSeek-V3 evaluation.
    lastAnalytic.set(ctx, emitter.analyticUs());
    return end;
  }

  double analyticStepUs(const StepContext &ctx) override {
    if (const double *us = lastAnalytic.find(ctx))
      return *us;
    TaskGraph scratch;
    TaskId start = scratch.addBarrier();
    StepEmitter emitter(ctx, scratch, start);
    if (coarseTasks)
      emitter.maxRingStages = 1;
    double streams = 0;
    emitLayers(emitter, tables,
               [&](StepEmitter &em, const MoeLayerDesc &l, size_t m,
                   const LayerSchedule *layer) {
                 moe(em, l, m, layer, &streams);
               });
    return emitter.analyticUs();
  }

  std::string analyticNote() const override {
    return "the closed form adds, stage by stage (dense op, router, expert "
           "streams, all-reduce steps), the busiest resource's uncontended "
           "work; for the streams that is the busiest DRAM channel or ring "
           "link, so pipeline fill along the arcs and link queueing are "
           "left out";
  }

  void report(llvm::json::Object &result) const override {
    double layers = std::max<int64_t>(decisions, 1);
    result["fse_dp"] = llvm::json::Object{
        {"ring_rule", plan.ring.rule},
        {"decisions", dataflowPath ? "dataflow" : "direct"},
        {"stream_buffer_bytes", plan.streamBufferBytes()},
        {"mean_active_experts", activeExperts / layers},
        {"mean_arc_hops", arcHops / std::max(activeExperts, 1.0)},
        {"mean_holders_per_expert",
         holders / std::max(activeExperts, 1.0)},
        {"mean_granules_per_shard", granules / layers},
        {"scheduler_makespan_us", predictedUs / layers}};
  }

private:
  /// One interpreter per MoE layer from the layers' "dataflow" programs.
  llvm::Error loadPrograms(const llvm::json::Object &schedule) {
    dataflow::SchedulePrograms programs(schedule);
    for (const fsedp::LayerPlan &l : plan.layers) {
      if (!programs.has(l.layer))
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            llvm::formatv("layer {0} has no \"dataflow\" program in the "
                          "schedule (run moe-df-lower-fsedp)",
                          l.layer));
      llvm::Expected<dataflow::Program> prog = programs.load(l.layer);
      if (!prog)
        return prog.takeError();
      auto interp = dataflow::FseDpInterpreter::create(
          std::move(*prog), l.schedulerConfig(plan.ring.size()));
      if (!interp)
        return interp.takeError();
      interpreters.push_back(std::move(*interp));
    }
    return llvm::Error::success();
  }

  void moe(StepEmitter &em, const MoeLayerDesc &l, size_t m,
           const LayerSchedule *layer, double *analytic) {
    const fsedp::RingEmbedding &ring = plan.ring;
    int64_t batch = em.home.size();
    em.router(l);
    // Shared experts beside the streams (tensor parallel when the schedule
    // says so, data parallel otherwise).
    if (l.sharedExperts > 0) {
      const DensePlacement *p = findDense(layer, "shared_experts");
      DensePlacement all{"shared_experts", em.accel, DenseMode::Data};
      em.sharedExperts(l, p ? *p : all);
    }
    // Rule V4: when every chiplet holds every token (tensor-parallel dense
    // before), nothing needs to move: the scheduler picks one holder per
    // expert, spread around the ring; the partial outputs are summed by an
    // all-reduce as tensor parallelism does. Otherwise tokens stay on
    // their homes and every home chiplet is a holder.
    bool replicated = std::all_of(
        ring.logicalToPhysical.begin(), ring.logicalToPhysical.end(),
        [&](unsigned d) { return llvm::is_contained(em.replicatedOn, d); });
    std::vector<uint16_t> pos;
    if (!replicated) {
      pos.resize(batch);
      for (int64_t t = 0; t < batch; ++t) {
        int p = ring.physicalToLogical[em.home[t]];
        pos[t] = p < 0 ? 0 : p;
      }
    }
    fsedp::TrajectoryScheduler &sched = *schedulers[m];
    const fsedp::LayerPlan &lp = plan.layers[m];
    const uint16_t *at = replicated ? nullptr : pos.data();
    const int32_t *picks = em.ctx.trace.experts(em.ctx.step, m, 0);
    // The emitter's per-holder token counts come from `sched`.
    const fsedp::Decision &direct = sched.decide(batch, at, picks, l.topK);
    const fsedp::Decision &d =
        dataflowPath ? interpreters[m]->decide(batch, at, picks, l.topK)
                     : direct;
    if (!analytic) {
      ++decisions;
      activeExperts += d.experts.size();
      for (const fsedp::ExpertDecision &e : d.experts) {
        arcHops += e.arcLen;
        holders += __builtin_popcountll(e.holders);
      }
      predictedUs += d.makespanTicks * lp.usPerTick;
    }
    em.beginStage();
    fsedp::StreamEmitOptions options;
    options.add = [&](Task t, const std::vector<TaskId> &deps) {
      return em.add(t, deps);
    };
    fsedp::StreamEmitStats stats;
    std::vector<TaskId> done =
        coarseTasks
            ? fsedp::emitStreamedExpertsCoarse(em.graph, em.system, ring, lp,
                                               l, sched, d, em.ready, options,
                                               &stats)
            : fsedp::emitStreamedExperts(em.graph, em.system, ring, lp, l,
                                         sched, d, em.ready, options, &stats);
    if (!analytic)
      granules += stats.granulesPerShard;
    for (unsigned dev : ring.logicalToPhysical)
      em.ready[dev] = done[dev];
    if (replicated) {
      // Partial outputs on the experts' holders: summed on every chiplet.
      em.graph.setLabel(
          llvm::formatv("L{0} expert all-reduce", l.index).str());
      std::vector<TaskId> deps;
      for (unsigned dev : ring.logicalToPhysical) {
        deps = em.side[dev];
        em.side[dev].clear();
        deps.push_back(em.ready[dev]);
        Task barrier;
        em.ready[dev] = em.add(barrier, deps);
      }
      em.allReduce(ring.logicalToPhysical, batch * (double)l.tokenBytes());
      em.replicatedOn = ring.logicalToPhysical;
      return;
    }
    em.joinSide();
    // Each token's result is on its home chiplet only.
    em.replicatedOn.clear();
  }

  ScheduleTables tables;
  fsedp::Plan plan;
  std::vector<std::unique_ptr<fsedp::TrajectoryScheduler>> schedulers;
  bool dataflowPath = false;
  /// --task-granularity=coarse (CoarseStreamEmitter.h).
  bool coarseTasks = false;
  std::vector<std::unique_ptr<dataflow::FseDpInterpreter>> interpreters;
  int64_t decisions = 0;
  double activeExperts = 0, arcHops = 0, holders = 0, granules = 0,
         predictedUs = 0;
  StepAnalyticCache lastAnalytic;
};

} // namespace

namespace moesaic::fsedp {
void registerFseDpRuntime() {
  registerRuntime("fse-dp", [] { return std::make_unique<FseDpRuntime>(); });
}
} // namespace moesaic::fsedp
