//===- FfnPatterns.cpp - Feed-forward blocks: up/gate -> act -> down ------===//
//
// An FFN is found from its down projection: a MatMul/Gemm with a weight
// whose output width is the hidden size. Walking back through activation
// arithmetic must reach one or two up projections (weights [H, I] or a
// fused [H, 2I]) reading the same hidden state. The ops met on the way give
// the activation. Rank-3 weights [E, H, I] / [E, I, H] are the batched form
// of all experts at once.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "llvm/ADT/StringSwitch.h"

#include <algorithm>

using namespace moesaic::onnxfe;

static bool activationArith(const Node &n) {
  if (n.isMs())
    return llvm::StringSwitch<bool>(n.opType)
        .Cases("FastGelu", "BiasGelu", "QuickGelu", "Gelu", "BiasAdd", true)
        .Default(false);
  if (!n.isStd())
    return false;
  return llvm::StringSwitch<bool>(n.opType)
      .Cases("Mul", "Sigmoid", "Relu", "Gelu", "Erf", "Div", "Add", "Sub",
             true)
      .Cases("Tanh", "Pow", "Clip", "Cast", "Slice", "Split", "Min", "Max",
             true)
      .Cases("Softplus", "Where", "HardSigmoid", "HardSwish", "Identity",
             "Reshape", "Squeeze", "Unsqueeze", true)
      .Cases("Neg", "Sqrt", true)
      .Default(false);
}

/// Shape computations and constants: leaves of the walk, neither part of
/// the activation nor a reason to reject.
static bool shapeLeaf(const Node &n) {
  return n.isStd() && llvm::StringSwitch<bool>(n.opType)
                          .Cases("Constant", "Shape", "Concat", "Gather",
                                 "ConstantOfShape", "Range", "Size", true)
                          .Default(false);
}

std::optional<FfnBlock> moesaic::onnxfe::matchFfn(const Recognition &r,
                                                  int down) {
  const Graph &g = r.g;
  const Node &d = g.nodes[down];
  if (weightOperand(g, d) != 1)
    return std::nullopt;
  std::vector<int64_t> w = weightKN(g, d);
  if (!(w.size() == 2 || w.size() == 3) || w.back() != r.hidden)
    return std::nullopt;
  int64_t inner = w[w.size() - 2];
  if (inner <= 0)
    return std::nullopt;

  FfnBlock f;
  f.down = down;
  f.ffn = inner;
  f.experts = w.size() == 3 ? w[0] : 0;
  f.weightElem = g.value(d.input(1)).elemType;
  bool failed = false, sigmoid = false, gelu = false, relu = false,
       clip = false, tanhOrErf = false;
  std::vector<int> nodes = walkBack(
      g, d.input(0),
      [&](const Node &n) {
        if (n.is("MatMul") || n.is("Gemm")) {
          if (weightOperand(g, n) == 1)
            f.ups.push_back(&n - g.nodes.data());
          else
            failed = true;
          return false;
        }
        if (shapeLeaf(n))
          return false;
        if (!activationArith(n)) {
          failed = true;
          return false;
        }
        sigmoid |= n.opType == "Sigmoid" || n.opType == "HardSigmoid" ||
                   n.opType == "HardSwish";
        gelu |= n.opType == "Gelu" || n.opType == "FastGelu" ||
                n.opType == "BiasGelu" || n.opType == "QuickGelu";
        tanhOrErf |= n.opType == "Erf" || n.opType == "Tanh";
        relu |= n.opType == "Relu";
        clip |= n.opType == "Clip" || n.opType == "Min";
        if (n.opType == "Add" || n.opType == "BiasAdd")
          for (int in : n.inputs)
            if (in >= 0 && g.value(in).isParam)
              f.bias = true;
        return true;
      },
      64);
  if (failed || f.ups.empty() || f.ups.size() > 2)
    return std::nullopt;
  // Every up projection reads the same hidden state.
  int x = rootOf(g, g.nodes[f.ups[0]].input(0));
  int64_t upWidth = 0;
  for (int u : f.ups) {
    if (rootOf(g, g.nodes[u].input(0)) != x)
      return std::nullopt;
    std::vector<int64_t> uw = weightKN(g, g.nodes[u]);
    if (uw.size() != w.size() || uw[uw.size() - 2] != r.hidden)
      return std::nullopt;
    upWidth += uw.back();
  }
  bool gated = f.ups.size() == 2 || upWidth == 2 * inner;
  if (!gated && upWidth != inner)
    return std::nullopt;
  gelu |= tanhOrErf;
  if (sigmoid)
    f.act = gated ? (clip ? "clamped_swiglu" : "swiglu") : "silu";
  else if (gelu)
    f.act = gated ? "geglu" : "gelu";
  else if (relu)
    f.act = gated ? "geglu" : "relu";
  else
    f.act = gated ? "swiglu" : "identity";

  f.input = x;
  f.output = d.output(0);
  // A bias added right after the down projection belongs to the FFN.
  const Value &out = g.value(f.output);
  if (out.consumers.size() == 1) {
    const Node &c = g.nodes[out.consumers[0]];
    if (c.is("Add") && ((c.input(1) >= 0 && g.value(c.input(1)).isParam) ||
                        (c.input(0) >= 0 && g.value(c.input(0)).isParam))) {
      f.bias = true;
      f.output = c.output(0);
      nodes.push_back(out.consumers[0]);
    }
  }
  nodes.push_back(down);
  std::sort(nodes.begin(), nodes.end());
  f.nodes = nodes;
  f.lastNode = nodes.back();
  f.form = f.experts ? "batched" : "matmul";
  return f;
}

void moesaic::onnxfe::recognizeDenseFfn(Recognition &r) {
  const Graph &g = r.g;
  for (int i = 0, e = (int)g.nodes.size(); i < e; ++i) {
    if (r.claimed(i) || !(g.nodes[i].is("MatMul") || g.nodes[i].is("Gemm")))
      continue;
    std::optional<FfnBlock> f = matchFfn(r, i);
    if (!f || f->experts)
      continue;
    if (llvm::any_of(f->nodes, [&](int n) { return r.claimed(n); }))
      continue;
    int id = (2 << 20) | (int)r.dense.size();
    claim(r, f->nodes, id);
    r.dense.push_back(std::move(*f));
  }
}
