//===- NdpTpRuntime.cpp - Runtime of ndp-tp -------------------------------===//
//
// Per MoE layer: the balancer (Balancer.h) splits the activated experts'
// slices between the GPU (experts the prefetcher has in VRAM) and the NDP
// units (every expert, each unit computing its tensor-parallel rows in
// place); the units' partial results are reduced where the plan says; after
// the layer, the prefetcher sends queued experts over PCIe in the window
// before the next layer needs the link. With useDataflowDecisions() (moe-opt
// --runtime=dataflow) each layer's works and GPU/NDP split come from its
// when/where program instead (docs/dataflow.md); the results are the same.
//
//===----------------------------------------------------------------------===//

#include "NdpRuntimeBase.h"
#include "moesaic/Runtime/Dataflow/NdpTpInterpreter.h"

#include <algorithm>
#include <map>
#include <optional>

using namespace moesaic;
using namespace moesaic::ndp;
using namespace moesaic::perf;

namespace {
class NdpTpRuntime : public NdpRuntimeBase {
public:
  NdpTpRuntime() : NdpRuntimeBase("ndp-tp") {}

  /// Per-layer GPU/NDP decisions from the schedule's when/where programs
  /// (moe-df-lower-ndp-tp), run by dataflow::NdpTpInterpreter
  /// (docs/dataflow.md): the same decisions as the direct balancer.
  llvm::Error useDataflowDecisions() override {
    dataflowPath = true;
    return llvm::Error::success();
  }

  llvm::Error load(const llvm::json::Object &schedule,
                   const SystemModel &system,
                   const ModelDesc &model) override {
    if (llvm::Error e = NdpRuntimeBase::load(schedule, system, model))
      return e;
    programs.clear();
    if (!dataflowPath)
      return llvm::Error::success();
    dataflow::SchedulePrograms byLayer(schedule);
    for (const MoeLayerDesc &l : model.moeLayers) {
      if (!byLayer.has(l.index))
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "schedule for 'ndp-tp': layer " + std::to_string(l.index) +
                " has no \"dataflow\" program (run moe-df-lower-ndp-tp)");
      llvm::Expected<dataflow::Program> prog = byLayer.load(l.index);
      if (!prog)
        return prog.takeError();
      auto interp = dataflow::NdpTpInterpreter::create(
          std::move(*prog), l.numExperts, plan.granularity,
          (unsigned)units.size());
      if (!interp)
        return interp.takeError();
      programs.push_back(std::move(*interp));
    }
    return llvm::Error::success();
  }

protected:
  llvm::Error init() override {
    PrefetchConfig cfg;
    cfg.budgetBytes = plan.vram.expertCacheBytes;
    cfg.decay = plan.decay;
    cfg.hysteresis = plan.hysteresis;
    prefetcher.emplace(numExperts(), expertBytes(), cfg);
    loadDone.assign(prefetcher->histogram().size(), kNoTask);
    if (auto link = sys->directLink(*host, gpu))
      pcieGBps = sys->links[*link].bandwidthGBps;
    else
      pcieGBps = 1e9 / (sys->transferUs(*host, gpu, 1000000000) * 1e3);
    for (const NdpPlan::Layer &l : plan.layers) {
      auto r = l.reduceOn.empty() ? std::optional<unsigned>(gpu)
                                  : sys->lookup(l.reduceOn);
      reduceDev.push_back(*r);
    }
    return llvm::Error::success();
  }

  int64_t cachedExpertBytes() const override {
    return prefetcher->set().usedBytes();
  }
  bool sharedInMoeEstimate() const override { return true; }

