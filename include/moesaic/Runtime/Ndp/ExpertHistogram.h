//===- ExpertHistogram.h - Runtime histogram of expert activations -*- C++ -*-===//
//
// The ndp-tp runtime's only knowledge of expert popularity: an exponentially
// decayed count of the tokens routed to each (MoE layer, expert), updated
// online from the gating the runtime has already seen. No offline profile.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_NDP_EXPERTHISTOGRAM_H
#define MOESAIC_RUNTIME_NDP_EXPERTHISTOGRAM_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace moesaic::ndp {

/// A (MoE layer, expert) pair packed in one index.
struct ExpertKey {
  uint32_t layer = 0;
  int32_t expert = 0;
  bool operator==(const ExpertKey &o) const {
    return layer == o.layer && expert == o.expert;
  }
  bool operator<(const ExpertKey &o) const {
    return layer != o.layer ? layer < o.layer : expert < o.expert;
  }
};

class ExpertHistogram {
public:
  /// `decay` in (0, 1]: the weight an observation keeps one step later
  /// (1 = plain counts).
  ExpertHistogram(std::vector<int64_t> numExperts, double decay);

  /// Decays `layer`'s counts by one step and adds this step's tokens per
  /// expert (`load[e]` = tokens routed to expert e).
  void observe(size_t layer, const std::vector<int32_t> &load);

  double score(ExpertKey key) const { return counts[flat(key)]; }
  double score(size_t layer, int64_t expert) const {
    return counts[offsets[layer] + expert];
  }
  size_t numLayers() const { return numExperts.size(); }
  int64_t experts(size_t layer) const { return numExperts[layer]; }
  size_t size() const { return counts.size(); }
  /// Every key, in (layer, expert) order.
  ExpertKey keyAt(size_t flatIndex) const;
  size_t flat(ExpertKey key) const { return offsets[key.layer] + key.expert; }
  int64_t observations(size_t layer) const { return seen[layer]; }

private:
  std::vector<int64_t> numExperts;
  std::vector<size_t> offsets;
  std::vector<double> counts;
  std::vector<int64_t> seen;
  double decay;
};

} // namespace moesaic::ndp

#endif // MOESAIC_RUNTIME_NDP_EXPERTHISTOGRAM_H
