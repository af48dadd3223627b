//===- FseDpInterpreter.cpp - fse-dp decisions from a when/where program --===//

#include "moesaic/Runtime/Dataflow/FseDpInterpreter.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

using namespace moesaic;
using namespace moesaic::dataflow;

static llvm::Error bad(const Program &p, const llvm::Twine &why) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv("dataflow program '{0}' is not an fse-dp layer program: "
                    "{1}",
                    p.name, why.str())
          .str());
}

llvm::Expected<std::unique_ptr<FseDpInterpreter>>
FseDpInterpreter::create(Program program,
                         const fsedp::SchedulerConfig &config) {
  const int64_t n = config.numChiplets, e = config.numExperts;
  if (program.param("chiplets") != n || program.param("experts") != e ||
      program.param("chunks") != (int64_t)std::max<uint32_t>(
                                     config.chunksPerShard, 1))
    return bad(program, llvm::formatv("params chiplets/experts/chunks {0}/{1}"
                                      "/{2} do not match the layer's {3}/{4}/"
                                      "{5}",
                                      program.param("chiplets"),
                                      program.param("experts"),
                                      program.param("chunks"), n, e,
                                      config.chunksPerShard));
  if (n < 1 || n > 64)
    return bad(program, "chiplets must be 1..64");
  std::unique_ptr<FseDpInterpreter> in(
      new FseDpInterpreter(std::move(program), config));
  const Program &p = in->prog;
  in->tokenInput.assign(n, UINT32_MAX);
  in->shardInput.assign((size_t)e * n, UINT32_MAX);
  in->trajectoryNode.assign(e, UINT32_MAX);
  in->nodeExpert.assign(p.nodes.size(), -1);
  in->nodeChiplet.assign(p.nodes.size(), -1);
  bool haveDispatch = false, haveActive = false, haveReady = false;
  for (uint32_t i = 0; i < p.nodes.size(); ++i) {
    const Node &nd = p.nodes[i];
    if (!nd.at.empty())
      in->nodeExpert[i] = nd.at[0];
    if (nd.at.size() > 1)
      in->nodeChiplet[i] = nd.at[1];
    auto inRange = [&](int64_t x, int64_t hi) { return x >= 0 && x < hi; };
    switch (nd.kind) {
    case NodeKind::Input:
      if (nd.at.size() == 1 && inRange(nd.at[0], n))
        in->tokenInput[nd.at[0]] = p.valueBase[i];
      else if (nd.at.size() == 2 && inRange(nd.at[0], e) &&
               inRange(nd.at[1], n))
        in->shardInput[nd.at[0] * n + nd.at[1]] = p.valueBase[i];
      else
        return bad(p, "input '" + nd.port + "' has no [chiplet] or "
                                            "[expert, shard] label in range");
      break;
    case NodeKind::Where:
      if (nd.control == Control::Gating) {
        if (haveDispatch || nd.inputs.size() != (size_t)n ||
            nd.numOutputs != (uint32_t)(e * n))
          return bad(p, "needs one gating where of N inputs, E x N outputs");
        haveDispatch = true;
        in->dispatchBase = p.valueBase[i];
      } else if (nd.control == Control::Trajectory) {
        if (nd.at.empty() || !inRange(nd.at[0], e) ||
            nd.inputs.size() != (size_t)n)
          return bad(p, "trajectory where needs `at [expert]` and N inputs");
        in->trajectoryNode[nd.at[0]] = i;
      }
      break;
    case NodeKind::When:
      break;
    case NodeKind::Output:
      if (nd.port == "active")
        in->activeNode = i, haveActive = true;
      else if (nd.port == "ready")
        in->readyNode = i, haveReady = true;
      break;
    }
  }
  if (!haveDispatch || !haveActive || !haveReady)
    return bad(p, "needs the gating where and the outputs 'active' and "
                  "'ready'");
  for (int64_t x = 0; x < n; ++x)
    if (in->tokenInput[x] == UINT32_MAX)
      return bad(p, "missing tokens input of chiplet " + llvm::Twine(x));
  for (int64_t x = 0; x < e; ++x) {
    if (in->trajectoryNode[x] == UINT32_MAX)
      return bad(p, "missing trajectory where of expert " + llvm::Twine(x));
    for (int64_t s = 0; s < n; ++s)
      if (in->shardInput[x * n + s] == UINT32_MAX)
        return bad(p, "missing shard input " + llvm::Twine(x) + "." +
                          llvm::Twine(s));
  }
  return in;
}

FseDpInterpreter::FseDpInterpreter(Program program,
                                   const fsedp::SchedulerConfig &config)
    : prog(std::move(program)), cfg(config), delegate(config) {
  if (cfg.chunksPerShard == 0)
    cfg.chunksPerShard = 1;
  exec = std::make_unique<Executor>(prog);
  delegateIndex.assign(cfg.numExperts, 0);
  readyMask.assign(cfg.numExperts, 0);
  result.experts.reserve(cfg.numExperts);
}

