//===- ShapeRules.cpp - Shapes ONNX's inference leaves unknown ------------===//
//
// ONNX 1.12 infers nothing for com.microsoft ops, and so nothing downstream
// of them. These rules give shapes to the contrib ops the importer knows and
// re-propagate through the common standard ops that follow them.
//
//===----------------------------------------------------------------------===//

#include "OnnxGraph.h"

#include "llvm/ADT/StringSwitch.h"

#include <algorithm>

using namespace moesaic::onnxfe;

namespace {
using Dims = std::vector<int64_t>;

bool known(const Graph &g, int id) { return id >= 0 && g.value(id).hasShape; }

std::optional<Dims> broadcast(const Dims &a, const Dims &b) {
  size_t r = std::max(a.size(), b.size());
  Dims out(r, -1);
  for (size_t i = 0; i < r; ++i) {
    int64_t x = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t y = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (x == 1)
      out[i] = y;
    else if (y == 1 || x == y)
      out[i] = x;
    else if (x < 0 || y < 0)
      out[i] = std::max(x, y) > 1 ? std::max(x, y) : -1;
    else
      return std::nullopt;
  }
  return out;
}

bool sameAsInput(llvm::StringRef op) {
  return llvm::StringSwitch<bool>(op)
      .Cases("Relu", "Sigmoid", "Tanh", "Erf", "Neg", "Sqrt", "Exp", "Log",
             "Abs", true)
      .Cases("Softmax", "LogSoftmax", "LayerNormalization", "Dropout",
             "Identity", "Gelu", "Elu", "LeakyRelu", "HardSigmoid", true)
      .Cases("Reciprocal", "Clip", "Softplus", "Mish", "HardSwish", "Celu",
             "Selu", "Sin", "Cos", true)
      // com.microsoft element-wise and normalisation ops.
      .Cases("SkipLayerNormalization", "SkipSimplifiedLayerNormalization",
             "SimplifiedLayerNormalization", "RotaryEmbedding", true)
      .Cases("FastGelu", "BiasGelu", "QuickGelu", "BiasAdd", "BiasSplitGelu",
             true)
      .Cases("MoE", "QMoE", "RMSNormalization", "BiasDropout", true)
      .Default(false);
}

bool elementwiseBinary(llvm::StringRef op) {
  return llvm::StringSwitch<bool>(op)
      .Cases("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Where", true)
      .Cases("Equal", "Less", "Greater", "And", "Or", "Mod", "Sum", true)
      .Default(false);
}

void set(Graph &g, int id, Dims dims, int elemType) {
  if (id < 0)
    return;
  Value &v = g.value(id);
  if (!checkedNumel(dims))
    return;
  if (!v.hasShape) {
    v.hasShape = true;
    v.dims = std::move(dims);
  }
  if (v.elemType == kUndefined)
    v.elemType = elemType;
}

void inferNode(Graph &g, const Node &n) {
  int out = n.output(0);
  if (out < 0 || g.value(out).hasShape)
    return;
  int in0 = n.input(0);
  if (!known(g, in0))
    return;
  const Value &x = g.value(in0);
  int t = x.elemType;
  if (sameAsInput(n.opType)) {
    set(g, out, x.dims, t);
    return;
  }
  if (n.isStd() && n.opType == "Cast") {
    set(g, out, x.dims, (int)n.intAttr("to", t));
    return;
  }
  if (n.isStd() && elementwiseBinary(n.opType)) {
    Dims d = x.dims;
    for (size_t i = 1; i < n.inputs.size(); ++i) {
      if (!known(g, n.inputs[i]))
        return;
      std::optional<Dims> b = broadcast(d, g.value(n.inputs[i]).dims);
      if (!b)
        return;
      d = *b;
    }
    int et = n.opType == "Where" && known(g, n.input(1))
                 ? g.value(n.input(1)).elemType
                 : t;
    set(g, out, d, et);
    return;
  }
  if ((n.is("MatMul") || n.is("Gemm")) && known(g, n.input(1))) {
    Dims a = x.dims, b = g.value(n.input(1)).dims;
    if (n.is("Gemm")) {
      if (a.size() != 2 || b.size() != 2)
        return;
      int64_t m = n.intAttr("transA", 0) ? a[1] : a[0];
      int64_t nn = n.intAttr("transB", 0) ? b[0] : b[1];
      set(g, out, {m, nn}, t);
      return;
    }
    if (a.empty() || b.empty())
      return;
    if (b.size() == 1) {
      a.pop_back();
      set(g, out, a, t);
      return;
    }
    Dims batchA(a.begin(), a.end() - std::min<size_t>(2, a.size()));
    Dims batchB(b.begin(), b.end() - 2);
    std::optional<Dims> batch = broadcast(batchA, batchB);
    if (!batch)
      return;
    if (a.size() >= 2)
      batch->push_back(a[a.size() - 2]);
    batch->push_back(b.back());
    set(g, out, *batch, t);
    return;
  }
  if (!n.isMs())
    return;
  if (n.opType == "MatMulNBits" || n.opType == "MatMulBnb4") {
    Dims d = x.dims;
    if (d.empty())
      return;
    d.back() = n.intAttr("N", -1);
    set(g, out, d, t);
  } else if (n.opType == "Attention") {
    Dims d = x.dims;
    if (d.empty())
      return;
    const Attr *sizes = n.attr("qkv_hidden_sizes");
    if (sizes && sizes->kind == Attr::Ints && sizes->ints.size() == 3)
      d.back() = sizes->ints[2];
    else if (known(g, n.input(1)) && g.value(n.input(1)).dims.size() == 2 &&
             g.value(n.input(1)).dims[1] > 0)
      d.back() = g.value(n.input(1)).dims[1] / 3;
    set(g, out, d, t);
  } else if (n.opType == "MultiHeadAttention") {
    Dims d = x.dims;
    if (d.size() == 3 && known(g, n.input(2)) &&
        g.value(n.input(2)).dims.size() == 3)
      d.back() = g.value(n.input(2)).dims.back();
    if (d.size() == 5) // Packed QKV [B, S, N, 3, H].
      d = {d[0], d[1], d[2] > 0 && d[4] > 0 ? d[2] * d[4] : -1};
    set(g, out, d, t);
  } else if (n.opType == "GroupQueryAttention") {
    Dims d = x.dims;
    if (d.empty())
      return;
    int64_t heads = n.intAttr("num_heads", 0), kv = n.intAttr("kv_num_heads", 0);
    if (n.input(1) < 0 && heads > 0 && kv > 0 && d.back() > 0)
      d.back() = heads * (d.back() / (heads + 2 * kv));
    set(g, out, d, t);
  }
}
} // namespace

void moesaic::onnxfe::inferMissingShapes(Graph &g) {
  for (const Node &n : g.nodes)
    inferNode(g, n);
}
