//===- ModelDesc.h - A model's shapes and costs, without IR -----*- C++ -*-===//
//
// The plain-data view of a `moe.model`: what the performance model, the
// strategies' runtime parts and the report need (layer kinds, sizes, FLOPs and
// weight bytes). Built from IR by `describeModel()` (ModelFromIR.h) so that
// costs are derived in one place. No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_MODEL_MODELDESC_H
#define MOESAIC_MODEL_MODELDESC_H

#include "llvm/Support/JSON.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moesaic {

/// Size limits of a model (docs/security.md). The moe dialect's verifiers
/// refuse anything larger with an error, before any pass or cost formula
/// sees it; within them every cost below fits in int64_t. Real models are
/// far inside: hidden sizes ~2^14, FFN sizes ~2^16, 256 experts.
/// Any one dimension (hidden, ffn, heads, head_dim, ranks, context, count).
inline constexpr int64_t kMaxModelDim = int64_t(1) << 24;
/// Routed experts per layer (per-expert tables are sized by it).
inline constexpr int64_t kMaxExperts = int64_t(1) << 16;
/// Weight bytes of a whole model: 1 PiB.
inline constexpr int64_t kMaxModelBytes = int64_t(1) << 50;

/// a + b and a * b, saturating at INT64_MAX / INT64_MIN instead of
/// overflowing (costs of absurd inputs must not wrap to small numbers).
int64_t saturatingAdd(int64_t a, int64_t b);
int64_t saturatingMul(int64_t a, int64_t b);
/// A non-negative byte count from a double: rounded up, NaN -> 0, clamped
/// to [0, INT64_MAX] (a plain cast of an out-of-range double is undefined).
int64_t bytesFromDouble(double bytes);

/// Bytes per element of a data type name ("bf16" -> 2, "int4" -> 0.5).
double bytesPerElement(const std::string &dtype);

/// Number of weight matrices of an FFN with this activation (SwiGLU and
/// GeGLU are gated: 3; others 2).
int ffnMatrices(const std::string &activation);

/// One routed-expert MoE block (router + experts + optional shared experts).
struct MoeLayerDesc {
  int64_t index = 0;            ///< Transformer layer index.
  int64_t numExperts = 0;
  int64_t topK = 0;
  int64_t hiddenSize = 0;
  int64_t expertFfnSize = 0;
  int64_t sharedExperts = 0;    ///< Count of shared experts (0 if none).
  int64_t sharedFfnSize = 0;    ///< FFN size of each shared expert.
  bool sharedGated = false;     ///< Shared expert scaled by a sigmoid gate.
  std::string activation = "swiglu";
  std::string routing = "softmax"; ///< softmax|sigmoid|sigmoid_bias|sparsemixer
  bool renormalize = false;
  int64_t numGroups = 0, topkGroups = 0; ///< Group-limited routing (0: none).
  double routedScaling = 1.0;
  double capacityFactor = 0.0;  ///< 0: no capacity limit.
  std::string weightType = "bf16";  ///< Expert weight data type.
  std::string actType = "bf16";     ///< Activation data type.

  /// Bytes of one routed expert's weights.
  int64_t expertBytes() const;
  /// FLOPs of one routed expert for one token (2 per multiply-add).
  double expertFlopsPerToken() const;
  int64_t sharedBytes() const;
  double sharedFlopsPerToken() const;
  int64_t routerBytes() const;
  double routerFlopsPerToken() const;
  /// Bytes of one token's hidden state.
  int64_t tokenBytes() const;
};

/// Any non-MoE part of the model (attention, dense FFN, norms, embeddings):
/// what it costs per token and what it reads.
struct DenseOpDesc {
  int64_t layer = -1;          ///< Transformer layer, -1 for pre/post ops.
  std::string kind;            ///< "attention", "dense_ffn", or the op name.
  double flopsPerToken = 0;
  int64_t weightBytes = 0;
  /// Attention only: KV-cache bytes read per token of context per token.
  int64_t kvBytesPerContextToken = 0;
  int64_t numHeads = 0, numKvHeads = 0, headDim = 0;
  int64_t hiddenSize = 0;
  std::string dtype = "bf16";
};

/// A whole model.
struct ModelDesc {
  std::string name;
  int64_t numLayers = 0;
  int64_t hiddenSize = 0;
  std::vector<MoeLayerDesc> moeLayers;
  std::vector<DenseOpDesc> denseOps;
  /// Warnings found while describing (e.g. router width vs experts found).
  std::vector<std::string> warnings;

  int64_t paramsBytes() const;
  /// Weight bytes of everything that is not a routed expert.
  int64_t nonExpertBytes() const;
};

/// The report's "model" section (docs/strategies.md, "Report"), with "warnings".
llvm::json::Object modelSummary(const ModelDesc &model);

} // namespace moesaic

#endif // MOESAIC_MODEL_MODELDESC_H
