//===- ModelLimitsTest.cpp - Overflow-safe cost arithmetic ----------------===//
//
// The cost formulas of moesaic/Model/ModelDesc.h on sizes at and beyond the
// model limits: they saturate instead of wrapping, and a double that does
// not fit int64_t is clamped instead of being converted (undefined).
//
//===----------------------------------------------------------------------===//

#include "moesaic/Model/ModelDesc.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace moesaic;

namespace {
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(ModelLimitsTest, SaturatingAddClampsBothWays) {
  EXPECT_EQ(saturatingAdd(2, 3), 5);
  EXPECT_EQ(saturatingAdd(kMax, 1), kMax);
  EXPECT_EQ(saturatingAdd(kMax - 1, 1), kMax);
  EXPECT_EQ(saturatingAdd(kMin, -1), kMin);
  EXPECT_EQ(saturatingAdd(kMax, kMin), -1);
}

TEST(ModelLimitsTest, SaturatingMulClampsBothWays) {
  EXPECT_EQ(saturatingMul(int64_t(1) << 31, int64_t(1) << 31),
            int64_t(1) << 62);
  EXPECT_EQ(saturatingMul(int64_t(1) << 32, int64_t(1) << 32), kMax);
  EXPECT_EQ(saturatingMul(-(int64_t(1) << 32), int64_t(1) << 32), kMin);
  EXPECT_EQ(saturatingMul(kMin, -1), kMax);
  EXPECT_EQ(saturatingMul(0, kMax), 0);
}

TEST(ModelLimitsTest, BytesFromDoubleRoundsUpAndClamps) {
  EXPECT_EQ(bytesFromDouble(0.5), 1);
  EXPECT_EQ(bytesFromDouble(1024.0), 1024);
  EXPECT_EQ(bytesFromDouble(-3.0), 0);
  EXPECT_EQ(bytesFromDouble(std::nan("")), 0);
  EXPECT_EQ(bytesFromDouble(9223372036854775808.0), kMax);
  EXPECT_EQ(bytesFromDouble(1e300), kMax);
  EXPECT_EQ(bytesFromDouble(std::numeric_limits<double>::infinity()), kMax);
}

TEST(ModelLimitsTest, ExpertBytesOfAbsurdSizesSaturate) {
  MoeLayerDesc l;
  l.hiddenSize = int64_t(1) << 40;
  l.expertFfnSize = int64_t(1) << 40;
  l.numExperts = int64_t(1) << 62;
  EXPECT_EQ(l.expertBytes(), kMax); // 3 * 2^80 * 2 bytes
  ModelDesc m;
  m.moeLayers.push_back(l);
  m.moeLayers.push_back(l);
  // experts x bytes and the sum over layers saturate, never wrap negative.
  EXPECT_EQ(m.paramsBytes(), kMax);
}

TEST(ModelLimitsTest, LimitsKeepRealCostsExact) {
  // At the limits a layer's costs are exact integers within int64_t.
  MoeLayerDesc l;
  l.hiddenSize = kMaxModelDim;
  l.expertFfnSize = kMaxModelDim;
  l.numExperts = 8;
  l.topK = 2;
  EXPECT_EQ(l.expertBytes(), 3 * kMaxModelDim * kMaxModelDim * 2);
  ModelDesc m;
  m.moeLayers.push_back(l);
  EXPECT_EQ(m.paramsBytes(), 8 * l.expertBytes() + l.routerBytes());
  EXPECT_GT(m.paramsBytes(), kMaxModelBytes); // so the verifier refuses it
}
} // namespace
