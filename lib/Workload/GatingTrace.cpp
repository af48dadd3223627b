//===- GatingTrace.cpp - Storage of a gating trace -------------------------===//

#include "moesaic/Workload/Workload.h"

using namespace moesaic;

void GatingTrace::resize(int64_t newSteps, int64_t newBatch,
                         std::vector<int64_t> newNumExperts,
                         std::vector<int64_t> newTopK) {
  steps = newSteps;
  batch = newBatch;
  numExperts = std::move(newNumExperts);
  topK = std::move(newTopK);
  layerOffset.resize(topK.size());
  size_t off = 0;
  for (size_t l = 0; l < topK.size(); ++l) {
    layerOffset[l] = off;
    off += (size_t)batch * topK[l];
  }
  layerStride = off;
  data.assign((size_t)steps * layerStride, 0);
}

bool GatingTrace::sameGating(const GatingTrace &other) const {
  // Equal shapes lay the experts out alike.
  return steps == other.steps && batch == other.batch && topK == other.topK &&
         numExperts == other.numExperts && data == other.data;
}

std::vector<int32_t> GatingTrace::expertLoad(int64_t step,
                                             size_t layer) const {
  std::vector<int32_t> load(numExperts[layer], 0);
  const int32_t *e = experts(step, layer, 0);
  for (int64_t i = 0, n = batch * topK[layer]; i < n; ++i)
    if (e[i] >= 0 && e[i] < numExperts[layer])
      ++load[e[i]];
  return load;
}
