//===- FseDpInterpreter.cpp - fse-dp decisions from a when/where program --===//
//
// Reproduces the direct runtime scheduler's decision (the arithmetic of
// lib/FseDpRuntime/Trajectory*.cpp, rules V3, V4 and V6) from the
// program's firings and edge counts; see the header and docs/dataflow.md
// for what is read from the graph and what is plain code.
//
//===----------------------------------------------------------------------===//

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
  const uint32_t none = UINT32_MAX;
  in->tokenInput.assign(n, none);
  in->shardInput.assign((size_t)e * n, none);
  in->trajectoryNode.assign(e, none);
  in->linksNode.assign((size_t)e * 2, none);
  in->laneValue.assign(2 * n, none);
  in->nodeExpert.assign(p.nodes.size(), -1);
  in->nodeChiplet.assign(p.nodes.size(), -1);
  in->replicatedInput = none;
  bool haveDispatch = false, haveReplicated = false, haveActive = false,
       haveReady = false, haveReplicatedActive = false, haveLinks = false;
  auto inRange = [&](int64_t x, int64_t hi) { return x >= 0 && x < hi; };
  for (uint32_t i = 0; i < p.nodes.size(); ++i) {
    const Node &nd = p.nodes[i];
    if (!nd.at.empty())
      in->nodeExpert[i] = nd.at[0];
    if (nd.at.size() > 1)
      in->nodeChiplet[i] = nd.at[1];
    switch (nd.kind) {
    case NodeKind::Input:
      if (nd.port == "tokens.replicated" && nd.at.empty())
        in->replicatedInput = p.valueBase[i];
      else if (nd.at.size() == 1 && inRange(nd.at[0], n))
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
        if (nd.inputs.size() == 1 && nd.inputs[0] == in->replicatedInput) {
          if (haveReplicated || nd.numOutputs != (uint32_t)e)
            return bad(p, "needs one gating where of tokens.replicated to E "
                          "outputs");
          haveReplicated = true;
          in->replicatedBase = p.valueBase[i];
          break;
        }
        if (haveDispatch || nd.inputs.size() != (size_t)n ||
            nd.numOutputs != (uint32_t)(e * n))
          return bad(p, "needs one gating where of N inputs, E x N outputs");
        for (int64_t x = 0; x < n; ++x)
          if (nd.inputs[x] != in->tokenInput[x])
            return bad(p, "the gating where's input " + llvm::Twine(x) +
                              " is not tokens." + llvm::Twine(x));
        haveDispatch = true;
        in->dispatchBase = p.valueBase[i];
      } else if (nd.control == Control::Trajectory) {
        if (nd.at.empty() || !inRange(nd.at[0], e) ||
            nd.inputs.size() != (size_t)n)
          return bad(p, "trajectory where needs `at [expert]` and N inputs");
        in->trajectoryNode[nd.at[0]] = i;
      } else if (nd.control == Control::Links) {
        if (nd.at.size() != 2 || !inRange(nd.at[0], e) ||
            !inRange(nd.at[1], 2) || nd.inputs.size() != (size_t)n)
          return bad(p, "links where needs `at [expert, direction]` and N "
                        "inputs");
        in->linksNode[nd.at[0] * 2 + nd.at[1]] = i;
      }
      break;
    case NodeKind::When:
      break;
    case NodeKind::Output:
      if (nd.port == "active") {
        in->activeNode = i, haveActive = true;
      } else if (nd.port == "ready") {
        in->readyNode = i, haveReady = true;
      } else if (nd.port == "active.replicated") {
        in->replicatedActiveNode = i, haveReplicatedActive = true;
      } else if (nd.port == "links") {
        haveLinks = true;
        for (uint32_t v : nd.inputs) {
          const Node &w = p.nodes[p.producer[v]];
          if (w.kind != NodeKind::When || w.at.size() != 1 ||
              !inRange(w.at[0], 2 * n) || !w.resetOnFire ||
              w.threshold != std::max<int64_t>(config.chunksPerShard, 1))
            return bad(p, "output 'links' takes one `when` per directed "
                          "link (`at [link]`, threshold chunks, reset "
                          "on_fire)");
          in->laneValue[w.at[0]] = v;
        }
      }
      break;
    }
  }
  if (!haveDispatch || !haveActive || !haveReady)
    return bad(p, "needs the gating where and the outputs 'active' and "
                  "'ready'");
  if (!haveReplicated || !haveReplicatedActive)
    return bad(p, "needs the input 'tokens.replicated', its gating where and "
                  "the output 'active.replicated' (rule V4)");
  if (!haveLinks)
    return bad(p, "needs the output 'links' (link occupancy)");
  for (int64_t x = 0; x < n; ++x)
    if (in->tokenInput[x] == none)
      return bad(p, "missing tokens input of chiplet " + llvm::Twine(x));
  for (int64_t l = 0; l < 2 * n; ++l)
    if (in->laneValue[l] == none)
      return bad(p, "missing the `when` of link " + llvm::Twine(l));
  for (int64_t x = 0; x < e; ++x) {
    if (in->trajectoryNode[x] == none)
      return bad(p, "missing trajectory where of expert " + llvm::Twine(x));
    for (int64_t dir = 0; dir < 2; ++dir)
      if (in->linksNode[x * 2 + dir] == none)
        return bad(p, "missing links where " + llvm::Twine(dir) +
                          " of expert " + llvm::Twine(x));
    for (int64_t s = 0; s < n; ++s) {
      uint32_t v = in->shardInput[x * n + s];
      if (v == none)
        return bad(p, "missing shard input " + llvm::Twine(x) + "." +
                          llvm::Twine(s));
      for (uint32_t node : {in->trajectoryNode[x], in->linksNode[x * 2],
                            in->linksNode[x * 2 + 1]})
        if (p.nodes[node].inputs[s] != v)
          return bad(p, "input " + llvm::Twine(s) + " of a where of expert " +
                            llvm::Twine(x) + " is not shards." +
                            llvm::Twine(x) + "." + llvm::Twine(s));
    }
  }
  return in;
}

