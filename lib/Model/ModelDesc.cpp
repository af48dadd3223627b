//===- ModelDesc.cpp - A model's sizes and FLOPs --------------------------===//
//
// The cost formulas of model parts, in one place. FLOPs count a multiply-add
// as two operations; bytes are weight bytes at the weights' data type.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Model/ModelDesc.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <limits>

using namespace moesaic;

int64_t moesaic::saturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  if (llvm::AddOverflow(a, b, r))
    return b > 0 ? std::numeric_limits<int64_t>::max()
                 : std::numeric_limits<int64_t>::min();
  return r;
}

int64_t moesaic::saturatingMul(int64_t a, int64_t b) {
  int64_t r;
  if (llvm::MulOverflow(a, b, r))
    return (a < 0) != (b < 0) ? std::numeric_limits<int64_t>::min()
                              : std::numeric_limits<int64_t>::max();
  return r;
}

int64_t moesaic::bytesFromDouble(double bytes) {
  if (!(bytes > 0)) // also NaN
    return 0;
  // 2^63 is the first double above INT64_MAX.
  if (bytes >= 9223372036854775808.0)
    return std::numeric_limits<int64_t>::max();
  return (int64_t)std::ceil(bytes);
}

double moesaic::bytesPerElement(const std::string &dtype) {
  if (dtype == "fp32" || dtype == "f32" || dtype == "i32")
    return 4;
  if (dtype == "bf16" || dtype == "fp16" || dtype == "f16" || dtype == "i16")
    return 2;
  if (dtype == "fp8" || dtype == "int8" || dtype == "i8" ||
      dtype.rfind("f8", 0) == 0)
    return 1;
  if (dtype == "int4" || dtype == "i4")
    return 0.5;
  if (dtype == "int3" || dtype == "i3")
    return 0.375;
  if (dtype == "int2" || dtype == "i2")
    return 0.25;
  return 2;
}

int moesaic::ffnMatrices(const std::string &activation) {
  return (activation == "swiglu" || activation == "geglu" ||
          activation == "clamped_swiglu")
             ? 3
             : 2;
}

int64_t MoeLayerDesc::expertBytes() const {
  double elems = (double)ffnMatrices(activation) * hiddenSize * expertFfnSize;
  return bytesFromDouble(elems * bytesPerElement(weightType));
}

double MoeLayerDesc::expertFlopsPerToken() const {
  return 2.0 * ffnMatrices(activation) * hiddenSize * expertFfnSize;
}

int64_t MoeLayerDesc::sharedBytes() const {
  if (sharedExperts <= 0)
    return 0;
  double elems =
      (double)sharedExperts * ffnMatrices(activation) * hiddenSize *
          sharedFfnSize +
      (sharedGated ? hiddenSize : 0);
  return bytesFromDouble(elems * bytesPerElement(actType));
}

double MoeLayerDesc::sharedFlopsPerToken() const {
  if (sharedExperts <= 0)
    return 0;
  return 2.0 * sharedExperts * ffnMatrices(activation) * hiddenSize *
             sharedFfnSize +
         (sharedGated ? 2.0 * hiddenSize : 0);
}

int64_t MoeLayerDesc::routerBytes() const {
  // Truncated, as before: the router's bytes are never fractional in use.
  return bytesFromDouble(
      std::floor((double)hiddenSize * numExperts * bytesPerElement(actType)));
}

double MoeLayerDesc::routerFlopsPerToken() const {
  return 2.0 * hiddenSize * numExperts;
}

int64_t MoeLayerDesc::tokenBytes() const {
  return bytesFromDouble(hiddenSize * bytesPerElement(actType));
}

int64_t ModelDesc::nonExpertBytes() const {
  int64_t total = 0;
  for (const DenseOpDesc &op : denseOps)
    total = saturatingAdd(total, op.weightBytes);
  for (const MoeLayerDesc &l : moeLayers)
    total = saturatingAdd(total, saturatingAdd(l.sharedBytes(), l.routerBytes()));
  return total;
}

int64_t ModelDesc::paramsBytes() const {
  int64_t total = nonExpertBytes();
  for (const MoeLayerDesc &l : moeLayers)
    total = saturatingAdd(total, saturatingMul(l.numExperts, l.expertBytes()));
  return total;
}

llvm::json::Object moesaic::modelSummary(const ModelDesc &model) {
  llvm::json::Array layers;
  for (const MoeLayerDesc &l : model.moeLayers) {
    std::string routing = l.routing;
    if (l.numGroups > 0)
      routing += ",groups=" + std::to_string(l.numGroups) +
                 ",pick=" + std::to_string(l.topkGroups);
    if (l.renormalize)
      routing += ",renormalize";
    if (l.capacityFactor > 0)
      routing += ",capacity";
    layers.push_back(llvm::json::Object{
        {"index", l.index},
        {"num_experts", l.numExperts},
        {"top_k", l.topK},
        {"hidden_size", l.hiddenSize},
        {"expert_ffn_size", l.expertFfnSize},
        {"shared_experts", l.sharedExperts},
        {"activation", l.activation},
        {"routing", routing},
        {"weight_type", l.weightType},
        {"expert_bytes", l.expertBytes()},
    });
  }
  llvm::json::Array warnings;
  for (const std::string &w : model.warnings)
    warnings.push_back(w);
  return llvm::json::Object{
      {"name", model.name},
      {"num_layers", model.numLayers},
      {"hidden_size", model.hiddenSize},
      {"params_bytes", model.paramsBytes()},
      {"moe_layers", std::move(layers)},
      {"warnings", std::move(warnings)},
  };
}
