//===- ExpertHistogram.cpp - Runtime histogram of expert activations ------===//

#include "moesaic/Runtime/Ndp/ExpertHistogram.h"

using namespace moesaic::ndp;

ExpertHistogram::ExpertHistogram(std::vector<int64_t> numExperts, double decay)
    : numExperts(std::move(numExperts)), decay(decay) {
  size_t total = 0;
  for (int64_t n : this->numExperts) {
    offsets.push_back(total);
    total += n;
  }
  counts.assign(total, 0.0);
  seen.assign(this->numExperts.size(), 0);
}

void ExpertHistogram::observe(size_t layer, const std::vector<int32_t> &load) {
  double *c = counts.data() + offsets[layer];
  for (int64_t e = 0; e < numExperts[layer]; ++e) {
    c[e] *= decay;
    if ((size_t)e < load.size())
      c[e] += load[e];
  }
  ++seen[layer];
}

ExpertKey ExpertHistogram::keyAt(size_t flatIndex) const {
  size_t layer = 0;
  while (layer + 1 < offsets.size() && offsets[layer + 1] <= flatIndex)
    ++layer;
  return {(uint32_t)layer, (int32_t)(flatIndex - offsets[layer])};
}
