//===- NdpRuntimeBase.h - What the GPU-NDP runtimes share -------*- C++ -*-===//
//
// The decode step every GPU-NDP strategy runs: the dense part (attention,
// dense FFNs, routers, shared experts) on the GPU from VRAM, and per MoE
// layer a strategy-specific expert phase (`emitMoe`). Also the statistics
// the report gets (PCIe bytes, VRAM in use, NDP busy time per unit).
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_LIB_RUNTIME_NDP_NDPRUNTIMEBASE_H
#define MOESAIC_LIB_RUNTIME_NDP_NDPRUNTIMEBASE_H

#include "moesaic/Perf/StrategyRuntime.h"
#include "moesaic/Runtime/Ndp/Balancer.h"
#include "moesaic/Runtime/Ndp/ExpertCache.h"
#include "moesaic/Runtime/Ndp/NdpPlan.h"

#include <map>

namespace moesaic::ndp {

class NdpRuntimeBase : public perf::StrategyRuntime {
public:
  explicit NdpRuntimeBase(std::string name) : name(std::move(name)) {}

  llvm::Error load(const llvm::json::Object &schedule,
                   const SystemModel &system, const ModelDesc &model) override;
  perf::TaskId emitStep(const perf::StepContext &ctx, perf::TaskGraph &graph,
                        perf::TaskId start) override;
  double analyticStepUs(const perf::StepContext &ctx) override;
  std::string analyticNote() const override;
  void report(llvm::json::Object &result) const override;
  std::vector<int64_t> vramBytes() const override;

protected:
  /// Strategy-specific set-up after the plan is read.
  virtual llvm::Error init() { return llvm::Error::success(); }
  /// Emits MoE layer `li` (index into moeLayers) of the step: routed
  /// experts of `load` (tokens per expert), starting after `ready` (router
  /// done on the GPU). Returns the task after which the layer's output is
  /// on the GPU. Adds its closed-form estimate of the phase to `analyticUs`.
  virtual perf::TaskId emitMoe(const perf::StepContext &ctx,
                               perf::TaskGraph &graph, size_t li,
                               const std::vector<int32_t> &load,
                               perf::TaskId ready, double &analyticUs) = 0;
  /// Whether emitMoe's estimate already covers the shared experts (the
  /// ndp-tp balancer counts them as GPU work); otherwise they are added.
  virtual bool sharedInMoeEstimate() const { return false; }
  /// Called once the whole step is emitted.
  virtual void endStep(const perf::StepContext &ctx) {}
  /// Bytes of experts in VRAM now.
  virtual int64_t cachedExpertBytes() const = 0;
  virtual void reportExtra(llvm::json::Object &result) const {}
  /// VRAM in use at its fullest: non-expert weights, the largest batch's
  /// KV cache, the expert cache at its peak.
  int64_t vramUsedBytes() const;

  // Helpers for subclasses.
  perf::TaskId gpuCompute(perf::TaskGraph &g, double flops, double bytes,
                          std::vector<perf::TaskId> deps,
                          const std::string &label);
  perf::TaskId unitCompute(perf::TaskGraph &g, unsigned device, double flops,
                           double bytes, std::vector<perf::TaskId> deps,
                           const std::string &label);
  perf::TaskId transfer(perf::TaskGraph &g, unsigned src, unsigned dst,
                        double bytes, std::vector<perf::TaskId> deps,
                        int32_t priority = 0);
  double computeUs(unsigned device, double flops, double bytes) const;
  /// Activation bytes of `tokens` tokens of MoE layer li.
  double actBytes(size_t li, int64_t tokens) const;
  /// Expert activation counts of a profiling run: the offline profiling
  /// the Fiddler and MoNDE authors run before deployment. The synthetic
  /// traces' hot experts depend on their seed, so no other data set could
  /// find them: the profile is taken on the first half of the evaluated
  /// trace itself (in-sample there, stale later when popularity drifts).
  std::vector<std::vector<double>> profileOf(const GatingTrace &trace) const;
  static int64_t profileSteps(const GatingTrace &trace);
  std::vector<int64_t> numExperts() const;
  std::vector<int64_t> expertBytes() const;
  BalanceCosts balanceCosts(size_t li) const;

  std::string name;
  const SystemModel *sys = nullptr;
  const ModelDesc *mdl = nullptr;
  NdpPlan plan;
  unsigned gpu = 0;
  std::optional<unsigned> host;
  std::vector<unsigned> units;
  std::string dtype = "bf16";

  // Statistics.
  double pcieBytes = 0;
  std::vector<double> unitBusyUs;
  int64_t peakCacheBytes = 0;
  int64_t expertsOnGpu = 0, expertsOnNdp = 0, expertsOnCpu = 0,
          expertsFetched = 0, activated = 0, gpuHits = 0;
  int64_t maxBatch = 0, lastContext = 0;
  std::map<int64_t, double> analyticByStep;
};

} // namespace moesaic::ndp

#endif // MOESAIC_LIB_RUNTIME_NDP_NDPRUNTIMEBASE_H
