//===- ERMapping.h - Entwined-ring mapping and the row-major baseline -*- C++ -*-===//
//
// Builds wafer layouts (WaferLayout.h):
//  - rowMajorLayout: the baseline; ring r is dies [r*g, r*g+g) in row-major
//    order, expert units fill the dies in row-major order, tokens are
//    dispatched by their owner (one domain: the whole mesh).
//  - erMapping: ER-Mapping (docs/wafer.md). Candidates: entwined rings
//    (the mesh cut into g token domains, ring r threads member r of every
//    domain along a cycle of adjacent domains, the MoE all-to-all confined
//    to each domain) and compact rings (2 x g/2 blocks whose ring edges are
//    single hops, best-owner dispatch). For each candidate the expert units
//    are packed by expected load and improved by a local search of unit
//    swaps on the step's bottleneck: ring-phase bottleneck link time plus
//    the MoE phase's max(bottleneck link time, busiest die's expert time),
//    both computed from the model and the expected expert load. Among the
//    candidates whose modelled layer time is within `kTimeTolerance` of the
//    fastest, the one with the fewest byte-hops (link energy) wins.
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_WAFER_ERMAPPING_H
#define MOESAIC_RUNTIME_WAFER_ERMAPPING_H

#include "moesaic/Runtime/Wafer/WaferTraffic.h"

#include <string>
#include <vector>

namespace moesaic::wafer {

/// What the mapping optimises for: one MoE layer of one step.
struct MappingProblem {
  const SystemModel *system = nullptr;
  const MoeLayerDesc *layer = nullptr;
  WaferShape shape;
  int64_t batch = 0;
  /// Expected share of routed (token, expert) pairs per expert (sums to 1);
  /// empty: uniform.
  std::vector<double> expertShare;
};

/// The modelled cost of a layout on a problem (expected routing).
struct LayoutCost {
  double ringByteHops = 0, moeByteHops = 0;
  double ringBottleneckUs = 0, moeLinkBottleneckUs = 0, moeComputeMaxUs = 0;
  /// Flows the evaluation routed (its work: the local search's budget).
  size_t flows = 0;
  /// The modelled step time of the layer plus its link times again, so
  /// that links are still minimised when the MoE phase is compute-bound.
  double objectiveUs() const {
    return ringBottleneckUs + std::max(moeLinkBottleneckUs, moeComputeMaxUs) +
           ringBottleneckUs + moeLinkBottleneckUs;
  }
  double byteHops() const { return ringByteHops + moeByteHops; }
  /// Modelled time of the layer: ring phase, then the MoE phase.
  double layerUs() const {
    return ringBottleneckUs + std::max(moeLinkBottleneckUs, moeComputeMaxUs);
  }
};

/// Candidates this close (relative) to the fastest are compared on
/// byte-hops.
constexpr double kTimeTolerance = 0.01;

/// Expected dispatch/combine flows of a layer under expert shares.
void expectedMoeFlows(const WaferLayout &layout,
                      const std::vector<unsigned> &unitDie,
                      const DispatchTables &tables, int64_t batch,
                      int64_t topK, const std::vector<double> &share,
                      double tokenBytes, std::vector<Flow> &out);

LayoutCost evaluate(const MappingProblem &problem, const WaferLayout &layout,
                    const std::vector<unsigned> &unitDie);

/// Dies of the system in row-major order of their coordinates.
std::vector<unsigned> diesRowMajor(const SystemModel &system);

WaferLayout rowMajorLayout(const SystemModel &system, const WaferShape &shape,
                           int64_t numExperts);

struct MappingReport {
  std::string chosen;              ///< "entwined 2x4 domains", ...
  LayoutCost initial, final;       ///< Before and after the local search.
  int64_t swapsTried = 0, swapsAccepted = 0;
  /// Whether the chosen candidate's search stopped at its share of
  /// kSearchFlowBudget before its swaps were all tried (large meshes).
  bool budgetReached = false;
  std::vector<std::string> candidates; ///< One line per candidate.
};

/// Flows the local search may route over all its evaluations, shared
/// evenly by the candidates: each evaluation routes the layer's all-to-all,
/// so 1000 swaps per candidate took 378 s on a 32 x 32 wafer (a million
/// flows per evaluation). Counted in flows, so the result stays
/// deterministic; 1000 swaps on wafer-8x8 (DeepSeek-V3: 6 candidates of
/// 32,000 flows) stay within it, wafer-12x12 (4 of 74,000) stops after
/// about 900.
constexpr uint64_t kSearchFlowBudget = uint64_t(1) << 28;

/// ER-Mapping. Deterministic for a given problem and `seed`.
WaferLayout erMapping(const MappingProblem &problem, int64_t searchIters,
                      uint64_t seed, MappingReport *report = nullptr,
                      uint64_t flowBudget = kSearchFlowBudget);

} // namespace moesaic::wafer

#endif
