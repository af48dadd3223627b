//===- ShapeRules.cpp - Shapes ONNX's inference leaves unknown ------------===//
//
// ONNX 1.12 infers nothing for com.microsoft ops, and so nothing downstream
// of them. These rules give shapes to the contrib ops the importer knows and
// re-propagate through the common standard ops that follow them.
//
//===----------------------------------------------------------------------===//

#include "OnnxGraph.h"

#include "llvm/Support/MathExtras.h"
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

/// Gives value `id` the shape `dims`, or fills in the unknown dimensions
/// of the shape it has (same rank; known dimensions are kept).
void set(Graph &g, int id, Dims dims, int elemType) {
  if (id < 0)
    return;
  Value &v = g.value(id);
  if (!checkedNumel(dims))
    return;
  if (!v.hasShape) {
    v.hasShape = true;
    v.dims = std::move(dims);
  } else if (v.dims.size() == dims.size()) {
    for (size_t i = 0; i < dims.size(); ++i)
      if (v.dims[i] < 0 && dims[i] >= 0)
        v.dims[i] = dims[i];
  }
  if (v.elemType == kUndefined)
    v.elemType = elemType;
}

/// Axes from attribute `axes` or, since opset 13, a constant input.
std::optional<std::vector<int64_t>> axesOf(const Graph &g, const Node &n,
                                           size_t slot) {
  if (const Attr *a = n.attr("axes"))
    if (a->kind == Attr::Ints)
      return a->ints;
  int id = n.input(slot);
  if (id >= 0 && g.value(id).ints)
    return *g.value(id).ints;
  return std::nullopt;
}

/// Values of shape tensors: Shape, Constant, Gather, Concat, (Un)Squeeze,
/// Cast, Slice and scalar arithmetic on them.
void propagateShapeData(Graph &g, const Node &n) {
  int out = n.output(0);
  if (out < 0 || !n.isStd() || g.value(out).shapeData)
    return;
  auto data = [&](int id) -> const std::vector<int64_t> * {
    if (id < 0)
      return nullptr;
    const Value &v = g.value(id);
    if (v.shapeData)
      return &*v.shapeData;
    if (v.ints)
      return &*v.ints;
    return nullptr;
  };
  std::optional<std::vector<int64_t>> result;
  const std::vector<int64_t> *in0 = data(n.input(0));
  if (n.opType == "Shape") {
    if (n.input(0) < 0) // absent input: nothing to propagate
      return;
    const Value &x = g.value(n.input(0));
    if (!x.hasShape)
      return;
    int64_t r = (int64_t)x.dims.size();
    int64_t start = n.intAttr("start", 0), end = n.intAttr("end", r);
    start = std::clamp<int64_t>(start < 0 ? start + r : start, 0, r);
    end = std::clamp<int64_t>(end < 0 ? end + r : end, 0, r);
    result = std::vector<int64_t>(x.dims.begin() + start,
                                  x.dims.begin() + std::max(start, end));
  } else if (!in0) {
    return;
  } else if (n.opType == "Cast" || n.opType == "Identity" ||
             n.opType == "Unsqueeze" || n.opType == "Squeeze") {
    result = *in0;
  } else if (n.opType == "Gather") {
    const std::vector<int64_t> *idx = data(n.input(1));
    if (!idx)
      return;
    std::vector<int64_t> picked;
    for (int64_t i : *idx) {
      int64_t j = i < 0 ? i + (int64_t)in0->size() : i;
      if (j < 0 || j >= (int64_t)in0->size())
        return;
      picked.push_back((*in0)[j]);
    }
    result = picked;
  } else if (n.opType == "Concat") {
    std::vector<int64_t> all;
    for (int in : n.inputs) {
      const std::vector<int64_t> *d = data(in);
      if (!d)
        return;
      all.insert(all.end(), d->begin(), d->end());
    }
    result = all;
  } else if (n.opType == "Slice") {
    const std::vector<int64_t> *starts = data(n.input(1));
    const std::vector<int64_t> *ends = data(n.input(2));
    if (!starts || !ends || starts->size() != 1 || ends->size() != 1)
      return;
    int64_t r = (int64_t)in0->size();
    int64_t b = (*starts)[0] < 0 ? (*starts)[0] + r : (*starts)[0];
    int64_t e = (*ends)[0] < 0 ? (*ends)[0] + r : std::min((*ends)[0], r);
    b = std::clamp<int64_t>(b, 0, r);
    e = std::clamp<int64_t>(e, 0, r);
    result = std::vector<int64_t>(in0->begin() + b, in0->begin() + std::max(b, e));
  } else if (n.opType == "Mul" || n.opType == "Add" || n.opType == "Sub" ||
             n.opType == "Div") {
    const std::vector<int64_t> *in1 = data(n.input(1));
    if (!in1 || in0->size() != 1 || in1->size() != 1)
      return;
    int64_t a = (*in0)[0], c = (*in1)[0], v = -1;
    if (a >= 0 && c >= 0 && a < (int64_t(1) << 31) && c < (int64_t(1) << 31)) {
      if (n.opType == "Mul") v = a * c;
      else if (n.opType == "Add") v = a + c;
      else if (n.opType == "Sub") v = a - c;
      else if (c > 0) v = a / c;
    }
    result = std::vector<int64_t>{v};
  }
  if (result && result->size() <= 64)
    g.value(out).shapeData = std::move(result);
}

