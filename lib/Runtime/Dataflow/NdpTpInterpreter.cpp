//===- NdpTpInterpreter.cpp - ndp-tp decisions from a when/where program --===//

#include "moesaic/Runtime/Dataflow/NdpTpInterpreter.h"

#include "llvm/Support/FormatVariadic.h"

using namespace moesaic;
using namespace moesaic::dataflow;

static llvm::Error bad(const Program &p, const llvm::Twine &why) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "dataflow program '" + p.name + "' is not an ndp-tp layer program: " +
          why);
}

/// The node an output port reads, by port name (-1: none).
static int64_t outputNode(const Program &p, llvm::StringRef port) {
  for (size_t i = 0; i < p.nodes.size(); ++i)
    if (p.nodes[i].kind == NodeKind::Output && p.nodes[i].port == port)
      return (int64_t)i;
  return -1;
}

static int64_t inputValue(const Program &p, llvm::StringRef port) {
  for (size_t i = 0; i < p.nodes.size(); ++i)
    if (p.nodes[i].kind == NodeKind::Input && p.nodes[i].port == port)
      return p.valueBase[i];
  return -1;
}

llvm::Expected<std::unique_ptr<NdpTpInterpreter>>
NdpTpInterpreter::create(Program program, int64_t experts, int granularity,
                         unsigned units) {
  const Program &p = program;
  if (p.param("experts") != experts || p.param("granularity") != granularity ||
      p.param("units") != (int64_t)units)
    return bad(p, llvm::formatv("parameters experts {0}, granularity {1}, "
                                "units {2}; the runtime has {3}, {4}, {5}",
                                p.param("experts"), p.param("granularity"),
                                p.param("units"), experts, granularity, units)
                      .str());
  std::unique_ptr<NdpTpInterpreter> in(new NdpTpInterpreter(std::move(program)));
  const Program &q = in->prog;
  in->numExperts = experts;
  in->granularity = granularity;
  int64_t tokens = inputValue(q, "tokens"), balanced = inputValue(q, "balanced");
  if (tokens < 0 || balanced < 0)
    return bad(q, "needs input ports \"tokens\" and \"balanced\"");
  in->tokensValue = (uint32_t)tokens;
  in->balancedValue = (uint32_t)balanced;
  // The gating where consuming the tokens.
  bool found = false;
  for (size_t i = 0; i < q.nodes.size(); ++i) {
    const Node &n = q.nodes[i];
    if (n.kind == NodeKind::Where && n.control == Control::Gating &&
        n.inputs.size() == 1 && n.inputs[0] == in->tokensValue &&
        n.numOutputs == (uint32_t)experts) {
      in->dispatchBase = q.valueBase[i];
      found = true;
    }
  }
  if (!found)
    return bad(q, "no gating where from \"tokens\" to the experts");
  for (int64_t e = 0; e < experts; ++e) {
    int64_t v = inputValue(q, "vram." + std::to_string(e));
    if (v < 0)
      return bad(q, "missing input port \"vram." + llvm::Twine(e) + "\"");
    in->vramValue.push_back((uint32_t)v);
  }
  int64_t active = outputNode(q, "active"),
          candidates = outputNode(q, "gpu_candidates"),
          gpu = outputNode(q, "gpu_slices"), unit = outputNode(q, "unit_slices");
  if (active < 0 || candidates < 0 || gpu < 0 || unit < 0)
    return bad(q, "needs outputs \"active\", \"gpu_candidates\", "
                  "\"gpu_slices\" and \"unit_slices\"");
  const Node &a = q.nodes[active], &c = q.nodes[candidates],
             &g = q.nodes[gpu], &u = q.nodes[unit];
  if (a.inputs.size() != (size_t)experts || c.inputs.size() != (size_t)experts ||
      g.inputs.size() != (size_t)experts || u.inputs.size() != units)
    return bad(q, "output ports do not have one input per expert / unit");
  in->activeNode = (uint32_t)active;
  in->expertOfValue.assign(q.numValues, -1);
  for (int64_t e = 0; e < experts; ++e) {
    in->expertOfValue[a.inputs[e]] = (int32_t)e;
    in->candidateNode.push_back(q.producer[c.inputs[e]]);
    uint32_t side = q.producer[g.inputs[e]];
    const Node &s = q.nodes[side];
    if (s.kind != NodeKind::Where || s.control != Control::Select ||
        s.numOutputs != 2 || s.inputs.size() != (size_t)granularity ||
        g.inputs[e] != q.valueBase[side])
      return bad(q, "gpu_slices input " + llvm::Twine(e) +
                        " is not output 0 of a select where of the slices");
    in->sideNode.push_back(side);
  }
  in->unitValue.assign(u.inputs.begin(), u.inputs.end());
  in->exec = std::make_unique<Executor>(in->prog);
  return std::move(in);
}

const NdpTpDecision &
NdpTpInterpreter::decide(unsigned numTokens, const int32_t *experts,
                         unsigned topK, const std::vector<uint8_t> &ready,
                         double expertBytes, double flopsPerToken,
                         const ndp::BalanceCosts &costs) {
  Executor &x = *exec;
  NdpTpDecision &r = result;
  x.reset();
  x.setGating(experts, topK);
  // The cache state, then the batch.
  for (int64_t e = 0; e < numExperts; ++e)
    if ((size_t)e < ready.size() && ready[e])
      x.push(vramValue[e], 0);
  for (unsigned t = 0; t < numTokens; ++t)
    x.push(tokensValue, t);

  r.load.assign(numExperts, 0);
  for (int64_t e = 0; e < numExperts; ++e)
    r.load[e] = (int32_t)x.count(dispatchBase + (uint32_t)e);
  r.activation.clear();
  for (uint32_t v : x.fired(activeNode))
    r.activation.push_back(expertOfValue[v]);
  // The balancer's input: active experts in expert order, GPU candidates
  // from the VRAM gate.
  r.works.clear();
  for (int64_t e = 0; e < numExperts; ++e) {
    if (r.load[e] <= 0)
      continue;
    ndp::ExpertWork w;
    w.expert = (int32_t)e;
    w.tokens = r.load[e];
    w.bytes = expertBytes;
    w.flops = flopsPerToken * r.load[e];
    w.onGpu = x.hasFired(candidateNode[e]);
    r.works.push_back(w);
  }
  // Plain code: the bin packing; its answer configures the select wheres.
  r.plan = ndp::balanceLayer(r.works, costs);
  std::vector<int32_t> onGpu(numExperts, 0);
  for (const ndp::SlicePiece &p : r.plan.gpu)
    onGpu[p.expert] = p.sliceEnd - p.sliceBegin;
  for (const ndp::ExpertWork &w : r.works)
    for (int s = 0; s < granularity; ++s)
      x.setSelect(sideNode[w.expert], (unsigned)s, s < onGpu[w.expert] ? 0 : 1);
  x.push(balancedValue, 0);
  // The pieces as the graph routed them.
  r.plan.gpu.clear();
  r.plan.ndp.clear();
  for (const ndp::ExpertWork &w : r.works) {
    uint32_t out = prog.valueBase[sideNode[w.expert]];
    int32_t gpu = (int32_t)x.count(out), ndp = (int32_t)x.count(out + 1);
    if (gpu > 0)
      r.plan.gpu.push_back({w.expert, 0, gpu});
    if (ndp > 0)
      r.plan.ndp.push_back({w.expert, gpu, gpu + ndp});
  }
  r.unitSlices.clear();
  for (uint32_t v : unitValue)
    r.unitSlices.push_back(x.count(v));
  return r;
}
