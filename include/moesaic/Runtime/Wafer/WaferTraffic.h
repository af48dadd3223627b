//===- WaferTraffic.h - Per-link traffic of one layer on a wafer -*- C++ -*-===//
//
// Turns a layout and one layer's routing into flows (src, dst, bytes) and
// per-link loads for the two phases of a layer: the attention phase (the
// ring collectives of the tensor-parallel groups) and the MoE phase
// (dispatch and combine). Links follow SystemModel::route, so the byte-hops
// of a phase equal the sum over its flows of bytes x hops by construction.
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_WAFER_WAFERTRAFFIC_H
#define MOESAIC_RUNTIME_WAFER_WAFERTRAFFIC_H

#include "moesaic/Runtime/Wafer/WaferLayout.h"

#include <vector>

namespace moesaic::wafer {

struct Flow {
  unsigned src = 0, dst = 0;
  double bytes = 0;
};

/// One layer's routing: token t picks experts[t * topK .. t * topK + topK).
struct LayerRouting {
  int64_t tokens = 0, topK = 0;
  const int32_t *experts = nullptr;
};

/// Ring of token t (tokens are spread over the rings round-robin).
inline unsigned ringOfToken(int64_t token, size_t numRings) {
  return (unsigned)(token % (int64_t)numRings);
}

/// Ring collectives of one layer: per ring, `allReduces` bidirectional ring
/// all-reduces of the ring's tokens (per all-reduce each member sends
/// 2(g-1)/g of the data, half to its successor and half to its
/// predecessor).
void ringFlows(const WaferLayout &layout, int64_t tokens, double tokenBytes,
               double allReduces, std::vector<Flow> &out);

/// All-reduces per layer the layout's dispatch needs (Owner 1, Domain 2).
double allReducesPerLayer(const WaferLayout &layout);

/// Precomputed lookups for moeFlows.
struct DispatchTables {
  std::vector<std::vector<unsigned>> memberInDomain; ///< [ring][domain]
  std::vector<int> domainOfDie;
  explicit DispatchTables(const WaferLayout &layout, const SystemModel &system);
};

/// Dispatch and combine flows of one layer for `routing` under the
/// placement `unitDie` (WaferLayout::unitDie layout). Owner dispatch: the
/// owner of token t in its ring is member (t / rings) mod g, or with
/// `bestOwner` the member with the fewest hops to the token's expert dies.
void moeFlows(const WaferLayout &layout, const std::vector<unsigned> &unitDie,
              const DispatchTables &tables, const SystemModel &system,
              const LayerRouting &routing, double tokenBytes, bool bestOwner,
              std::vector<Flow> &out);

struct LinkLoad {
  std::vector<double> bytes; ///< Per directed link.
  double byteHops = 0;
  double totalBytes = 0;
  /// Largest per-link time (us) and its link.
  double bottleneckUs(const SystemModel &system, unsigned *link = nullptr) const;
  double maxBytes() const;
};

/// Adds the flows' bytes to every link of their routes.
void accumulate(const std::vector<Flow> &flows, const SystemModel &system,
                LinkLoad &load);

} // namespace moesaic::wafer

#endif
