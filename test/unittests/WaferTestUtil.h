//===- WaferTestUtil.h - The wafer preset and MoE models for wafer tests --===//

#ifndef MOESAIC_TEST_WAFERTESTUTIL_H
#define MOESAIC_TEST_WAFERTESTUTIL_H

#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Target/HardwareFile.h"

#include <gtest/gtest.h>

namespace moesaic::testutil {

/// The wafer-8x8 preset.
inline SystemModel wafer8x8() {
  llvm::Expected<SystemModel> s = loadHardware("wafer-8x8");
  EXPECT_TRUE((bool)s);
  return std::move(*s);
}

/// `layers` MoE layers of `experts` experts (top-k, hidden x ffn), each
/// after an attention layer when `attention` (4 hidden^2 weights).
inline ModelDesc moeModel(int64_t experts, int64_t topK, int64_t layers = 2,
                          int64_t hidden = 2048, int64_t ffn = 1024,
                          bool attention = true) {
  ModelDesc m;
  m.name = "test";
  m.numLayers = layers;
  m.hiddenSize = hidden;
  for (int64_t l = 0; l < layers; ++l) {
    MoeLayerDesc d;
    d.index = l;
    d.numExperts = experts;
    d.topK = topK;
    d.hiddenSize = hidden;
    d.expertFfnSize = ffn;
    m.moeLayers.push_back(d);
    if (!attention)
      continue;
    DenseOpDesc a;
    a.layer = l;
    a.kind = "attention";
    a.flopsPerToken = 2.0 * 4 * hidden * hidden;
    a.weightBytes = 4 * hidden * hidden * 2;
    a.kvBytesPerContextToken = 2 * hidden * 2;
    m.denseOps.push_back(a);
  }
  return m;
}

} // namespace moesaic::testutil

#endif
