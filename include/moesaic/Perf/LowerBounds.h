//===- LowerBounds.h - Times no schedule can beat ---------------*- C++ -*-===//
//
// Lower bounds on the latency of one MoE layer and of one whole decode step
// on a given system, for a given gating: whatever the placement, order or
// overlap, no schedule finishes faster. A strategy's simulated latency over
// `max()` says how close to the limit it is. docs/performance-model.md
// ("Lower bounds") derives every term.
//
//  - compute_us: FLOPs / sum of the peaks of every device that can compute.
//  - memory_us: bytes that must be read at least once (dense weights, the
//    distinct activated experts' weights, the KV cache) from off-chip
//    memories, each memory supplying at most min(capacity, bandwidth x T)
//    distinct bytes and on-chip memories holding some for free.
//  - injection_us: when the scope's weights cannot all sit in one memory
//    domain, at least one token's hidden state crosses a link.
//  - bisection_us: on a mesh, when they cannot all sit in one half, one
//    token's hidden state crosses the bisection.
//
// `strategyCommBoundUs` is NOT a lower bound for the problem: it holds a
// given placement of experts and tokens to its own unavoidable traffic.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_PERF_LOWERBOUNDS_H
#define MOESAIC_PERF_LOWERBOUNDS_H

#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Target/SystemModel.h"
#include "moesaic/Workload/Workload.h"

#include "llvm/Support/JSON.h"

#include <vector>

namespace moesaic::perf {

struct LowerBound {
  double computeUs = 0;
  double memoryUs = 0;
  double injectionUs = 0;
  double bisectionUs = 0;
  /// What the scope must do, for the report.
  double flops = 0;
  double bytes = 0;

  double max() const;
  LowerBound &operator+=(const LowerBound &other);
  /// {"lower_bound_us", "compute_us", "memory_us", "injection_us",
  ///  "bisection_us", "flops", "bytes"}; null for an infinite value.
  llvm::json::Object toJSON() const;
};

/// A memory the bounds draw weights from: an off-chip memory (devices whose
/// memory is the same DRAM, an NDP unit and its host, merged into one), or
/// the on-chip memories (capacity only: they are read for free).
struct MemoryDomain {
  std::vector<unsigned> devices;
  int64_t capacityBytes = 0;
  double gbps = 0;
};

/// The system's off-chip memory domains. An NDP unit's DIMM is part of its
/// host's memory: one domain with capacity max(host, sum of NDP DIMMs) and
/// bandwidth max(host channels, sum of NDP internal bandwidths) (the DIMMs'
/// DRAM cannot deliver more than its rank-level bandwidth, whoever reads).
std::vector<MemoryDomain> memoryDomains(const SystemModel &system);

/// Least time T in which `bytes` distinct bytes can be read when each domain
/// supplies at most min(capacity, gbps x T) and `onchipBytes` are already
/// resident on-chip. 0 when everything fits on-chip.
double memoryTimeUs(double bytes, const std::vector<MemoryDomain> &domains,
                    double onchipBytes);

/// Bound on MoE layer `layer` (index into model.moeLayers) at `step`.
LowerBound moeLayerLowerBound(const SystemModel &system,
                              const ModelDesc &model, const GatingTrace &trace,
                              int64_t step, size_t layer);

/// Bound on a whole decode step at `step`: every dense op (weights, and the
/// KV cache of `context` tokens per token for attention) and every MoE
/// layer. A step's compute and memory terms are one max over the summed
/// work (the layers' bounds summed would not be a bound: they can overlap).
LowerBound stepLowerBound(const SystemModel &system, const ModelDesc &model,
                          const GatingTrace &trace, int64_t step,
                          int64_t context);

/// Mean over the trace's steps of stepLowerBound (componentwise means; the
/// mean's max() is at most the mean of the max).
LowerBound meanStepLowerBound(const SystemModel &system,
                              const ModelDesc &model, const GatingTrace &trace,
                              int64_t context);

/// Expected number of distinct experts B tokens activate when each picks k
/// of E uniformly without replacement: E (1 - (1 - k/E)^B). For analytic
/// estimates; the bounds above use the trace's actual count.
double expectedDistinctExperts(int64_t numExperts, int64_t topK, int64_t batch);

/// Placement-dependent (not a problem bound): with expert e of MoE layer
/// `layer` on device expertDevice[e] and token t's hidden state on
/// tokenDevice[t], every (token, expert) pair on different devices sends the
/// token out and its result back. The time is the max of, per device, bytes
/// it sends / its out-links' bandwidth and bytes it receives / its in-links'
/// bandwidth, and, on a mesh, bytes crossing each half-cut in one direction
/// / the bandwidth of the links crossing it that way.
double strategyCommBoundUs(const SystemModel &system, const MoeLayerDesc &layer,
                           const GatingTrace &trace, int64_t step,
                           size_t layerIndex,
                           const std::vector<unsigned> &expertDevice,
                           const std::vector<unsigned> &tokenDevice);

} // namespace moesaic::perf

#endif // MOESAIC_PERF_LOWERBOUNDS_H
