//===- FiddlerRuntime.cpp - Runtime of ndp-fiddler (Fiddler) --------------===//
//
// The baseline as its authors describe it: as many experts as fit are
// placed in VRAM, chosen by a popularity profile; an expert that is not in
// VRAM is computed by the host CPU where its weights live, the activations
// crossing PCIe instead of the weights, unless fetching the weights and
// computing on the GPU is estimated to be faster (Fiddler's per-expert
// latency comparison; at batch 1-4 the CPU wins). The CPU and the GPU work
// at the same time. The NDP units are used as plain host memory.
//
//===----------------------------------------------------------------------===//

#include "NdpRuntimeBase.h"

#include <optional>

using namespace moesaic;
using namespace moesaic::ndp;
using namespace moesaic::perf;

namespace {
class FiddlerRuntime : public NdpRuntimeBase {
public:
  FiddlerRuntime() : NdpRuntimeBase("ndp-fiddler") {}

protected:
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
    double gpuUs = 0, cpuUs = 0, fetchUs = 0;
    TaskId toHost = kNoTask, prevFetch = ready;
    std::vector<TaskId> cpuDone;
    for (size_t e = 0; e < load.size(); ++e) {
      if (load[e] <= 0)
        continue;
      ExpertKey k{(uint32_t)li, (int32_t)e};
      double flops = l.expertFlopsPerToken() * load[e];
      double bytes = (double)l.expertBytes();
      std::string label = "expert " + std::to_string(e);
      if (cache->set().resident(k)) {
        ++gpuHits;
        ++expertsOnGpu;
        joins.push_back(gpuCompute(graph, flops, bytes, {ready}, label));
        gpuUs += computeUs(gpu, flops, bytes);
        continue;
      }
      double onCpu = computeUs(*host, flops, bytes);
      double viaGpu = sys->transferUs(*host, gpu, (int64_t)bytes) +
                      computeUs(gpu, flops, bytes);
      if (viaGpu < onCpu) {
        ++expertsFetched;
        ++expertsOnGpu;
        prevFetch = transfer(graph, *host, gpu, bytes, {prevFetch});
        joins.push_back(gpuCompute(graph, flops, bytes, {prevFetch}, label));
        fetchUs += viaGpu;
        continue;
      }
      ++expertsOnCpu;
      if (toHost == kNoTask)
        toHost = transfer(graph, gpu, *host, act, {ready});
      cpuDone.push_back(unitCompute(graph, *host, flops, bytes, {toHost},
                                    label + " (cpu)"));
      cpuUs += onCpu;
    }
    double back = 0;
    if (!cpuDone.empty()) {
      joins.push_back(transfer(graph, *host, gpu, act, cpuDone));
      back = 2 * sys->transferUs(gpu, *host, (int64_t)act);
    }
    analyticUs += std::max({gpuUs, cpuUs + back, fetchUs});
    return graph.add(Task{}, joins);
  }

private:
  std::optional<StaticExpertCache> cache;
};
} // namespace

std::unique_ptr<StrategyRuntime> createFiddlerRuntime() {
  return std::make_unique<FiddlerRuntime>();
}
