//===- MondeRuntime.cpp - Runtime of ndp-monde (MoNDE, DAC'24) ------------===//
//
// The baseline as its authors describe it: hot experts, found by profiling,
// are kept on the GPU; cold experts are computed near data by the NDP
// units under expert parallelism, each whole expert on the unit whose DIMM
// holds it (round-robin placement by expert id). Only activations move:
// the GPU sends the layer's tokens to the units that have work (through the
// host) and each unit returns its experts' outputs; the GPU computes its
// hot experts meanwhile. A unit that draws several cold experts of a layer
// computes them one after another: the imbalance ndp-tp removes.
//
//===----------------------------------------------------------------------===//

#include "NdpRuntimeBase.h"

#include <map>
#include <optional>

using namespace moesaic;
using namespace moesaic::ndp;
using namespace moesaic::perf;

namespace {
class MondeRuntime : public NdpRuntimeBase {
public:
  MondeRuntime() : NdpRuntimeBase("ndp-monde") {}

protected:
  llvm::Error init() override {
    for (const NdpPlan::Layer &l : plan.layers) {
      std::vector<unsigned> place;
      for (const std::string &n : l.expertUnit)
        place.push_back(*sys->lookup(n));
      if (place.empty())
        for (int64_t e = 0; e < mdl->moeLayers[placement.size()].numExperts;
             ++e)
          place.push_back(units[e % units.size()]);
      placement.push_back(std::move(place));
    }
    return llvm::Error::success();
  }
  int64_t cachedExpertBytes() const override {
    return cache ? cache->set().usedBytes() : 0;
  }

  TaskId emitMoe(const StepContext &ctx, TaskGraph &graph, size_t li,
                 const std::vector<int32_t> &load, TaskId ready,
                 double &analyticUs) override {
    if (!cache)
      cache.emplace(numExperts(), expertBytes(), plan.vram.expertCacheBytes,
                    profileOf(ctx.trace));
    const MoeLayerDesc &l = mdl->moeLayers[li];
    int64_t batch = ctx.trace.batch;
    double act = actBytes(li, batch);
    std::vector<TaskId> joins{ready};
    double gpuUs = 0;
    // Cold experts grouped by the unit holding them.
    std::map<unsigned, std::vector<size_t>> perUnit;
    for (size_t e = 0; e < load.size(); ++e) {
      if (load[e] <= 0)
        continue;
      ExpertKey k{(uint32_t)li, (int32_t)e};
      double flops = l.expertFlopsPerToken() * load[e];
      double bytes = (double)l.expertBytes();
      if (cache->set().resident(k)) {
        ++gpuHits;
        ++expertsOnGpu;
        joins.push_back(gpuCompute(graph, flops, bytes, {ready},
                                   "expert " + std::to_string(e) + " (hot)"));
        gpuUs += computeUs(gpu, flops, bytes);
      } else {
        perUnit[placement[li][e]].push_back(e);
      }
    }
    double ndpUs = 0;
    if (!perUnit.empty()) {
      TaskId toHost = transfer(graph, gpu, *host, act, {ready});
      for (auto &[unit, experts] : perUnit) {
        size_t u = 0;
        while (units[u] != unit)
          ++u;
        TaskId last = transfer(graph, *host, unit, act, {toHost});
        double us = 0;
        for (size_t e : experts) {
          double flops = l.expertFlopsPerToken() * load[e];
          double bytes = (double)l.expertBytes();
          last = unitCompute(graph, unit, flops, bytes, {last},
                             "expert " + std::to_string(e));
          double t = computeUs(unit, flops, bytes);
          unitBusyUs[u] += t;
          us += t;
          ++expertsOnNdp;
        }
        // Each unit returns its experts' summed outputs to the GPU.
        joins.push_back(transfer(graph, unit, gpu, act, {last}));
        ndpUs = std::max(ndpUs, us + sys->transferUs(unit, gpu, (int64_t)act));
      }
      ndpUs += sys->transferUs(gpu, units.front(), (int64_t)act);
    }
    analyticUs += std::max(gpuUs, ndpUs);
    return graph.add(Task{}, joins);
  }

private:
  std::optional<StaticExpertCache> cache;
  std::vector<std::vector<unsigned>> placement;
};
} // namespace

std::unique_ptr<StrategyRuntime> createMondeRuntime() {
  return std::make_unique<MondeRuntime>();
}
