//===- Workload.h - Token batches and gating traces -------------*- C++ -*-===//
//
// A workload is a number of decode steps of a token batch, with the experts
// each token picks in each MoE layer (the gating trace). Traces are
// synthetic (uniform, Zipf, temporal locality, layer correlation, drifting
// popularity; seeded and reproducible) or read from a user's file (JSON, CSV,
// NumPy .npy). docs/workloads.md documents the spec and the file formats.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_WORKLOAD_WORKLOAD_H
#define MOESAIC_WORKLOAD_WORKLOAD_H

#include "moesaic/Model/ModelDesc.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moesaic {

/// The KV-cache length each token attends to when the workload gives none.
inline constexpr int64_t kDefaultContext = 4096;

/// `--workload=batch=8,trace=zipf:1.2,seed=0,steps=64` and friends.
struct WorkloadSpec {
  int64_t batch = 1;          ///< Tokens per decode step.
  /// "uniform", "zipf" (skew in `skew`), or "file" (path in `path`).
  std::string trace = "uniform";
  double skew = 1.2;          ///< Zipf exponent.
  double locality = 0.0;      ///< P(token keeps its previous step's experts).
  double layerCorrelation = 0.0; ///< P(layer l+1 reuses layer l's ranks).
  double drift = 0.0;         ///< Popularity rotation per step (0: static).
  uint64_t seed = 0;
  int64_t steps = 16;
  int64_t context = 0;        ///< KV length override (0: kDefaultContext).
  std::string path;           ///< trace file for trace=file.

  /// The spec as a string `parseWorkloadSpec` accepts.
  std::string str() const;
};

/// Parses a workload spec; errors name the offending key.
llvm::Expected<WorkloadSpec> parseWorkloadSpec(llvm::StringRef spec);

/// Per step, per MoE layer, per token: the chosen experts.
class GatingTrace {
public:
  int64_t steps = 0, batch = 0;
  /// Per MoE layer (index into ModelDesc::moeLayers): experts and top-k.
  std::vector<int64_t> numExperts, topK;
  std::string description;

  /// The experts token `token` picks at `step` in MoE layer `layer`.
  const int32_t *experts(int64_t step, size_t layer, int64_t token) const {
    return data.data() + offset(step, layer, token);
  }
  int32_t *experts(int64_t step, size_t layer, int64_t token) {
    return data.data() + offset(step, layer, token);
  }
  /// Tokens routed to each expert at `step` in `layer`.
  std::vector<int32_t> expertLoad(int64_t step, size_t layer) const;
  /// Same shape and the same experts for every token (the description
  /// aside).
  bool sameGating(const GatingTrace &other) const;

  /// Allocates a trace of this shape (all experts 0).
  void resize(int64_t steps, int64_t batch, std::vector<int64_t> numExperts,
              std::vector<int64_t> topK);

private:
  size_t offset(int64_t step, size_t layer, int64_t token) const {
    return ((size_t)step * layerStride) + layerOffset[layer] +
           (size_t)token * topK[layer];
  }
  std::vector<int32_t> data;
  std::vector<size_t> layerOffset;
  size_t layerStride = 0;
};

/// Builds the trace a spec describes for `model` (synthetic or from file).
/// Checks a file's shape against the model (experts in range, top-k).
llvm::Expected<GatingTrace> makeTrace(const WorkloadSpec &spec,
                                      const ModelDesc &model);

/// The report's "workload" section.
llvm::json::Object workloadSummary(const WorkloadSpec &spec);
/// Same, with the steps and batch the trace really has (a trace file fixes
/// them, whatever the spec says) and its description.
llvm::json::Object workloadSummary(const WorkloadSpec &spec,
                                   const GatingTrace &trace);

} // namespace moesaic

#endif // MOESAIC_WORKLOAD_WORKLOAD_H