FseDpInterpreter::FseDpInterpreter(Program program,
                                   const fsedp::SchedulerConfig &config)
    : prog(std::move(program)), cfg(config) {
  if (cfg.chunksPerShard == 0)
    cfg.chunksPerShard = 1;
  const unsigned n = cfg.numChiplets;
  exec = std::make_unique<Executor>(prog);
  identity.resize(cfg.numExperts);
  for (uint32_t e = 0; e < cfg.numExperts; ++e)
    identity[e] = (int32_t)e;
  v4Holder = fsedp::TrajectoryScheduler::replicatedHolders(n);
  splitOf = fsedp::TrajectoryScheduler::splitFactors(cfg);
  segHolders.resize(n + 1);
  for (unsigned h : splitOf)
    if (h > 1 && segHolders[h].empty())
      segHolders[h] = fsedp::TrajectoryScheduler::replicatedHolders(n / h);
  linkFree.assign(2 * n, 0);
  computeFree.assign(n, 0);
  probe.assign(2 * n, 0);
  laneBefore.assign(2 * n, 0);
  items.reserve(cfg.numExperts);
  sorted.reserve(cfg.numExperts);
  bucket.assign(n + 1, 0);
  result.experts.reserve(cfg.numExperts);
}

/// Positions a..b (inclusive, relative to the arc start) as a mask; empty
/// when a > b.
static uint64_t span(int a, int b) {
  if (a > b)
    return 0;
  unsigned w = (unsigned)(b - a + 1);
  return (w >= 64 ? ~uint64_t(0) : (uint64_t(1) << w) - 1) << a;
}

/// Relative positions -> logical chiplets: rotate an n-bit mask by `start`.
static uint64_t rotate(uint64_t rel, unsigned start, unsigned n) {
  if (start == 0)
    return rel;
  uint64_t full = n >= 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1;
  return ((rel << start) | (rel >> (n - start))) & full;
}