/// Reshape, Transpose, (Un)Squeeze, Split, reductions and TopK.
bool inferStructural(Graph &g, const Node &n, const Value &x, int out) {
  int t = x.elemType;
  if (n.opType == "ScatterElements" || n.opType == "ScatterND" ||
      n.opType == "Scatter") {
    set(g, out, x.dims, t);
    return true;
  }
  if (n.opType == "GatherElements") {
    if (known(g, n.input(1)))
      set(g, out, g.value(n.input(1)).dims, t);
    return true;
  }
  if (n.opType == "ConstantOfShape") {
    if (x.shapeData)
      set(g, out, *x.shapeData, kFloat);
    return true;
  }
  if (n.opType == "Expand") {
    if (n.input(1) < 0) // absent target shape: leave the output uninferred
      return true;
    const Value &s = g.value(n.input(1));
    const std::optional<std::vector<int64_t>> &target =
        s.ints ? s.ints : s.shapeData;
    if (target) {
      if (std::optional<Dims> d = broadcast(x.dims, *target))
        set(g, out, *d, t);
    } else if (s.rank() == 1 && s.dims[0] >= (int64_t)x.dims.size()) {
      // Target values unknown (torch's expand(-1, n, ...)): the rank is the
      // target's length; dimensions other than 1 are kept.
      Dims d(s.dims[0], -1);
      size_t off = d.size() - x.dims.size();
      for (size_t i = 0; i < x.dims.size(); ++i)
        if (x.dims[i] != 1)
          d[off + i] = x.dims[i];
      set(g, out, d, t);
    }
    return true;
  }
  int64_t r = (int64_t)x.dims.size();
  auto norm = [&](int64_t a, int64_t rank) { return a < 0 ? a + rank : a; };
  if (n.opType == "Concat") {
    int64_t axis = norm(n.intAttr("axis", 0), r);
    if (axis < 0 || axis >= r)
      return true;
    Dims d = x.dims;
    for (size_t i = 1; i < n.inputs.size(); ++i) {
      if (!known(g, n.inputs[i]) || g.value(n.inputs[i]).rank() != r)
        return true;
      int64_t extent = g.value(n.inputs[i]).dims[axis];
      d[axis] = d[axis] < 0 || extent < 0 ? -1 : d[axis] + extent;
    }
    set(g, out, d, t);
    return true;
  }
  if (n.opType == "Reshape") {
    int s = n.input(1);
    if (s < 0)
      return false;
    // Reshape(v, Shape(y)): back to y's shape.
    if (const Node *p = g.producer(s); p && p->is("Shape") &&
        !p->attr("start") && !p->attr("end") && known(g, p->input(0))) {
      set(g, out, g.value(p->input(0)).dims, t);
      return true;
    }
    const std::optional<std::vector<int64_t>> &target =
        g.value(s).ints ? g.value(s).ints : g.value(s).shapeData;
    if (!target)
      return false;
    Dims d = *target;
    bool fromData = !g.value(s).ints;
    int64_t known = 1, unknownAt = -1;
    bool exact = x.fullyStatic(), overflow = false;
    for (size_t i = 0; i < d.size(); ++i) {
      if (d[i] == 0 && !n.intAttr("allowzero", 0))
        d[i] = i < x.dims.size() ? x.dims[i] : -1;
      if (d[i] == -1 && unknownAt < 0 && !fromData)
        unknownAt = (int64_t)i;
      else if (d[i] > 0) {
        // Untrusted targets: a product that overflows is not inferred.
        if (llvm::MulOverflow(known, d[i], known))
          overflow = true;
      } else {
        exact = false;
      }
    }
    if (overflow)
      return false;
    if (unknownAt >= 0 && exact) {
      std::optional<int64_t> total = checkedNumel(x.dims);
      d[unknownAt] = total && known > 0 ? *total / known : -1;
    }
    set(g, out, d, t);
    return true;
  }
  if (n.opType == "Transpose") {
    Dims d(x.dims.rbegin(), x.dims.rend());
    if (const Attr *p = n.attr("perm"); p && p->kind == Attr::Ints) {
      if ((int64_t)p->ints.size() != r)
        return true;
      for (int64_t i = 0; i < r; ++i) {
        if (p->ints[i] < 0 || p->ints[i] >= r)
          return true;
        d[i] = x.dims[p->ints[i]];
      }
    }
    set(g, out, d, t);
    return true;
  }
  if (n.opType == "Unsqueeze" || n.opType == "Squeeze") {
    std::optional<std::vector<int64_t>> axes = axesOf(g, n, 1);
    if (!axes)
      return n.opType == "Unsqueeze";
    Dims d = x.dims;
    if (n.opType == "Unsqueeze") {
      int64_t rank = r + (int64_t)axes->size();
      std::vector<int64_t> sorted;
      for (int64_t a : *axes)
        sorted.push_back(norm(a, rank));
      std::sort(sorted.begin(), sorted.end());
      for (int64_t a : sorted)
        if (a >= 0 && a <= (int64_t)d.size())
          d.insert(d.begin() + a, 1);
    } else {
      std::vector<int64_t> sorted;
      for (int64_t a : *axes)
        sorted.push_back(norm(a, r));
      std::sort(sorted.rbegin(), sorted.rend());
      for (int64_t a : sorted)
        if (a >= 0 && a < (int64_t)d.size())
          d.erase(d.begin() + a);
    }
    set(g, out, d, t);
    return true;
  }
  if (n.opType == "Split") {
    int64_t axis = norm(n.intAttr("axis", 0), r);
    if (axis < 0 || axis >= r)
      return true;
    size_t parts = n.outputs.size();
    std::vector<int64_t> sizes;
    if (n.input(1) >= 0 && g.value(n.input(1)).ints)
      sizes = *g.value(n.input(1)).ints;
    else if (const Attr *a = n.attr("split"); a && a->kind == Attr::Ints)
      sizes = a->ints;
    else if (x.dims[axis] > 0 && parts)
      sizes.assign(parts, x.dims[axis] / (int64_t)parts);
    for (size_t i = 0; i < parts && i < sizes.size(); ++i) {
      Dims d = x.dims;
      d[axis] = sizes[i];
      set(g, n.outputs[i], d, t);
    }
    return true;
  }
  if (n.opType.rfind("Reduce", 0) == 0) {
    std::optional<std::vector<int64_t>> axes = axesOf(g, n, 1);
    if (!axes)
      return true;
    bool keep = n.intAttr("keepdims", 1) != 0;
    Dims d;
    for (int64_t i = 0; i < r; ++i) {
      bool reduced = llvm::any_of(*axes, [&](int64_t a) { return norm(a, r) == i; });
      if (!reduced)
        d.push_back(x.dims[i]);
      else if (keep)
        d.push_back(1);
    }
    set(g, out, d, t);
    return true;
  }
  if (n.opType == "TopK") {
    int64_t axis = norm(n.intAttr("axis", -1), r);
    int k = n.input(1);
    if (axis < 0 || axis >= r || k < 0 || !g.value(k).ints ||
        g.value(k).ints->size() != 1)
      return true;
    Dims d = x.dims;
    d[axis] = g.value(k).ints->front();
    set(g, out, d, t);
    set(g, n.output(1), d, kInt64);
    return true;
  }
  return false;
}

void inferNode(Graph &g, const Node &n) {
  int out = n.output(0);
  if (out < 0 || g.value(out).fullyStatic())
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
  if (n.isStd() && inferStructural(g, n, x, out))
    return;
  if (!n.isStd() && !n.isMs() && n.outputs.size() == 1) {
    // An op of a domain nobody knows: assume it keeps its input's shape.
    set(g, out, x.dims, t);
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
  // ONNX 1.12 infers scalars downstream of values without a shape (e.g.
  // the output of a com.microsoft op): forget every scalar result whose
  // inputs are not all known scalars (true scalars of shape arithmetic are
  // kept as values in shapeData, which does not need the shape).
  for (const Node &n : g.nodes) {
    int out = n.output(0);
    if (out < 0 || n.inputs.empty() || n.is("Constant") ||
        !g.value(out).hasShape || !g.value(out).dims.empty() ||
        g.value(out).ints)
      continue;
    if (llvm::any_of(n.inputs, [&](int in) {
          return in >= 0 && (!g.value(in).hasShape || !g.value(in).dims.empty());
        }))
      g.value(out).hasShape = false;
  }
  for (const Node &n : g.nodes) {
    inferNode(g, n);
    propagateShapeData(g, n);
  }
}
