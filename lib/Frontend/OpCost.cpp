//===- OpCost.cpp - FLOPs and bytes of a generic ONNX node ----------------===//
//
// For nodes outside recognised blocks. A multiply-add counts two FLOPs;
// element-wise ops one per output element (a few for transcendental and
// normalising ops); weight bytes are the bytes of the node's weight inputs.
//
//===----------------------------------------------------------------------===//

#include "OpCost.h"
#include "Patterns.h"

#include "llvm/ADT/StringSwitch.h"

using namespace moesaic::onnxfe;

bool moesaic::onnxfe::isFreeOp(const Node &n) {
  if (!n.isStd())
    return false;
  return isAliasOp(n) ||
         llvm::StringSwitch<bool>(n.opType)
             .Cases("Shape", "Size", "Constant", "ConstantOfShape", "Range",
                    true)
             .Cases("Slice", "Gather", "Concat", "Split", "NonZero", "Tile",
                    true)
             .Cases("Pad", "SequenceConstruct", "OneHot", "EyeLike",
                    "GatherElements", "GatherND", true)
             .Default(false);
}

/// Elements of value `id`, unknown dimensions counted as 1; a zero
/// dimension makes an empty tensor (fuzzer find: counting it as 1 made a
/// 0 x 2^60 weight 2^60 elements).
static double staticElems(const Graph &g, int id) {
  if (id < 0 || !g.value(id).hasShape)
    return 0;
  double n = 1;
  for (int64_t d : g.value(id).dims) {
    if (d == 0)
      return 0;
    if (d > 0)
      n *= (double)d;
  }
  return n;
}

/// FLOPs per output element; negative when no rule exists.
static double perElement(const Node &n) {
  if (n.isMs())
    return llvm::StringSwitch<double>(n.opType)
        .Cases("SkipLayerNormalization", "SkipSimplifiedLayerNormalization",
               "SimplifiedLayerNormalization", 6)
        .Cases("FastGelu", "BiasGelu", "QuickGelu", "Gelu", 8)
        .Cases("RotaryEmbedding", "BiasAdd", 3)
        .Default(-1.0);
  return llvm::StringSwitch<double>(n.opType)
      .Cases("Add", "Sub", "Mul", "Div", "Max", "Min", "Where", 1)
      .Cases("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
             "And", "Or", 1)
      .Cases("Not", "Neg", "Abs", "Relu", "Clip", "Sign", "Mod", 1)
      .Cases("Sqrt", "Reciprocal", "Pow", "Floor", "Ceil", "Round", 1)
      .Cases("Sigmoid", "Tanh", "Exp", "Log", "Erf", "Sin", "Cos", 4)
      .Cases("Gelu", "Softplus", "Elu", "LeakyRelu", "HardSigmoid",
             "HardSwish", "Mish", 4)
      .Cases("Softmax", "LogSoftmax", 5)
      .Cases("SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization",
             6) // onnxruntime registers these in the ONNX domain.
      .Cases("LayerNormalization", "RMSNormalization",
             "BatchNormalization", "InstanceNormalization",
             "GroupNormalization", 6)
      .Cases("CumSum", "TopK", "ArgMax", "ArgMin", "ScatterElements",
             "ScatterND", "Scatter", 1)
      .Cases("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", 1)
      .Cases("Dropout", "Identity", "Cast", "Transpose", "Expand", 0)
      .Default(-1.0);
}

OpCost moesaic::onnxfe::costOf(const Graph &g, const Node &n, int64_t tokens) {
  OpCost c;
  double div = tokens > 0 ? (double)tokens : 1.0;
  // Saturating: a node may read one huge weight several times (fuzzer
  // find: Add(w, w) of a 2^62-byte weight overflowed int64).
  double weightBytes = 0;
  for (int in : n.inputs)
    if (in >= 0 && isWeight(g, in) && !(n.is("Gather") && in == n.input(0)))
      weightBytes += staticElems(g, in) * elemBytes(g.value(in).elemType);
  c.weightBytes = weightBytes >= 9.0e18 ? (int64_t)9.0e18 : (int64_t)weightBytes;
  int out = n.output(0);
  double outElems = staticElems(g, out);
  if (n.is("MatMul") || n.is("Gemm") || n.is("MatMulInteger") ||
      (n.isMs() && (n.opType == "MatMulNBits" || n.opType == "FusedMatMul"))) {
    // An empty (absent) first input: k = 1 (fuzzer find).
    bool hasA = n.input(0) >= 0;
    int64_t k = hasA ? g.value(n.input(0)).lastDim() : 1;
    if (hasA && n.is("Gemm") && n.intAttr("transA", 0) &&
        g.value(n.input(0)).rank() == 2)
      k = g.value(n.input(0)).dims[0];
    if (n.isMs() && n.opType == "MatMulNBits")
      k = n.intAttr("K", k);
    c.flopsPerToken = 2.0 * outElems * (double)std::max<int64_t>(k, 1) / div;
    return c;
  }
  if (n.is("Conv") || n.is("ConvTranspose")) {
    // An absent weight (fuzzer find) reads as unknown: kernel 1.
    const Value &w = g.value(n.input(1));
    double kernel = 1;
    if (w.hasShape)
      for (size_t i = 1; i < w.dims.size(); ++i)
        kernel *= (double)std::max<int64_t>(w.dims[i], 1);
    c.flopsPerToken = 2.0 * outElems * kernel / div;
    return c;
  }
  if (n.opType.rfind("Reduce", 0) == 0 || n.is("GlobalAveragePool") ||
      n.is("GlobalMaxPool") || n.is("AveragePool") || n.is("MaxPool")) {
    c.flopsPerToken = staticElems(g, n.input(0)) / div;
    return c;
  }
  if (!n.isStd() && !n.isMs()) {
    c.modelled = false;
    c.flopsPerToken = outElems / div;
    return c;
  }
  double per = perElement(n);
  c.modelled = per >= 0;
  if (per < 0)
    per = 1;
  c.flopsPerToken = per * outElems / div;
  return c;
}