void FseDpInterpreter::route(uint32_t e, unsigned start, unsigned len,
                             unsigned cwGap) {
  // Rule V3, relative to the arc start (r = 0..len is the arc): every
  // shard is delivered to every chiplet of the arc (the trajectory where).
  // On its way, one homed inside the arc crosses clockwise links h..len-1
  // and counter-clockwise links h..1; one homed in the clockwise part of
  // the gap (h >= N - cwGap) travels clockwise through the rest of the gap
  // and the arc; one in the counter-clockwise part travels
  // counter-clockwise down to the arc start (the links wheres).
  const int n = (int)cfg.numChiplets, l = (int)len;
  const uint32_t tr = trajectoryNode[e], cw = linksNode[e * 2],
                 ccw = linksNode[e * 2 + 1];
  const uint64_t arc = rotate(span(0, l), start, n);
  for (int h = 0; h < n; ++h) {
    uint64_t cwLinks, ccwLinks;
    if (h <= l) {
      cwLinks = span(h, l - 1);
      ccwLinks = span(1, h);
    } else if (h >= n - (int)cwGap) {
      cwLinks = span(h, n - 1) | span(0, l - 1);
      ccwLinks = 0;
    } else {
      cwLinks = 0;
      ccwLinks = span(1, h);
    }
    unsigned s = (start + (unsigned)h) % (unsigned)n;
    exec->setRoute(tr, s, arc);
    exec->setRoute(cw, s, rotate(cwLinks, start, n));
    exec->setRoute(ccw, s, rotate(ccwLinks, start, n));
  }
}

void FseDpInterpreter::routeSplit(uint32_t e, unsigned start,
                                  unsigned split, unsigned cwGap) {
  // Rule V6: the segment of home s starts cwGap before its holder; the
  // shard crosses the links between them and reaches that holder only.
  const unsigned n = cfg.numChiplets, seg = n / split;
  const uint32_t tr = trajectoryNode[e], cw = linksNode[e * 2],
                 ccw = linksNode[e * 2 + 1];
  for (unsigned s = 0; s < n; ++s) {
    unsigned o = (s + n - start + cwGap) % n % seg;
    unsigned holder = (s + n - o + cwGap) % n;
    uint64_t cwLinks = 0, ccwLinks = 0;
    for (unsigned k = 0; o < cwGap && k < cwGap - o; ++k)
      cwLinks |= uint64_t(1) << (s + k) % n; // link p -> p+1 is p
    for (unsigned k = 0; o > cwGap && k < o - cwGap; ++k)
      ccwLinks |= uint64_t(1) << (s + n - k) % n; // p -> p-1 is p
    exec->setRoute(tr, s, uint64_t(1) << holder);
    exec->setRoute(cw, s, cwLinks);
    exec->setRoute(ccw, s, ccwLinks);
  }
}

void FseDpInterpreter::arcWork(unsigned start, unsigned len, unsigned cwGap,
                               uint32_t *w, unsigned split) {
  // Shards crossing each directed link: the static V3 geometry shared with
  // the direct scheduler (the rule, not its booking), turned into busy
  // ticks.
  const unsigned n = cfg.numChiplets;
  const uint32_t S = cfg.chunksPerShard;
  const uint32_t lt = cfg.linkTicksPerChunk * S, dt = cfg.dramTicksPerChunk * S;
  uint8_t shards[2 * 64];
  fsedp::TrajectoryScheduler::occupancy(n, start, len, cwGap, shards, split);
  for (unsigned p = 0; p < n; ++p) {
    uint32_t cwN = shards[p], ccwN = shards[n + p];
    w[p] = cwN ? std::max(cwN * lt, dt) : 0;
    w[n + p] = ccwN ? std::max(ccwN * lt, dt) : 0;
  }
}

