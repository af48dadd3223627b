//===- OnDemandRuntime.cpp - Runtime of ndp-ondemand (MoE-OnDemand) -------===//
//
// The baseline as its authors describe it: experts live in host memory;
// when the router picks an expert that is not in the GPU's VRAM cache, the
// expert is fetched over PCIe on demand (evicting the least recently used
// experts) and every expert is computed on the GPU. Fetches of one layer's
// misses are issued together as soon as the gating is known, so a fetch
// overlaps the GPU computing the experts already present.
//
//===----------------------------------------------------------------------===//

#include "NdpRuntimeBase.h"

#include <optional>

using namespace moesaic;
using namespace moesaic::ndp;
using namespace moesaic::perf;

namespace {
class OnDemandRuntime : public NdpRuntimeBase {
public:
  OnDemandRuntime() : NdpRuntimeBase("ndp-ondemand") {}

protected:
  llvm::Error init() override {
    cache.emplace(numExperts(), expertBytes(), plan.vram.expertCacheBytes);
    return llvm::Error::success();
  }
  int64_t cachedExpertBytes() const override {
    return cache->set().usedBytes();
  }

  TaskId emitMoe(const StepContext &ctx, TaskGraph &graph, size_t li,
                 const std::vector<int32_t> &load, TaskId ready,
                 double &analyticUs) override {
    const MoeLayerDesc &l = mdl->moeLayers[li];
    std::vector<ExpertKey> pinned;
    for (size_t e = 0; e < load.size(); ++e)
      if (load[e] > 0)
        pinned.push_back({(uint32_t)li, (int32_t)e});
    std::vector<TaskId> joins{ready};
    double gpuUs = 0, fetchUs = 0;
    TaskId prevFetch = ready;
    for (const ExpertKey &k : pinned) {
      std::vector<ExpertKey> evicted;
      bool hit = cache->access(k, pinned, evicted);
      double flops = l.expertFlopsPerToken() * load[k.expert];
      double bytes = (double)l.expertBytes();
      TaskId dep = ready;
      if (hit) {
        ++gpuHits;
      } else {
        // Expert does not fit at all (budget smaller than one expert):
        // still fetched, into workspace, and dropped after use.
        graph.setLabel("fetch expert " + std::to_string(k.expert));
        dep = prevFetch = transfer(graph, *host, gpu, bytes, {prevFetch});
        fetchUs += sys->transferUs(*host, gpu, (int64_t)bytes);
        ++expertsFetched;
      }
      joins.push_back(gpuCompute(graph, flops, bytes, {ready, dep},
                                 "expert " + std::to_string(k.expert)));
      gpuUs += computeUs(gpu, flops, bytes);
      ++expertsOnGpu;
    }
    // Fetches and computes pipeline: the GPU waits for the PCIe queue.
    analyticUs += std::max(gpuUs, fetchUs) +
                  (pinned.empty() ? 0.0 : gpuUs / pinned.size());
    return graph.add(Task{}, joins);
  }

private:
  std::optional<LruExpertCache> cache;
};
} // namespace

std::unique_ptr<StrategyRuntime> createOnDemandRuntime() {
  return std::make_unique<OnDemandRuntime>();
}
