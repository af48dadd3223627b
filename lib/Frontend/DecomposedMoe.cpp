//===- DecomposedMoe.cpp - MoE layers as torch.onnx.export writes them ----===//
//
// Anchored on the router's TopK (or ArgMax for top-1): walking back from it
// must reach the router projection (a weight MatMul [H, E]). The routed
// experts are the FFNs (FfnPatterns.cpp) between the router and the next
// layer whose inputs depend on the routing decision (per-expert
// NonZero+Gather+MatMuls) or whose weights are batched [E, ...] (every
// expert computed, masked by the routing weights). FFNs reading the
// router's hidden state without routing are shared experts; a weight
// MatMul [H, 1] + Sigmoid reading it is their gate. The layer ends at the
// first value every expert output (and the shared path) reaches.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"
#include "moesaic/Model/ModelDesc.h"

#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <map>

using namespace moesaic::onnxfe;

namespace {
struct Anchor {
  int node = -1;   ///< TopK / ArgMax.
  int router = -1; ///< The router projection.
  int64_t experts = 0;
};

/// The router projection behind a TopK/ArgMax, if any.
std::optional<Anchor> findRouter(const Recognition &r, int index) {
  const Graph &g = r.g;
  const Node &n = g.nodes[index];
  Anchor a;
  a.node = index;
  int64_t width = g.value(n.input(0)).lastDim();
  walkBack(
      g, n.input(0),
      [&](const Node &m) {
        if (m.is("MatMul") || m.is("Gemm")) {
          std::vector<int64_t> w = weightKN(g, m);
          if (a.router < 0 && w.size() == 2 && w[0] == r.hidden &&
              (width <= 0 || w[1] == width))
            a.router = &m - g.nodes.data();
          return false;
        }
        return !(m.is("Shape") || m.is("Size") || m.isMs());
      },
      256);
  if (a.router < 0)
    return std::nullopt;
  a.experts = weightKN(g, g.nodes[a.router])[1];
  if (a.experts <= 1 || (width > 0 && width != a.experts))
    return std::nullopt;
  return a;
}

struct RoutingFacts {
  std::string scoring = "softmax";
  bool renormalize = false;
  int64_t groups = 0, pick = 0, topK = 0;
  double scale = 1.0;
};

RoutingFacts analyzeRouting(const Recognition &r, const Anchor &a,
                            std::vector<std::string> &warnings) {
  const Graph &g = r.g;
  const Node &n = g.nodes[a.node];
  RoutingFacts f;
  if (n.is("ArgMax")) {
    f.topK = 1;
  } else {
    std::optional<int64_t> k = constInt(g, n.input(1));
    if (!k && n.attr("k"))
      k = n.intAttr("k", 0);
    if (!k && g.value(n.output(0)).lastDim() > 0)
      k = g.value(n.output(0)).lastDim();
    f.topK = k.value_or(0);
  }
  // Before the TopK: scoring function, bias, group-limited selection.
  bool softmaxBefore = false, sigmoidBefore = false, bias = false;
  std::vector<int> cone = walkBack(
      g, n.input(0),
      [&](const Node &m) {
        return int(&m - g.nodes.data()) != a.router &&
               !(m.is("Shape") || m.is("Size"));
      },
      256);
  for (int c : cone) {
    const Node &m = g.nodes[c];
    softmaxBefore |= m.is("Softmax");
    sigmoidBefore |= m.is("Sigmoid");
    if (m.is("Add"))
      for (int in : m.inputs)
        if (in >= 0 && isWeight(g, in) && g.value(in).lastDim() == a.experts)
          bias = true;
    if (m.is("TopK") && c != a.node) {
      const Value &in = g.value(m.input(0));
      int64_t groups = in.rank() == 2 ? in.lastDim() : -1;
      if (groups > 1 && groups < a.experts && a.experts % groups == 0) {
        f.groups = groups;
        f.pick = constInt(g, m.input(1)).value_or(g.value(m.output(0)).lastDim());
      }
    }
  }
  // After the TopK: the routing weights' path.
  llvm::DenseSet<int> weights{n.output(0)};
  bool softmaxAfter = false, sigmoidAfter = false;
  std::vector<int> frontier{n.output(0)};
  // DeepSeek gathers the weights from the unbiased scores by the indices.
  if (n.output(1) >= 0)
    for (int ci : g.value(n.output(1)).consumers) {
      const Node &c = g.nodes[ci];
      if ((c.is("GatherElements") || c.is("Gather")) && c.input(1) == n.output(1) &&
          c.output(0) >= 0 && weights.insert(c.output(0)).second)
        frontier.push_back(c.output(0));
    }
  for (int depth = 0; depth < 6 && !frontier.empty() && !n.is("ArgMax"); ++depth) {
    std::vector<int> next;
    for (int v : frontier)
      for (int ci : g.value(v).consumers) {
        const Node &c = g.nodes[ci];
        int out = c.output(0);
        if (out < 0)
          continue;
        bool follow = false;
        if (c.is("Softmax")) {
          softmaxAfter = follow = true;
        } else if (c.is("Sigmoid")) {
          sigmoidAfter = follow = true;
        } else if (c.is("ReduceSum")) {
          f.renormalize = true;
        } else if (c.is("Div") && weights.count(c.input(0))) {
          follow = true;
        } else if (c.is("Mul") || c.is("Add")) {
          int other = weights.count(c.input(0)) ? c.input(1) : c.input(0);
          std::optional<double> s = constFloat(g, other);
          if (s && c.is("Mul") && *s != 1.0 && *s > 0)
            f.scale = *s;
          follow = s.has_value();
        } else if (c.is("Cast") || c.is("Identity")) {
          follow = true;
        }
        if (follow && weights.insert(out).second)
          next.push_back(out);
      }
    frontier = std::move(next);
  }
  if (softmaxBefore) {
    f.scoring = "softmax";
  } else if (softmaxAfter) {
    f.scoring = "softmax"; // Softmax over the chosen k: renormalised.
    f.renormalize = true;
  } else if (sigmoidBefore) {
    f.scoring = bias ? "sigmoid_bias" : "sigmoid";
  } else if (sigmoidAfter) {
    f.scoring = "sigmoid";
  } else {
    warnings.push_back(llvm::formatv(
        "router '{0}': no softmax or sigmoid around the top-k; imported as "
        "softmax routing",
        n.name));
  }
  if (f.groups && (f.pick <= 0 || f.pick > f.groups))
    f.groups = f.pick = 0;
  return f;
}

/// The first nodes of `blocks`, sorted (for firstStartAfter: a scan of
/// every block per block was quadratic in layers).
template <typename Block>
std::vector<int> sortedStarts(const std::vector<Block> &blocks) {
  std::vector<int> starts;
  starts.reserve(blocks.size());
  for (const Block &b : blocks)
    starts.push_back(b.startNode);
  llvm::sort(starts);
  return starts;
}

/// The smallest of `starts` (sorted) above `after`, else `none`.
int firstStartAfter(const std::vector<int> &starts, int after, int none) {
  auto it = std::upper_bound(starts.begin(), starts.end(), after);
  return it == starts.end() ? none : std::min(none, *it);
}

/// The first value (in graph order) that every value of `contributions`
/// flows into, followed through trailing reshapes back to the hidden
/// shape; -1 if none.
int joinPoint(const Recognition &r, const std::vector<int> &contributions) {
  const Graph &g = r.g;
  unsigned bits = contributions.size();
  if (bits == 0)
    return -1;
  llvm::DenseMap<int, llvm::BitVector> reach;
  int first = (int)g.nodes.size();
  for (unsigned c = 0; c < bits; ++c) {
    llvm::BitVector &bv = reach[contributions[c]];
    bv.resize(bits);
    bv.set(c);
    first = std::min(first, g.value(contributions[c]).producer);
  }
  int out = -1;
  for (int i = first + 1; i < (int)g.nodes.size() && out < 0; ++i) {
    const Node &n = g.nodes[i];
    if (n.is("Shape") || n.is("Size"))
      continue; // Shapes carry no expert output.
    llvm::BitVector acc(bits);
    for (int in : n.inputs) {
      auto it = in >= 0 ? reach.find(in) : reach.end();
      if (it != reach.end())
        acc |= it->second;
    }
    if (acc.none())
      continue;
    for (int o : n.outputs)
      if (o >= 0) {
        llvm::BitVector &bv = reach[o];
        bv.resize(bits);
        bv |= acc;
      }
    if (acc.all() && n.output(0) >= 0 &&
        (g.value(n.output(0)).lastDim() == r.hidden ||
         !g.value(n.output(0)).hasShape))
      out = n.output(0);
  }
  if (out < 0 && bits == 1)
    out = contributions[0];
  if (out < 0)
    return -1;
  // Include trailing reshapes back to [batch, seq, hidden].
  for (int steps = 0; steps < 4; ++steps) {
    const Value &v = g.value(out);
    if (v.consumers.size() != 1 || v.isGraphOutput)
      break;
    const Node &c = g.nodes[v.consumers[0]];
    if (!(c.is("Reshape") || c.is("Cast") || c.is("Identity")) ||
        g.value(c.output(0)).lastDim() != r.hidden)
      break;
    out = c.output(0);
  }
  return out;
}

/// Shared-expert FFNs reading `x0root` (not through routing) in the node
/// range (from, to), and their sigmoid gate.
void findShared(const Recognition &r, int x0root, int from, int to,
                std::vector<FfnBlock> &shared, std::vector<int> &gateNodes,
                int &gateOut) {
  const Graph &g = r.g;
  for (int i = from + 1; i < to; ++i) {
    const Node &n = g.nodes[i];
    if (r.claimed(i) || !(n.is("MatMul") || n.is("Gemm")))
      continue;
    if (std::optional<FfnBlock> f = matchFfn(r, i)) {
      if (!f->experts && f->input == x0root)
        shared.push_back(std::move(*f));
      continue;
    }
    std::vector<int64_t> w = weightKN(g, n);
    if (gateOut < 0 && w.size() == 2 && w[0] == r.hidden && w[1] == 1 &&
        rootOf(g, n.input(0)) == x0root) {
      const Value &out = g.value(n.output(0));
      if (out.consumers.size() == 1 && g.nodes[out.consumers[0]].is("Sigmoid")) {
        gateNodes = {i, out.consumers[0]};
        gateOut = g.nodes[out.consumers[0]].output(0);
      }
    }
  }
}
} // namespace

