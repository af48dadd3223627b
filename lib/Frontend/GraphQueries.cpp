//===- GraphQueries.cpp - Small queries the recognisers share -------------===//

#include "Patterns.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSwitch.h"

#include <algorithm>

using namespace moesaic::onnxfe;

bool moesaic::onnxfe::isAliasOp(const Node &n) {
  if (!n.isStd())
    return false;
  return llvm::StringSwitch<bool>(n.opType)
      .Cases("Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", true)
      .Cases("Cast", "CastLike", "Dropout", "Transpose", "Expand", true)
      .Default(false);
}

int moesaic::onnxfe::rootOf(const Graph &g, int id) {
  for (int steps = 0; id >= 0 && steps < 64; ++steps) {
    const Node *p = g.producer(id);
    if (!p || !isAliasOp(*p) || p->is("Transpose") || p->is("Expand"))
      return id;
    id = p->input(0);
  }
  return id;
}

bool moesaic::onnxfe::isWeight(const Graph &g, int id) {
  for (int steps = 0; id >= 0 && steps < 8; ++steps) {
    const Value &v = g.value(id);
    if (v.isParam)
      return true;
    const Node *p = g.producer(id);
    if (!p)
      return false;
    if (!(p->is("Transpose") || p->is("Cast") || p->is("Reshape") ||
          p->is("DequantizeLinear") || p->is("Identity") ||
          (p->isMs() && p->opType == "DequantizeLinear")))
      return false;
    id = p->input(0);
  }
  return false;
}

int moesaic::onnxfe::weightOperand(const Graph &g, const Node &n) {
  if (!(n.is("MatMul") || n.is("Gemm")))
    return -1;
  if (isWeight(g, n.input(1)))
    return 1;
  if (n.is("Gemm") && isWeight(g, n.input(0)))
    return 0;
  return -1;
}

std::vector<int64_t> moesaic::onnxfe::weightKN(const Graph &g, const Node &n) {
  int w = weightOperand(g, n);
  if (w < 0 || !g.value(n.inputs[w]).hasShape)
    return {};
  std::vector<int64_t> d = g.value(n.inputs[w]).dims;
  // Walk through a Transpose of a rank-2 weight.
  if (const Node *p = g.producer(n.inputs[w]))
    if (p->is("Transpose") && d.size() == 2 && !g.value(n.inputs[w]).isParam)
      d = {d[0], d[1]};
  if (n.is("Gemm") && d.size() == 2 && n.intAttr("transB", 0))
    std::swap(d[0], d[1]);
  return d;
}

std::optional<int64_t> moesaic::onnxfe::constInt(const Graph &g, int id) {
  for (int steps = 0; id >= 0 && steps < 8; ++steps) {
    const Value &v = g.value(id);
    if (v.ints && v.ints->size() == 1)
      return v.ints->front();
    const Node *p = g.producer(id);
    if (!p || !(p->is("Cast") || p->is("Reshape") || p->is("Unsqueeze") ||
                p->is("Squeeze") || p->is("Identity")))
      return std::nullopt;
    id = p->input(0);
  }
  return std::nullopt;
}

std::optional<double> moesaic::onnxfe::constFloat(const Graph &g, int id) {
  for (int steps = 0; id >= 0 && steps < 8; ++steps) {
    const Value &v = g.value(id);
    if (v.floats && v.floats->size() == 1)
      return v.floats->front();
    const Node *p = g.producer(id);
    if (!p || !(p->is("Cast") || p->is("Reshape") || p->is("Unsqueeze") ||
                p->is("Squeeze") || p->is("Identity")))
      return std::nullopt;
    id = p->input(0);
  }
  return std::nullopt;
}

std::vector<int> moesaic::onnxfe::walkBack(
    const Graph &g, int from, const std::function<bool(const Node &)> &through,
    size_t limit) {
  std::vector<int> out, stack{from};
  llvm::DenseSet<int> seen;
  while (!stack.empty() && out.size() < limit) {
    int v = stack.back();
    stack.pop_back();
    if (v < 0)
      continue;
    int p = g.value(v).producer;
    if (p < 0 || !seen.insert(p).second)
      continue;
    out.push_back(p);
    if (!through(g.nodes[p]))
      continue;
    for (int in : g.nodes[p].inputs)
      stack.push_back(in);
  }
  return out;
}

std::vector<int> moesaic::onnxfe::nodesBetween(const Graph &g, int stop,
                                               int out) {
  int floor = stop >= 0 ? g.value(stop).producer : -1;
  std::vector<int> nodes, stack{out};
  llvm::DenseSet<int> seen;
  while (!stack.empty()) {
    int v = stack.back();
    stack.pop_back();
    if (v < 0 || v == stop)
      continue;
    int p = g.value(v).producer;
    if (p < 0 || p <= floor || !seen.insert(p).second)
      continue;
    nodes.push_back(p);
    for (int in : g.nodes[p].inputs)
      stack.push_back(in);
  }
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

void moesaic::onnxfe::claim(Recognition &r, const std::vector<int> &nodes,
                            int id) {
  for (int n : nodes)
    if (r.owner[n] < 0)
      r.owner[n] = id;
}
