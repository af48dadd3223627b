//===- AttentionPatterns.cpp - Attention blocks ---------------------------===//
//
// Two forms: com.microsoft Attention / MultiHeadAttention /
// GroupQueryAttention (and ONNX's own Attention, opset 23), with the Q/K/V
// and output projections around them absorbed; and the decomposed form
// torch.onnx.export writes: Q/K/V projections, MatMul(Q, K^T), optional
// scale and mask, Softmax, MatMul with V, output projection.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

using namespace moesaic::onnxfe;

namespace {
/// Follows `value` forward through single-consumer alias ops to a weight
/// MatMul producing the hidden size: the output projection.
int outputProjection(const Recognition &r, int value, std::vector<int> &nodes) {
  const Graph &g = r.g;
  for (int steps = 0; steps < 6 && value >= 0; ++steps) {
    const Value &v = g.value(value);
    if (v.consumers.size() != 1)
      return -1;
    int ci = v.consumers[0];
    const Node &c = g.nodes[ci];
    if ((c.is("MatMul") || c.is("Gemm")) && weightOperand(g, c) == 1 &&
        c.input(0) == value) {
      std::vector<int64_t> w = weightKN(g, c);
      if (w.size() != 2 || w[1] != r.hidden)
        return -1;
      nodes.push_back(ci);
      return ci;
    }
    if (!isAliasOp(c))
      return -1;
    nodes.push_back(ci);
    value = c.output(0);
  }
  return -1;
}

/// The output of a projection node, past a bias Add with a weight operand.
int pastBias(const Graph &g, int node, std::vector<int> &nodes) {
  int out = g.nodes[node].output(0);
  const Value &v = g.value(out);
  if (v.consumers.size() == 1) {
    const Node &c = g.nodes[v.consumers[0]];
    if (c.is("Add") && (isWeight(g, c.input(0)) || isWeight(g, c.input(1)))) {
      nodes.push_back(v.consumers[0]);
      return c.output(0);
    }
  }
  return out;
}

/// The weight projection of the hidden state that `value` derives from
/// (through bias adds, reshapes, rotary embedding, KV-cache concat).
int projectionOf(const Recognition &r, int value) {
  const Graph &g = r.g;
  int found = -1;
  walkBack(
      g, value,
      [&](const Node &n) {
        if (n.is("MatMul") || n.is("Gemm")) {
          std::vector<int64_t> w = weightKN(g, n);
          if (found < 0 && w.size() == 2 && w[0] == r.hidden)
            found = &n - g.nodes.data();
          return false;
        }
        return !(n.is("Softmax") || n.is("Shape") || n.isMs());
      },
      96);
  return found;
}

/// Packs a recognised block: nodes between its input and output.
void finish(Recognition &r, AttnBlock &b, std::vector<int> extra) {
  std::vector<int> nodes = nodesBetween(r.g, b.input, b.output);
  nodes.insert(nodes.end(), extra.begin(), extra.end());
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  b.nodes = std::move(nodes);
  b.lastNode = r.g.value(b.output).producer;
}

std::optional<AttnBlock> matchContrib(Recognition &r, int index) {
  const Graph &g = r.g;
  const Node &n = g.nodes[index];
  bool onnxAttention = n.is("Attention");
  if (!onnxAttention &&
      !(n.isMs() && (n.opType == "Attention" || n.opType == "MultiHeadAttention" ||
                     n.opType == "GroupQueryAttention" ||
                     n.opType == "DecoderMaskedMultiHeadAttention" ||
                     n.opType == "PackedMultiHeadAttention")))
    return std::nullopt;
  AttnBlock b;
  b.form = (n.isMs() ? "com.microsoft." : "") + n.opType;
  std::vector<int> extra{index};
  int64_t heads = onnxAttention ? n.intAttr("q_num_heads", 0)
                                : n.intAttr("num_heads", 0);
  int64_t kvHeads = onnxAttention ? n.intAttr("kv_num_heads", heads)
                                  : n.intAttr("kv_num_heads", heads);
  if (heads <= 0)
    return std::nullopt;
  const Value &q = g.value(n.input(0));
  int64_t qWidth = q.lastDim();
  if (n.isMs() && n.opType == "Attention") {
    // Projections inside: weights [H, 3D] or qkv_hidden_sizes.
    b.input = n.input(0);
    const Attr *sizes = n.attr("qkv_hidden_sizes");
    int64_t qs = -1, ks = -1;
    if (sizes && sizes->kind == Attr::Ints && sizes->ints.size() == 3) {
      qs = sizes->ints[0];
      ks = sizes->ints[1];
    } else if (n.input(1) >= 0 && g.value(n.input(1)).rank() == 2 &&
               g.value(n.input(1)).dims[1] > 0) {
      qs = ks = g.value(n.input(1)).dims[1] / 3;
    }
    if (qs <= 0 || qs % heads)
      return std::nullopt;
    b.headDim = qs / heads;
    kvHeads = ks > 0 && ks % b.headDim == 0 ? ks / b.headDim : heads;
  } else {
    // Projections outside: absorb the weight MatMuls feeding Q, K and V.
    int packedKv = n.input(1) < 0; // GQA with packed QKV.
    std::vector<int> projNodes;
    int x = -1;
    bool allProjected = true;
    for (int slot = 0; slot < (packedKv ? 1 : 3); ++slot) {
      int v = n.input(slot);
      const Node *p = v >= 0 ? g.producer(v) : nullptr;
      if (p && p->is("Add") && (isWeight(g, p->input(1)) || isWeight(g, p->input(0)))) {
        projNodes.push_back(p - g.nodes.data());
        int other = isWeight(g, p->input(1)) ? p->input(0) : p->input(1);
        p = g.producer(other);
      }
      if (p && (p->is("MatMul") || p->is("Gemm")) && weightOperand(g, *p) == 1) {
        projNodes.push_back(p - g.nodes.data());
        int root = rootOf(g, p->input(0));
        if (x >= 0 && root != x)
          allProjected = false;
        x = root;
      } else {
        allProjected = false;
      }
    }
    if (allProjected && x >= 0) {
      b.input = x;
      extra.insert(extra.end(), projNodes.begin(), projNodes.end());
    } else {
      b.input = n.input(0);
    }
    if (qWidth <= 0)
      return std::nullopt;
    if (q.rank() == 5) // Packed [B, S, N, 3, H].
      b.headDim = q.dims[4];
    else if (packedKv && n.opType == "GroupQueryAttention")
      b.headDim = qWidth / (heads + 2 * kvHeads);
    else
      b.headDim = qWidth / heads;
    if (!packedKv && n.input(1) >= 0 && g.value(n.input(1)).lastDim() > 0 &&
        g.value(n.input(1)).rank() == 3 && b.headDim > 0 &&
        !n.attr("kv_num_heads"))
      kvHeads = g.value(n.input(1)).lastDim() / b.headDim;
  }
  if (b.headDim <= 0 || kvHeads <= 0 || heads % kvHeads)
    return std::nullopt;
  b.heads = heads;
  b.kvHeads = kvHeads;
  int o = outputProjection(r, n.output(0), extra);
  b.output = o >= 0 ? pastBias(g, o, extra) : n.output(0);
  b.startNode = index;
  for (int e : extra)
    b.startNode = std::min(b.startNode, e);
  finish(r, b, extra);
  return b;
}

/// The first MatMul without weights reached backwards from `value` through
/// scaling, masking and casts.
int scoresMatMul(const Graph &g, int value) {
  for (int steps = 0; steps < 8 && value >= 0; ++steps) {
    const Node *p = g.producer(value);
    if (!p)
      return -1;
    if (p->is("MatMul"))
      return weightOperand(g, *p) < 0 ? int(p - g.nodes.data()) : -1;
    if (!(p->is("Add") || p->is("Div") || p->is("Mul") || p->is("Where") ||
          p->is("Cast") || p->is("Reshape") || p->is("Sub") || p->is("Tanh")))
      return -1;
    // Follow the operand that is not a constant or mask.
    int next = p->input(0);
    if (p->is("Where"))
      next = p->input(2);
    value = next;
  }
  return -1;
}

std::optional<AttnBlock> matchDecomposed(Recognition &r, int index) {
  const Graph &g = r.g;
  const Node &s = g.nodes[index];
  int qk = scoresMatMul(g, s.input(0));
  if (qk < 0)
    return std::nullopt;
  // Softmax -> (Cast/Dropout) -> MatMul with V.
  int pv = -1, probs = s.output(0);
  for (int steps = 0; steps < 4 && pv < 0; ++steps) {
    const Value &v = g.value(probs);
    if (v.consumers.size() != 1)
      return std::nullopt;
    const Node &c = g.nodes[v.consumers[0]];
    if (c.is("MatMul") && c.input(0) == probs && weightOperand(g, c) < 0)
      pv = v.consumers[0];
    else if (c.is("Cast") || c.is("Dropout") || c.is("Reshape"))
      probs = c.output(0);
    else
      return std::nullopt;
  }
  if (pv < 0)
    return std::nullopt;
  int qp = projectionOf(r, g.nodes[qk].input(0));
  int kp = projectionOf(r, g.nodes[qk].input(1));
  int vp = projectionOf(r, g.nodes[pv].input(1));
  if (qp < 0 || kp < 0 || vp < 0)
    return std::nullopt;
  int x = rootOf(g, g.nodes[qp].input(0));
  if (rootOf(g, g.nodes[kp].input(0)) != x || rootOf(g, g.nodes[vp].input(0)) != x)
    return std::nullopt;
  AttnBlock b;
  b.form = "decomposed";
  b.input = x;
  std::vector<int> extra;
  int o = outputProjection(r, g.nodes[pv].output(0), extra);
  if (o < 0)
    return std::nullopt;
  b.output = pastBias(g, o, extra);
  int64_t qW = weightKN(g, g.nodes[qp]).back();
  int64_t kW = weightKN(g, g.nodes[kp]).back();
  // Head size: from the shapes of Q (inferred), else from a Reshape target.
  const Value &qv = g.value(g.nodes[qk].input(0));
  int64_t hd = qv.rank() >= 3 ? qv.lastDim() : -1;
  if (hd <= 0)
    hd = g.value(g.nodes[pv].output(0)).rank() >= 3
             ? g.value(g.nodes[pv].output(0)).lastDim()
             : -1;
  int64_t heads = qv.rank() == 4 && qv.dims[1] > 0 ? qv.dims[1] : -1;
  if (hd <= 0) {
    for (int n : walkBack(g, g.nodes[qk].input(0),
                          [&](const Node &n) { return int(&n - g.nodes.data()) != qp; },
                          64)) {
      const Node &rn = g.nodes[n];
      if (rn.is("Reshape") && rn.input(1) >= 0 && g.value(rn.input(1)).ints &&
          g.value(rn.input(1)).ints->size() >= 3 && g.value(rn.input(1)).ints->back() > 0) {
        hd = g.value(rn.input(1)).ints->back();
        break;
      }
    }
  }
  if (hd <= 0 || qW % hd) {
    r.warnings.push_back(llvm::formatv(
        "attention at Softmax '{0}': head size not derivable from the "
        "shapes; imported as {1} heads of {2}",
        s.name, qW % 128 == 0 ? qW / 128 : 1, qW % 128 == 0 ? 128 : qW));
    hd = qW % 128 == 0 ? 128 : qW;
  }
  if (heads <= 0 || heads * hd != qW)
    heads = qW / hd;
  int64_t kv = qp == kp ? (qW - heads * hd) / (2 * hd) // fused QKV
                        : kW / hd;
  if (qp == kp && qW == kW) { // fused QKV: q width unknown from weights
    heads = qv.rank() == 4 && qv.dims[1] > 0 ? qv.dims[1] : heads / 3;
    kv = (qW / hd - heads) / 2;
  }
  if (kv <= 0 || heads <= 0 || heads % kv)
    kv = heads;
  b.heads = heads;
  b.kvHeads = kv;
  b.headDim = hd;
  b.startNode = std::min({qp, kp, vp});
  finish(r, b, extra);
  return b;
}
} // namespace

void moesaic::onnxfe::recognizeAttention(Recognition &r) {
  for (int i = 0, e = (int)r.g.nodes.size(); i < e; ++i) {
    if (r.claimed(i))
      continue;
    const Node &n = r.g.nodes[i];
    std::optional<AttnBlock> b;
    if (n.is("Softmax"))
      b = matchDecomposed(r, i);
    else
      b = matchContrib(r, i);
    if (!b || b->lastNode < 0)
      continue;
    if (r.claimed(b->lastNode))
      continue;
    claim(r, b->nodes, (1 << 20) | (int)r.attention.size());
    r.attention.push_back(std::move(*b));
  }
}