  TaskId emitMoe(const StepContext &ctx, TaskGraph &graph, size_t li,
                 const std::vector<int32_t> &load, TaskId ready,
                 double &analyticUs) override {
    const MoeLayerDesc &l = mdl->moeLayers[li];
    int64_t batch = ctx.trace.batch;
    double act = actBytes(li, batch);
    std::vector<uint8_t> inVram(load.size(), 0);
    for (size_t e = 0; e < load.size(); ++e)
      inVram[e] = prefetcher->ready(ExpertKey{(uint32_t)li, (int32_t)e});
    BalanceCosts costs = balanceCosts(li);
    unsigned red = reduceDev[li];
    // Fixed NDP cost: activations to the units, partials to the reduction
    // point (shared links serialised), the adds, the result to the GPU.
    double in = sys->transferUs(gpu, *host, (int64_t)act) +
                sys->transferUs(*host, units.front(), (int64_t)act);
    costs.ndpFixedUs = in + reductionUs(*sys, gpu, red, (int64_t)act);
    // Shared experts run on the GPU beside the routed ones.
    if (l.sharedExperts > 0)
      costs.gpuFixedUs = computeUs(gpu, l.sharedFlopsPerToken() * batch,
                                   (double)l.sharedBytes());
    std::vector<ExpertWork> works;
    BalancePlan bp;
    const std::vector<int32_t> *observed = &load;
    if (dataflowPath) {
      // The layer's when/where program decides (the same works and plan).
      const dataflow::NdpTpDecision &d = programs[li]->decide(
          (unsigned)batch, ctx.trace.experts(ctx.step, li, 0),
          (unsigned)ctx.trace.topK[li], inVram, (double)l.expertBytes(),
          l.expertFlopsPerToken(), costs);
      works = d.works;
      bp = d.plan;
      observed = &d.load;
    } else {
      works = layerWork(load, (double)l.expertBytes(),
                        l.expertFlopsPerToken(), inVram);
      bp = balanceLayer(works, costs);
    }
    for (const ExpertWork &w : works)
      gpuHits += w.onGpu;
    analyticUs += bp.makespanUs();

    auto keyOf = [&](int32_t e) { return ExpertKey{(uint32_t)li, e}; };
    auto workOf = [&](int32_t e) -> const ExpertWork & {
      for (const ExpertWork &w : works)
        if (w.expert == e)
          return w;
      return works.front();
    };
    double g = costs.granularity;
    std::vector<TaskId> joins;
    for (const SlicePiece &p : bp.gpu) {
      const ExpertWork &w = workOf(p.expert);
      double frac = (p.sliceEnd - p.sliceBegin) / g;
      TaskId dep = loadDone[prefetcher->histogram().flat(keyOf(p.expert))];
      joins.push_back(gpuCompute(graph, w.flops * frac, w.bytes * frac,
                                 {ready, dep},
                                 "expert " + std::to_string(p.expert) +
                                     " (vram)"));
      ++expertsOnGpu;
    }
    if (!bp.ndp.empty()) {
      expertsOnNdp += bp.ndp.size();
      TaskId toHost = transfer(graph, gpu, *host, act, {ready});
      std::vector<TaskId> partials;
      for (size_t u = 0; u < units.size(); ++u) {
        TaskId inU = transfer(graph, *host, units[u], act, {toHost});
        TaskId last = inU;
        for (const SlicePiece &p : bp.ndp) {
          const ExpertWork &w = workOf(p.expert);
          double frac = (p.sliceEnd - p.sliceBegin) / g * costs.unitFraction[u];
          last = unitCompute(graph, units[u], w.flops * frac, w.bytes * frac,
                             {inU, last},
                             "expert " + std::to_string(p.expert) + " rows " +
                                 std::to_string(u));
          unitBusyUs[u] += computeUs(units[u], w.flops * frac, w.bytes * frac);
        }
        partials.push_back(units[u] == red
                               ? last
                               : transfer(graph, units[u], red, act, {last}));
      }
      TaskId reduced = unitCompute(graph, red, units.size() * act / 2.0, 0,
                                   partials, "reduce partials");
      joins.push_back(red == gpu ? reduced
                                 : transfer(graph, red, gpu, act, {reduced}));
    }
    joins.push_back(ready);
    TaskId done = graph.add(Task{}, joins);

    // Learn from this layer's routing, then use the idle PCIe window until
    // the next layer's results come back to prefetch queued experts.
    prefetcher->observe(li, *observed);
    double windowUs = bp.makespanUs() + denseUs(li, batch, ctx.context);
    int64_t budget = (int64_t)(0.8 * windowUs * pcieGBps * 1e3);
    stepWindowBytes += budget;
    std::vector<OnlinePrefetcher::Chunk> chunks;
    prefetcher->drain(budget, plan.chunkBytes, chunks);
    TaskId prevChunk = done;
    graph.setPhase(Phase::Migration);
    graph.setLabel("prefetch");
    for (const OnlinePrefetcher::Chunk &c : chunks) {
      prevChunk = transfer(graph, *host, gpu, (double)c.bytes,
                           {prevChunk, lastChunk}, /*priority=*/1);
      lastChunk = prevChunk;
      prefetchedBytes += c.bytes;
      if (c.last) {
        loadDone[prefetcher->histogram().flat(c.key)] = prevChunk;
        ++expertsFetched;
      }
    }
    graph.setPhase(Phase::Moe);
    return done;
  }

  void endStep(const StepContext &ctx) override {
    // Queue no more than PCIe can deliver in the idle windows of about one
    // step: a longer queue would evict ready experts for loads that land
    // too late to be used.
    prefetcher->setMaxQueuedBytes(
        std::max<int64_t>(stepWindowBytes, mdl->moeLayers.front().expertBytes()));
    stepWindowBytes = 0;
    std::vector<ExpertKey> evicted;
    prefetcher->replan(&evicted);
    evictions += evicted.size();
    for (const ExpertKey &k : evicted)
      loadDone[prefetcher->histogram().flat(k)] = kNoTask;
  }

  void reportExtra(llvm::json::Object &o) const override {
    o["decisions"] = dataflowPath ? "dataflow" : "direct";
    o["prefetched_bytes"] = prefetchedBytes;
    o["evictions"] = evictions;
    llvm::json::Array reds;
    for (unsigned r : reduceDev)
      reds.push_back(sys->devices[r].name);
    o["reduce_on"] = reds.empty() ? llvm::json::Value("") : reds.front();
  }

private:
  /// GPU time of the dense ops of the transformer layer after MoE layer li.
  double denseUs(size_t li, int64_t batch, int64_t context) const {
    int64_t next = li + 1 < mdl->moeLayers.size()
                       ? mdl->moeLayers[li + 1].index
                       : mdl->moeLayers.front().index;
    double us = 0;
    for (const DenseOpDesc &op : mdl->denseOps)
      if (op.layer == next)
        us += computeUs(gpu, op.flopsPerToken * batch,
                        op.weightBytes + (double)op.kvBytesPerContextToken *
                                             context * batch);
    return us;
  }

  bool dataflowPath = false;
  std::vector<std::unique_ptr<dataflow::NdpTpInterpreter>> programs;
  std::optional<OnlinePrefetcher> prefetcher;
  std::vector<TaskId> loadDone;
  std::vector<unsigned> reduceDev;
  TaskId lastChunk = kNoTask;
  double pcieGBps = 0;
  int64_t prefetchedBytes = 0, evictions = 0, stepWindowBytes = 0;
};
} // namespace

std::unique_ptr<StrategyRuntime> createNdpTpRuntime() {
  return std::make_unique<NdpTpRuntime>();
}