const fsedp::Decision &FseDpInterpreter::decide(unsigned numTokens,
                                                const uint16_t *tokenPos,
                                                const int32_t *experts,
                                                unsigned topK) {
  const unsigned n = cfg.numChiplets;
  const uint32_t S = cfg.chunksPerShard;
  exec->reset();
  exec->setGating(experts, topK);
  ready.clear();
  result.experts.clear();

  // 1. when/where: tokens enter on their chiplet's port; the gating where
  //    dispatches them, the per-expert `when` fires on the first one.
  for (unsigned t = 0; t < numTokens; ++t)
    exec->push(tokenInput[tokenPos[t]], t);
  const std::vector<uint32_t> &act = exec->fired(activeNode);

  // 2. Plain code over the graph's outputs: arc length (largest empty gap
  //    among the holders, V3) and the longest-stream-first order, stable
  //    over the activation order.
  struct Item {
    uint32_t expert;
    uint64_t holders;
    uint16_t tokens;
    unsigned len, key;
  };
  std::vector<Item> items;
  items.reserve(act.size());
  for (uint32_t v : act) {
    uint32_t e = (uint32_t)nodeExpert[prog.producer[v]];
    uint64_t mask = 0;
    unsigned tokens = 0;
    for (unsigned p = 0; p < n; ++p) {
      uint32_t c = exec->count(dispatchBase + e * n + p);
      if (c)
        mask |= uint64_t(1) << p;
      tokens += c;
    }
    unsigned maxGap = 0, first = __builtin_ctzll(mask), prev = first;
    for (uint64_t rest = mask & (mask - 1); rest; rest &= rest - 1) {
      unsigned p = __builtin_ctzll(rest);
      maxGap = std::max(maxGap, p - prev - 1);
      prev = p;
    }
    maxGap = std::max(maxGap, first + n - prev - 1);
    unsigned len = n - 1 - maxGap, gap = maxGap;
    unsigned key = std::min(len + (gap + 1) / 2, n);
    items.push_back({e, mask, (uint16_t)tokens, len, key});
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const Item &a, const Item &b) { return a.key > b.key; });

  // 3. Delegated: ties between equal gaps, the odd shard's direction and the
  //    greedy link/compute booking (TrajectoryScheduler).
  const fsedp::Decision &booked =
      delegate.decide(numTokens, tokenPos, experts, topK);
  for (uint32_t i = 0; i < booked.experts.size(); ++i)
    delegateIndex[booked.experts[i].expert] = i;

  // 4. when/where: every expert's N shards (S chunk tokens each) stream
  //    through its trajectory where along the booked arc; a (expert,
  //    chiplet) `ready` node fires once its tokens and all N*S chunks are
  //    there.
  for (const Item &it : items) {
    const fsedp::ExpertDecision &b = booked.experts[delegateIndex[it.expert]];
    uint32_t node = trajectoryNode[it.expert];
    for (unsigned s = 0; s < n; ++s) {
      fsedp::TrajectoryScheduler::shardPath(n, b.arcStart, it.len, b.cwGap, s,
                                            cwLeg, ccwLeg);
      uint64_t dest = uint64_t(1) << s;
      for (unsigned p : cwLeg)
        dest |= uint64_t(1) << p;
      for (unsigned p : ccwLeg)
        dest |= uint64_t(1) << p;
      exec->setRoute(node, s, dest);
    }
    for (unsigned s = 0; s < n; ++s)
      for (uint32_t c = 0; c < S; ++c)
        exec->push(shardInput[(size_t)it.expert * n + s], c);
  }
  for (uint32_t e = 0; e < cfg.numExperts; ++e)
    readyMask[e] = 0;
  for (uint32_t v : exec->fired(readyNode)) {
    uint32_t node = prog.producer[v];
    uint32_t e = (uint32_t)nodeExpert[node], p = (uint32_t)nodeChiplet[node];
    ready.push_back({e, p});
    readyMask[e] |= uint64_t(1) << p;
  }

  for (const Item &it : items) {
    const fsedp::ExpertDecision &b = booked.experts[delegateIndex[it.expert]];
    fsedp::ExpertDecision d;
    d.expert = it.expert;
    d.holders = readyMask[it.expert]; // from the `ready` firings
    d.tokens = it.tokens;
    d.arcLen = (uint8_t)it.len;
    d.arcStart = b.arcStart;
    d.cwGap = b.cwGap;
    d.ccwGap = b.ccwGap;
    d.startTick = b.startTick;
    d.endTick = b.endTick;
    result.experts.push_back(d);
  }
  result.makespanTicks = booked.makespanTicks;
  return result;
}
