//===- Patterns.h - Blocks the importer recognises in a graph ---*- C++ -*-===//
//
// Recognisers find MoE layers, attention blocks and dense FFNs in an
// onnxfe::Graph and claim their nodes; the emitter turns each block into moe
// ops and every unclaimed node into a moe.compute.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_LIB_FRONTEND_PATTERNS_H
#define MOESAIC_LIB_FRONTEND_PATTERNS_H

#include "OnnxGraph.h"

#include "llvm/Support/Error.h"

#include <functional>
#include <string>
#include <vector>

namespace moesaic::onnxfe {

/// What every block has: the hidden-state value it reads and the one it
/// produces, the nodes it replaces, and the node after which it is emitted.
struct BlockBase {
  int input = -1, output = -1;
  int lastNode = -1;
  int startNode = -1; ///< The first node that reads the block's input.
  std::vector<int> nodes;
  std::string form; ///< How it appeared ("com.microsoft.MoE", ...).
};

struct MoeBlock : BlockBase {
  int64_t experts = 0, topK = 0, hidden = 0, ffn = 0;
  std::string act = "swiglu", scoring = "softmax";
  bool renormalize = false;
  int64_t groups = 0, pick = 0;
  double scale = 1.0, capacity = 0.0;
  int weightElem = kFloat;
  int64_t weightBits = 0; ///< Quantised weights: 2, 4 or 8 (0: not).
  int64_t blockSize = 0;
  bool bias = false;
  int64_t shared = 0, sharedFfn = 0;
  bool sharedGated = false;
};

struct AttnBlock : BlockBase {
  int64_t heads = 0, kvHeads = 0, headDim = 0, qLora = 0, kvLora = 0;
};

struct FfnBlock : BlockBase {
  int64_t ffn = 0;
  int64_t experts = 0; ///< Batched (rank-3 weights): leading dimension.
  std::string act;
  int weightElem = kFloat;
  bool bias = false;
  std::vector<int> ups; ///< Up/gate projection nodes.
  int down = -1;
};

/// Shared state of the recognisers.
struct Recognition {
  const Graph &g;
  int64_t hidden = 0;         ///< Model hidden size.
  std::vector<int> owner;     ///< Node -> claiming block (-1: none).
  std::vector<MoeBlock> moe;
  std::vector<AttnBlock> attention;
  std::vector<FfnBlock> dense;
  std::vector<std::string> &warnings;

  Recognition(const Graph &g, std::vector<std::string> &warnings)
      : g(g), owner(g.nodes.size(), -1), warnings(warnings) {}
  bool claimed(int node) const { return owner[node] >= 0; }
};

// Graph queries (GraphQueries.cpp).
/// True if `op` only moves or relabels data (no FLOPs worth costing).
bool isAliasOp(const Node &n);
/// The value `id` came from through alias ops (Reshape, Cast, ...).
int rootOf(const Graph &g, int id);
/// True if `id` is a weight, possibly through Transpose/Cast/Reshape.
bool isWeight(const Graph &g, int id);
/// For MatMul/Gemm: the operand index holding the weight (1 or 0), or -1.
int weightOperand(const Graph &g, const Node &n);
/// Weight of MatMul/Gemm as [K, N] (or [E, K, N]) in x @ W orientation.
std::vector<int64_t> weightKN(const Graph &g, const Node &n);
/// The single small integer constant in `id`, if known.
std::optional<int64_t> constInt(const Graph &g, int id);
std::optional<double> constFloat(const Graph &g, int id);
/// Nodes reached backwards from value `from` through nodes accepted by
/// `through` (stops at values whose producer is rejected), at most `limit`.
std::vector<int> walkBack(const Graph &g, int from,
                          const std::function<bool(const Node &)> &through,
                          size_t limit);
/// Every ancestor node of value `out` produced after node `after`, stopping
/// at value `stop`: the nodes a block spanning stop -> out replaces.
std::vector<int> nodesBetween(const Graph &g, int stop, int out);

// Recognisers; each claims the nodes of the blocks it finds.
llvm::Error recognizeFusedMoe(Recognition &r);       // FusedMoe.cpp
void recognizeAttention(Recognition &r);             // AttentionPatterns.cpp
llvm::Error recognizeDecomposedMoe(Recognition &r);  // DecomposedMoe.cpp
void recognizeDenseFfn(Recognition &r);              // FfnPatterns.cpp
/// Shared experts (and their gate) summed with a fused MoE node's output
/// join its block (DecomposedMoe.cpp).
void attachSharedExperts(Recognition &r);
/// The FFN whose down projection is node `down` (FfnPatterns.cpp).
std::optional<FfnBlock> matchFfn(const Recognition &r, int down);
/// Marks `nodes` as owned by block `id`, skipping nodes already claimed.
void claim(Recognition &r, const std::vector<int> &nodes, int id);

} // namespace moesaic::onnxfe

#endif // MOESAIC_LIB_FRONTEND_PATTERNS_H
