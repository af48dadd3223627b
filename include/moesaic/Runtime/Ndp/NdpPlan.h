//===- NdpPlan.h - The static half of a GPU-NDP schedule --------*- C++ -*-===//
//
// What the GPU-NDP lowering passes decide (and the hw.ndp_* ops hold), as
// plain data shared by the passes (which compute it with the planning
// functions below and emit it as IR) and by the runtimes (which read it back
// from the schedule JSON). One source of truth for:
//  - the VRAM plan: non-expert weights, KV cache and workspace in VRAM, the
//    rest of VRAM an expert cache (error when the non-expert part overflows);
//  - the tensor split of every expert across the NDP units (rows per unit in
//    proportion to each unit's internal bandwidth) and where the partial
//    results are reduced (the cheapest of host, GPU, one NDP unit);
//  - the expert-parallel placement MoNDE uses (whole expert per unit);
//  - the runtime policy: cache policy, where cold experts run, slicing.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_NDP_NDPPLAN_H
#define MOESAIC_RUNTIME_NDP_NDPPLAN_H

#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Target/SystemModel.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moesaic::ndp {

/// How VRAM is spent.
struct VramPlan {
  unsigned gpu = 0;
  int64_t vramBytes = 0;
  int64_t nonExpertBytes = 0;
  int64_t kvBytes = 0;        ///< KV cache for maxBatch tokens x context
  int64_t workspaceBytes = 0; ///< activations, kernels' scratch
  int64_t expertCacheBytes = 0;
};

/// Plans VRAM for `maxBatch` tokens attending to `context` positions;
/// `workspaceFraction` of VRAM is kept for activations and scratch. Fails
/// with a sentence naming the GPU when the non-expert weights (or with the
/// KV cache) do not fit.
llvm::Expected<VramPlan> planVram(const SystemModel &system,
                                  const ModelDesc &model, int64_t maxBatch,
                                  int64_t context, double workspaceFraction);

/// The GPU of a gpu-ndp system (its first accelerator), or an error.
llvm::Expected<unsigned> findGpu(const SystemModel &system);

/// Rows of an expert's FFN dimension each NDP unit holds: in proportion to
/// the unit's internal bandwidth (memory-bound at low batch), multiples of
/// `quantum` rows where possible.
std::vector<int64_t> tensorSplitRows(const SystemModel &system,
                                     int64_t ffnRows, int64_t quantum = 16);

/// Where the partial results of the NDP units are reduced, and why.
struct ReductionChoice {
  unsigned device = 0;
  double costUs = 0;
  /// (device, estimated microseconds) for every candidate considered.
  std::vector<std::pair<unsigned, double>> candidates;
};

/// Estimated microseconds to gather every unit's `partialBytes` partial
/// result at device `at`, add them there, and send the sum to the GPU.
double reductionUs(const SystemModel &system, unsigned gpu, unsigned at,
                   int64_t partialBytes);

/// Picks the cheapest reduction point for `partialBytes` per unit (one
/// token batch's hidden states): the host CPU, the GPU, or an NDP unit.
/// Transfers that share a link are serialised in the estimate.
ReductionChoice chooseReduction(const SystemModel &system, unsigned gpu,
                                int64_t partialBytes);

/// The runtime policy of one of the four GPU-NDP strategies.
struct NdpPlan {
  std::string strategy;
  std::string gpu;
  VramPlan vram;
  /// "online" (ndp-tp), "lru" (ndp-ondemand), "profile" (fiddler, monde).
  std::string cachePolicy = "online";
  /// Where experts absent from VRAM run: "ndp-tp", "ndp-ep", "cpu", "fetch".
  std::string coldOn = "ndp-tp";
  int granularity = 4;
  double decay = 0.9, hysteresis = 1.5;
  int64_t chunkBytes = 4 << 20;
  /// Per MoE layer (index into ModelDesc::moeLayers).
  struct Layer {
    int64_t index = 0;
    /// NDP unit names and the rows each holds (tensor split).
    std::vector<std::string> units;
    std::vector<int64_t> rows;
    std::string reduceOn;
    /// Expert parallelism: unit name per expert.
    std::vector<std::string> expertUnit;
  };
  std::vector<Layer> layers;

};

/// The plan a pipeline would produce for `strategy` with default options
/// (used when a runtime is loaded without an ndp section, e.g. in tests).
llvm::Expected<NdpPlan> defaultPlan(llvm::StringRef strategy,
                                    const SystemModel &system,
                                    const ModelDesc &model);

/// Reads the plan from a schedule JSON ("moesaic.schedule/1"): the
/// "ndp_vram_plan" and "ndp_balance" of the entry with index -1, and per MoE
/// layer its "ndp_tensor_split" (cold = ndp-tp) or "expert_placement"
/// (cold = ndp-ep).
llvm::Expected<NdpPlan> parseNdpPlan(const llvm::json::Object &schedule,
                                     const SystemModel &system,
                                     const ModelDesc &model);

} // namespace moesaic::ndp

#endif // MOESAIC_RUNTIME_NDP_NDPPLAN_H