llvm::Error moesaic::onnxfe::recognizeDecomposedMoe(Recognition &r) {
  const Graph &g = r.g;
  std::vector<Anchor> anchors;
  for (int i = 0, e = (int)g.nodes.size(); i < e; ++i) {
    const Node &n = g.nodes[i];
    if (r.claimed(i) || !(n.is("TopK") || n.is("ArgMax")))
      continue;
    if (std::optional<Anchor> a = findRouter(r, i)) {
      // Group-limited routing has several TopKs behind one router: the
      // last one picks the experts.
      if (!anchors.empty() && anchors.back().router == a->router)
        anchors.back() = *a;
      else
        anchors.push_back(*a);
    }
  }
  const std::vector<int> attnStarts = sortedStarts(r.attention);
  // The earliest router of the anchors after each one (suffix minima).
  std::vector<int> laterRouter(anchors.size() + 1, (int)g.nodes.size());
  for (size_t ai = anchors.size(); ai-- > 0;)
    laterRouter[ai] = std::min(laterRouter[ai + 1], anchors[ai].router);
  for (size_t ai = 0; ai < anchors.size(); ++ai) {
    const Anchor &a = anchors[ai];
    const Node &anchor = g.nodes[a.node];
    if (r.claimed(a.node))
      continue;
    int x0 = g.nodes[a.router].input(0);
    int x0root = rootOf(g, x0);
    int winStart = std::max(g.value(x0).producer, g.value(x0root).producer);
    int winEnd = std::min(
        firstStartAfter(attnStarts, a.node, (int)g.nodes.size()),
        laterRouter[ai + 1]);

    // Values that depend on the routing decision, inside the window.
    llvm::DenseSet<int> routed;
    for (int out : anchor.outputs)
      if (out >= 0)
        routed.insert(out);
    for (int i = a.node + 1; i < winEnd; ++i)
      for (int in : g.nodes[i].inputs)
        if (in >= 0 && routed.count(in)) {
          for (int out : g.nodes[i].outputs)
            if (out >= 0)
              routed.insert(out);
          break;
        }

    std::vector<FfnBlock> experts, shared;
    std::vector<int> gateNodes;
    int gateOut = -1;
    for (int i = winStart + 1; i < winEnd; ++i) {
      const Node &n = g.nodes[i];
      if (r.claimed(i) || !(n.is("MatMul") || n.is("Gemm")) || i == a.router)
        continue;
      if (std::optional<FfnBlock> f = matchFfn(r, i)) {
        bool dependsOnRoute = llvm::any_of(f->ups, [&](int u) {
          return routed.count(g.nodes[u].input(0)) > 0;
        });
        if (f->experts > 0 || dependsOnRoute)
          experts.push_back(std::move(*f));
      }
    }
    findShared(r, x0root, winStart, winEnd, shared, gateNodes, gateOut);
    if (experts.empty()) {
      if (a.experts <= 4096)
        r.warnings.push_back(llvm::formatv(
            "'{0}' ({1}) selects among {2} router scores but no expert FFN "
            "follows it; imported as generic compute",
            anchor.name, anchor.opType, a.experts));
      continue;
    }

    MoeBlock b;
    b.form = experts.front().experts > 0 ? "batched" : "per-expert";
    b.hidden = r.hidden;
    b.experts = a.experts;
    if (a.experts > moesaic::kMaxExperts)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("router '{0}' scores {1} experts, more than the {2} "
                        "a MoE layer may have",
                        anchor.name, a.experts, moesaic::kMaxExperts));
    RoutingFacts facts = analyzeRouting(r, a, r.warnings);
    if (facts.topK <= 0 || facts.topK > a.experts)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("router '{0}': top-k {1} is not in [1, {2}] or not "
                        "derivable (unsupported MoE variant)",
                        anchor.name, facts.topK, a.experts));
    b.topK = facts.topK;
    b.scoring = facts.scoring;
    b.renormalize = facts.renormalize;
    b.groups = facts.groups;
    b.pick = facts.pick;
    b.scale = facts.scale;
    if (b.groups && b.topK > b.pick * (b.experts / b.groups))
      b.groups = b.pick = 0;

    // Expert sizes: the most common FFN size; disagreement is reported.
    std::map<int64_t, int> sizes;
    int64_t found = 0;
    for (const FfnBlock &f : experts) {
      ++sizes[f.ffn];
      found += f.experts > 0 ? f.experts : 1;
    }
    b.ffn = std::max_element(sizes.begin(), sizes.end(),
                             [](auto &x, auto &y) { return x.second < y.second; })
                ->first;
    if (sizes.size() > 1)
      r.warnings.push_back(llvm::formatv(
          "router '{0}': experts have different FFN sizes; using {1}",
          anchor.name, b.ffn));
    b.act = experts.front().act;
    b.weightElem = experts.front().weightElem;
    b.bias = experts.front().bias;
    if (found != a.experts)
      r.warnings.push_back(llvm::formatv(
          "router '{0}' scores {1} experts but the graph computes {2} expert "
          "FFNs (a torch trace drops experts its input never routed to); "
          "imported with {1} experts",
          anchor.name, a.experts, found));
    if (!shared.empty()) {
      b.shared = (int64_t)shared.size();
      b.sharedFfn = shared.front().ffn;
      b.sharedGated = gateOut >= 0;
    }

    // The layer's output: the first value all contributions reach.
    std::vector<int> contributions;
    for (const FfnBlock &f : experts)
      contributions.push_back(f.output);
    for (const FfnBlock &f : shared)
      contributions.push_back(f.output);
    if (gateOut >= 0 && !shared.empty())
      contributions.push_back(gateOut);
    int out = joinPoint(r, contributions);
    if (out < 0) {
      r.warnings.push_back(llvm::formatv(
          "router '{0}': the expert outputs are never summed into one value; "
          "imported as generic compute",
          anchor.name));
      continue;
    }
    b.input = x0;
    b.output = out;
    b.lastNode = g.value(out).producer;
    b.startNode = a.router;
    b.nodes = nodesBetween(g, x0, out);
    for (int gn : gateNodes)
      b.nodes.push_back(gn);
    // Capacity-limited routing (Switch): cumulative position vs capacity.
    for (int n : b.nodes)
      if (g.nodes[n].is("CumSum")) {
        r.warnings.push_back(llvm::formatv(
            "router '{0}': capacity-limited routing (CumSum) found; the "
            "capacity factor is not recorded in the graph and is not imported",
            anchor.name));
        break;
      }
    claim(r, b.nodes, (int)r.moe.size());
    r.moe.push_back(std::move(b));
  }
  return llvm::Error::success();
}

