//===- FusedMoe.cpp - com.microsoft MoE and QMoE nodes --------------------===//
//
// onnxruntime's contrib ops, as the onnxruntime-genai model builder emits
// them. Inputs (MoE): input, router_probs, fc1_experts_weights,
// fc1_experts_bias, fc2_experts_weights, fc2_experts_bias,
// fc3_experts_weights, fc3_experts_bias. QMoE interleaves scales: input,
// router_probs, fc1 weights, fc1_scales, fc1 bias, fc2 weights, fc2_scales,
// fc2 bias, fc3 weights, fc3_scales, fc3 bias, then fc1/fc2/fc3 zero points.
// fc1 weights come as [E, fusion*I, H] (current) or [E, H, I] (older);
// QMoE packs 8/bits values per byte along the last dimension.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"
#include "moesaic/Model/ModelDesc.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace moesaic::onnxfe;

static llvm::Error nodeError(const Node &n, const llvm::Twine &msg) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "node '" + n.name + "' (com.microsoft." + n.opType + "): " + msg);
}

static std::string dimsStr(const std::vector<int64_t> &d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i)
    s += (i ? ", " : "") + (d[i] < 0 ? std::string("?") : std::to_string(d[i]));
  return s + "]";
}

static llvm::Expected<MoeBlock> matchFused(Recognition &r, int index) {
  const Graph &g = r.g;
  const Node &n = g.nodes[index];
  bool quant = n.opType == "QMoE";
  MoeBlock b;
  b.form = "com.microsoft." + n.opType;
  // The attributes the import reads, with the kind the contrib op
  // defines: one of another kind is an error, not its default (k = "two"
  // became top-1).
  static const std::pair<const char *, Attr::Kind> kinds[] = {
      {"k", Attr::Int},
      {"activation_type", Attr::String},
      {"swiglu_fusion", Attr::Int},
      {"normalize_routing_weights", Attr::Int},
      {"use_sparse_mixer", Attr::Int},
      {"expert_weight_bits", Attr::Int},
      {"block_size", Attr::Int},
      {"quant_type", Attr::String}};
  for (const auto &[name, kind] : kinds)
    if (const Attr *a = n.attr(name); a && a->kind != kind)
      return nodeError(n, std::string("attribute '") + name + "' must be " +
                              (kind == Attr::Int ? "an integer"
                                                 : "a string"));
  int in = n.input(0), router = n.input(1), fc1 = n.input(2);
  int fc1Bias = n.input(quant ? 4 : 3), fc2 = n.input(quant ? 5 : 4);
  int fc3 = n.input(quant ? 8 : 6);
  if (in < 0 || router < 0 || fc1 < 0 || fc2 < 0)
    return nodeError(n, "needs input, router_probs, fc1_experts_weights and "
                        "fc2_experts_weights");
  const Value &x = g.value(in);
  if (!x.hasShape || x.lastDim() <= 0 || x.rank() < 2 || x.rank() > 3)
    return nodeError(n, "input '" + x.name +
                            "' must be [tokens, hidden] or [batch, seq, "
                            "hidden] with a static hidden size");
  b.hidden = x.lastDim();
  const Value &w1 = g.value(fc1);
  if (!w1.hasShape || w1.rank() != 3 || !w1.fullyStatic())
    return nodeError(n, "fc1_experts_weights '" + w1.name +
                            "' must have a static 3-D shape");
  int64_t pack = 1;
  std::string quantType = n.strAttr("quant_type", "int");
  if (quant && w1.elemType != kUint8 && w1.elemType != kFloat8E4M3FN)
    return nodeError(n, "fc1_experts_weights '" + w1.name +
                            "' must be uint8 (packed) or float8e4m3fn");
  if (quant && quantType == "int") {
    b.weightBits = n.intAttr("expert_weight_bits", 4);
    if (b.weightBits != 2 && b.weightBits != 4 && b.weightBits != 8)
      return nodeError(n, llvm::formatv("expert_weight_bits {0} is not 2, 4 "
                                        "or 8",
                                        b.weightBits));
    pack = 8 / b.weightBits;
    b.blockSize = n.intAttr("block_size", 0);
    if (b.blockSize < 0 || (b.blockSize > 0 && (b.blockSize < 16 ||
                                                 (b.blockSize & (b.blockSize - 1)))))
      return nodeError(n, llvm::formatv("block_size {0} must be 0 (per row) or "
                                        "a power of two >= 16",
                                        b.blockSize));
  } else if (quant && (quantType == "fp4" || quantType == "nvfp4" ||
                       quantType == "wfp4afp8")) {
    // Two FP4 values per byte; sized as 4-bit weights.
    b.weightBits = 4;
    pack = 2;
    r.warnings.push_back(llvm::formatv(
        "node '{0}': {1} expert weights are sized as 4-bit integers (i4)",
        n.name, quantType));
  } else if (quant && quantType == "fp8") {
    if (w1.elemType != kFloat8E4M3FN && w1.elemType != kUint8)
      return nodeError(n, "fp8 QMoE needs float8e4m3fn or uint8 weights");
  } else if (quant) {
    return nodeError(n, "unsupported quant_type '" + quantType + "'");
  }
  b.weightElem = quant && quantType == "fp8" ? (int)kFloat8E4M3FN : w1.elemType;
  b.experts = w1.dims[0];
  int64_t a = w1.dims[1], last = w1.dims[2] * pack;
  int64_t fc1Out;
  bool newLayout;
  if (last == b.hidden) {
    fc1Out = a;
    newLayout = true;
  } else if (a == b.hidden) {
    fc1Out = last;
    newLayout = false;
  } else {
    return nodeError(n, "fc1_experts_weights " + dimsStr(w1.dims) +
                            " matches neither [E, I, H/" +
                            std::to_string(pack) + "] nor [E, H, I/" +
                            std::to_string(pack) + "] for hidden size " +
                            std::to_string(b.hidden));
  }
  if (b.experts <= 0 || fc1Out <= 0)
    return nodeError(n, "fc1_experts_weights " + dimsStr(w1.dims) +
                            " has an empty dimension");
  if (b.experts > moesaic::kMaxExperts)
    return nodeError(n, "fc1_experts_weights " + dimsStr(w1.dims) +
                            " holds " + std::to_string(b.experts) +
                            " experts, more than the " +
                            std::to_string(moesaic::kMaxExperts) +
                            " a MoE layer may have");

  std::string act = n.strAttr("activation_type", "relu");
  int64_t fusion = n.intAttr("swiglu_fusion", -1);
  bool hasFc3 = fc3 >= 0;
  b.ffn = fc1Out;
  if (act == "swiglu") {
    if (fusion >= 1 || (fusion < 0 && !hasFc3)) {
      if (fc1Out % 2)
        return nodeError(n, llvm::formatv("fused SwiGLU needs an even fc1 "
                                          "width, got {0}",
                                          fc1Out));
      b.ffn = fc1Out / 2;
    } else if (!hasFc3) {
      return nodeError(n, "swiglu_fusion=0 needs fc3_experts_weights");
    }
    // -1 stands for "absent" here; a written negative value is no mode.
    if (fusion > 2 || (n.attr("swiglu_fusion") && fusion < 0))
      return nodeError(n, llvm::formatv("swiglu_fusion {0} is not 0, 1 or 2",
                                        fusion));
    const Attr *limit = n.attr("swiglu_limit");
    b.act = limit && limit->kind == Attr::Float && std::isfinite(limit->f) &&
                    limit->f > 0
                ? "clamped_swiglu"
                : "swiglu";
  } else if (act == "silu") {
    b.act = hasFc3 ? "swiglu" : "silu";
  } else if (act == "gelu") {
    b.act = hasFc3 ? "geglu" : "gelu";
  } else if (act == "relu" || act == "identity") {
    b.act = act;
  } else {
    return nodeError(n, "unsupported activation_type '" + act + "'");
  }

  // fc2 must agree: [E, H, I] (current) or [E, I, H] (older).
  const Value &w2 = g.value(fc2);
  if (w2.hasShape && w2.fullyStatic()) {
    bool ok = w2.rank() == 3 && w2.dims[0] == b.experts;
    if (ok) {
      int64_t x1 = w2.dims[1], x2 = w2.dims[2] * pack;
      ok = (x1 == b.hidden && x2 == b.ffn) || (x1 == b.ffn && x2 == b.hidden);
    }
    if (!ok)
      r.warnings.push_back(llvm::formatv(
          "node '{0}': fc2_experts_weights {1} does not match {2} experts of "
          "[{3} x {4}] ({5} fc1 layout)",
          n.name, dimsStr(w2.dims), b.experts, b.hidden, b.ffn,
          newLayout ? "current" : "older"));
  }

  const Value &rp = g.value(router);
  int64_t width = rp.lastDim();
  if (width > 0 && width != b.experts)
    r.warnings.push_back(llvm::formatv(
        "node '{0}': router_probs scores {1} experts but the weights hold {2}",
        n.name, width, b.experts));
  b.topK = n.intAttr("k", 1);
  if (b.topK < 1 || b.topK > b.experts)
    return nodeError(n, llvm::formatv("k = {0} must be in [1, {1}]", b.topK,
                                      b.experts));
  b.scoring = n.intAttr("use_sparse_mixer", 0) ? "sparsemixer" : "softmax";
  b.renormalize = n.intAttr("normalize_routing_weights", 0) != 0;
  b.bias = fc1Bias >= 0;
  b.input = in;
  b.output = n.output(0);
  b.nodes = {index};
  // The router projection feeding only this node is part of the layer.
  if (const Node *p = g.producer(router)) {
    int pi = p - g.nodes.data();
    if ((p->is("MatMul") || p->is("Gemm")) && weightOperand(g, *p) == 1 &&
        rootOf(g, p->input(0)) == rootOf(g, in) &&
        g.value(router).consumers.size() == 1 && !g.value(router).isGraphOutput)
      b.nodes.insert(b.nodes.begin(), pi);
  }
  b.lastNode = index;
  return b;
}

llvm::Error moesaic::onnxfe::recognizeFusedMoe(Recognition &r) {
  for (int i = 0, e = (int)r.g.nodes.size(); i < e; ++i) {
    const Node &n = r.g.nodes[i];
    if (!n.isMs() || (n.opType != "MoE" && n.opType != "QMoE"))
      continue;
    llvm::Expected<MoeBlock> b = matchFused(r, i);
    if (!b)
      return b.takeError();
    claim(r, b->nodes, (int)r.moe.size());
    r.moe.push_back(std::move(*b));
  }
  return llvm::Error::success();
}