const fsedp::Decision &FseDpInterpreter::decide(unsigned numTokens,
                                                const uint16_t *tokenPos,
                                                const int32_t *experts,
                                                unsigned topK) {
  const unsigned n = cfg.numChiplets, lanes = 2 * n;
  const uint32_t S = cfg.chunksPerShard;
  exec->reset();
  ready.clear();
  result.experts.clear();
  items.clear();

  // 1. when/where: tokens enter on their chiplet's port; the gating where
  //    dispatches them, the per-expert `when` fires on the first one.
  exec->setGating(experts, topK);
  unsigned split = 1; // rule V6's factor of this batch
  if (tokenPos) {
    for (unsigned t = 0; t < numTokens; ++t)
      exec->push(tokenInput[tokenPos[t]], t);
  } else {
    // Rule V4: the replicated port dispatches to the experts only; the
    // activation order and each expert's tokens come from there. Plain
    // code picks one holder per expert by activation rank (the direct
    // scheduler's table), and the expert's tokens enter the main dispatch
    // once, on that holder, as one counted packet (gating row e of the
    // identity: "expert e only").
    for (unsigned t = 0; t < numTokens; ++t)
      exec->push(replicatedInput, t);
    const std::vector<uint32_t> &order = exec->fired(replicatedActiveNode);
    const size_t numActive = order.size();
    exec->setGating(identity.data(), 1);
    // Rule V6: split h ways, the expert's tokens enter at its holder in
    // every segment (V4 on the segment ring, repeated).
    if (numActive)
      split = splitOf[std::min(numActive, splitOf.size()) - 1];
    const unsigned seg = n / split;
    const std::vector<uint8_t> &table =
        split > 1 ? segHolders[split] : v4Holder;
    for (size_t i = 0; i < numActive; ++i) {
      uint32_t e = (uint32_t)nodeExpert[prog.producer[order[i]]];
      unsigned p = fsedp::TrajectoryScheduler::replicatedHolder(
          table, seg, numActive, i);
      for (unsigned j = 0; j < split; ++j)
        exec->push(tokenInput[p + j * seg], e,
                   exec->count(replicatedBase + e));
    }
  }

  // 2. Plain code over the graph's outputs: the arc (largest empty gap
  //    among the holders, V3; the first gap found wins, a later equal one
  //    is the alternative the booking may pick) and the longest-stream-first
  //    order, stable over the activation order.
  for (uint32_t v : exec->fired(activeNode)) {
    uint32_t e = (uint32_t)nodeExpert[prog.producer[v]];
    uint64_t mask = 0;
    uint32_t tokens = 0;
    for (unsigned p = 0; p < n; ++p) {
      uint32_t c = exec->count(dispatchBase + e * n + p);
      if (c)
        mask |= uint64_t(1) << p;
      tokens += c;
    }
    unsigned first = __builtin_ctzll(mask);
    unsigned start = first, len = 0, tie = 0xff;
    if (split > 1) {
      // Rule V6: the holders are one expert's copies, not an arc; its
      // first holder (below N / split) names them, its tokens are one
      // copy's.
      tokens /= split;
      items.push_back({e, mask, tokens, (uint8_t)start, 0, 0xff, 0});
      continue;
    }
    if (mask & (mask - 1)) {
      unsigned prev = first, bestGap = 0, bestStart = 0;
      bool firstGap = true;
      for (uint64_t rest = mask & (mask - 1); rest; rest &= rest - 1) {
        unsigned p = __builtin_ctzll(rest);
        unsigned gap = p - prev - 1;
        if (firstGap || gap > bestGap) {
          bestGap = gap;
          bestStart = p;
          tie = 0xff;
          firstGap = false;
        } else if (gap == bestGap && tie == 0xff) {
          tie = p;
        }
        prev = p;
      }
      unsigned wrap = first + n - prev - 1;
      if (wrap > bestGap) {
        bestGap = wrap;
        bestStart = first;
        tie = 0xff;
      } else if (wrap == bestGap && tie == 0xff) {
        tie = first;
      }
      start = bestStart;
      len = n - 1 - bestGap;
    }
    unsigned gap = n - 1 - len;
    unsigned key = std::min(len + (gap + 1) / 2, n);
    items.push_back({e, mask, tokens, (uint8_t)start, (uint8_t)len,
                     (uint8_t)tie, (uint8_t)key});
  }
  // Counting sort by key, descending, stable (keys are at most N).
  std::fill(bucket.begin(), bucket.end(), 0);
  for (const Item &it : items)
    ++bucket[it.key];
  for (unsigned k = n + 1, pos = 0; k-- > 0;) {
    unsigned c = bucket[k];
    bucket[k] = pos;
    pos += c;
  }
  sorted.resize(items.size());
  for (const Item &it : items)
    sorted[bucket[it.key]++] = it;

  // 3. Per expert in streaming order: choose the arc among equal gaps and
  //    the odd gap shard's direction (plain code over the link free ticks),
  //    stream its N shards (S chunks each, one counted packet per shard)
  //    through the trajectory and links wheres; the link `when`s give the
  //    occupancy the booking commits, the `ready` `when`s the holders.
  std::fill(linkFree.begin(), linkFree.end(), 0);
  std::fill(computeFree.begin(), computeFree.end(), 0);
  uint32_t dramFree = 0, makespan = 0;
  size_t readySeen = 0;
  for (const Item &it : sorted) {
    fsedp::ExpertDecision d;
    d.expert = it.expert;
    d.tokens = (uint16_t)it.tokens;
    d.arcLen = it.len;
    d.split = (uint8_t)split;
    const unsigned len = it.len, seg = n / split, gap = seg - 1 - len;
    d.startTick = dramFree;
    const uint32_t t0 = dramFree + cfg.dramTicksPerChunk;
    dramFree += S * cfg.dramTicksPerChunk;
    // The odd gap shard joins the direction whose entry link into the arc
    // frees up first.
    auto oddShardCw = [&](unsigned start) {
      if (!(gap & 1))
        return gap / 2;
      unsigned end = start + len;
      end = end >= n ? end - n : end;
      unsigned cwEntry = start == 0 ? n - 1 : start - 1;
      unsigned ccwEntry = n + (end + 1 == n ? 0 : end + 1);
      return gap / 2 + (linkFree[cwEntry] <= linkFree[ccwEntry] ? 1 : 0);
    };
    auto finish = [&](const uint32_t *w) {
      uint32_t end = t0;
      for (unsigned l = 0; l < lanes; ++l)
        if (w[l])
          end = std::max(end, std::max(linkFree[l], t0) + w[l]);
      return end;
    };
    unsigned start = it.start, cwGap = oddShardCw(start);
    if (it.tieStart != 0xff) {
      // Two gaps of the same length: the one whose booking ends first
      // (never with split holders).
      arcWork(start, len, cwGap, probe.data());
      uint32_t e0 = finish(probe.data());
      unsigned altCw = oddShardCw(it.tieStart);
      arcWork(it.tieStart, len, altCw, probe.data());
      if (finish(probe.data()) < e0) {
        start = it.tieStart;
        cwGap = altCw;
      }
    }
    d.arcStart = (uint8_t)start;
    d.cwGap = (uint8_t)cwGap;
    d.ccwGap = (uint8_t)(gap - cwGap);

    if (split > 1)
      routeSplit(it.expert, start, split, cwGap);
    else
      route(it.expert, start, len, cwGap);
    for (unsigned l = 0; l < lanes; ++l)
      laneBefore[l] = exec->count(laneValue[l]);
    for (unsigned s = 0; s < n; ++s)
      exec->push(shardInput[(size_t)it.expert * n + s], s, S);

    // Booking: each link is busy max(shards x S x link ticks, S x DRAM
    // ticks) from when both it and the first chunk are free.
    const uint32_t lt = cfg.linkTicksPerChunk * S,
                   dt = cfg.dramTicksPerChunk * S;
    uint32_t linkEnd = t0;
    for (unsigned l = 0; l < lanes; ++l) {
      uint32_t shards = exec->count(laneValue[l]) - laneBefore[l];
      if (!shards)
        continue;
      uint32_t end = std::max(linkFree[l], t0) + std::max(shards * lt, dt);
      linkFree[l] = end;
      linkEnd = std::max(linkEnd, end);
    }
    uint32_t fill = (len + std::max(d.cwGap, d.ccwGap)) *
                    cfg.linkTicksPerChunk;
    uint32_t arrive =
        std::max(linkEnd, t0 + (S - 1) * cfg.dramTicksPerChunk) + fill;

    const std::vector<uint32_t> &fired = exec->fired(readyNode);
    uint64_t holders = 0;
    for (; readySeen < fired.size(); ++readySeen) {
      uint32_t node = prog.producer[fired[readySeen]];
      uint32_t p = (uint32_t)nodeChiplet[node];
      ready.push_back({(uint32_t)nodeExpert[node], p});
      holders |= uint64_t(1) << p;
    }
    // From the `ready` firings; split holders (one segment's shards each)
    // from the dispatch.
    if (split > 1)
      holders = it.holders;
    d.holders = holders;
    uint32_t end = arrive;
    for (uint64_t m = holders; m; m &= m - 1) {
      unsigned p = __builtin_ctzll(m);
      uint32_t w = tokensAt(it.expert, p) * cfg.computeTicksPerTokenChunk *
                   S * seg;
      uint32_t c = std::max(computeFree[p] + w, arrive + w / (S * seg));
      computeFree[p] = c;
      end = std::max(end, c);
    }
    d.endTick = end;
    makespan = std::max(makespan, end);
    result.experts.push_back(d);
  }
  result.makespanTicks = makespan;
  return result;
}