void moesaic::onnxfe::attachSharedExperts(Recognition &r) {
  const Graph &g = r.g;
  // Blocks' first nodes stay put below (only a block's own last node moves).
  const std::vector<int> attnStarts = sortedStarts(r.attention);
  const std::vector<int> moeStarts = sortedStarts(r.moe);
  for (size_t bi = 0; bi < r.moe.size(); ++bi) {
    MoeBlock &b = r.moe[bi];
    if (b.shared || b.form.rfind("com.microsoft.", 0) != 0)
      continue;
    int x0root = rootOf(g, b.input);
    int from = std::max(g.value(b.input).producer, g.value(x0root).producer);
    int to = firstStartAfter(
        moeStarts, b.lastNode,
        firstStartAfter(attnStarts, b.lastNode, (int)g.nodes.size()));
    std::vector<FfnBlock> shared;
    std::vector<int> gateNodes;
    int gateOut = -1;
    findShared(r, x0root, from, to, shared, gateNodes, gateOut);
    if (shared.empty())
      continue;
    std::vector<int> contributions{b.output};
    for (const FfnBlock &f : shared)
      contributions.push_back(f.output);
    if (gateOut >= 0)
      contributions.push_back(gateOut);
    int out = joinPoint(r, contributions);
    if (out < 0)
      continue;
    b.shared = (int64_t)shared.size();
    b.sharedFfn = shared.front().ffn;
    b.sharedGated = gateOut >= 0;
    std::vector<int> nodes = nodesBetween(g, b.input, out);
    nodes.insert(nodes.end(), gateNodes.begin(), gateNodes.end());
    b.output = out;
    b.lastNode = g.value(out).producer;
    claim(r, nodes, (int)bi);
  }
}
