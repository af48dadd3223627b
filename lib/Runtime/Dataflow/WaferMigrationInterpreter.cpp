//===- WaferMigrationInterpreter.cpp - er-mapping migrations as when/where ===//

#include "moesaic/Runtime/Dataflow/WaferMigrationInterpreter.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

using namespace moesaic;
using namespace moesaic::dataflow;
using namespace moesaic::wafer;

static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

static llvm::Error bad(const Program &p, const llvm::Twine &why) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "dataflow program '" + p.name +
                                     "' is not an er-mapping program: " + why);
}

static int64_t portNode(const Program &p, NodeKind kind, llvm::StringRef port) {
  for (size_t i = 0; i < p.nodes.size(); ++i)
    if (p.nodes[i].kind == kind && p.nodes[i].port == port)
      return (int64_t)i;
  return -1;
}

/// The single node consuming value `v` that is a where (-1: none).
static int64_t whereOf(const Program &p, uint32_t v, Control control) {
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    const Node &n = p.nodes[i];
    if (n.kind == NodeKind::Where && n.control == control && !n.inputs.empty() &&
        n.inputs[0] == v)
      return (int64_t)i;
  }
  return -1;
}

WaferMigrationInterpreter::WaferMigrationInterpreter(
    BalancerConfig config, const SystemModel &system, const WaferLayout &layout,
    std::vector<double> unitBytes)
    : sys(system), bal(config, system, layout, unitBytes.size(), unitBytes),
      cfg(config) {}

llvm::Expected<std::unique_ptr<WaferMigrationInterpreter>>
WaferMigrationInterpreter::create(std::vector<Program> triggerProgs,
                                  Program staging, BalancerConfig config,
                                  const SystemModel &system,
                                  const WaferLayout &layout,
                                  std::vector<double> unitBytesPerLayer) {
  size_t layers = unitBytesPerLayer.size();
  if (triggerProgs.size() != layers)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("er-mapping programs: {0} trigger programs for {1} MoE "
                      "layers",
                      triggerProgs.size(), layers)
            .str());
  std::unique_ptr<WaferMigrationInterpreter> in(new WaferMigrationInterpreter(
      config, system, layout, std::move(unitBytesPerLayer)));
  in->numExperts = layout.numExperts();
  in->shards = layout.shards;
  const std::vector<unsigned> &dies = system.acceleratorDevices();
  in->diePos.assign(system.numDevices(), -1);
  for (size_t d = 0; d < dies.size(); ++d)
    in->diePos[dies[d]] = (int32_t)d;
  int64_t units = in->numExperts * in->shards;
  for (Program &prog : triggerProgs) {
    auto t = std::make_unique<Trigger>();
    t->prog = std::move(prog);
    const Program &p = t->prog;
    if (p.param("experts") != in->numExperts ||
        p.param("shards") != in->shards ||
        p.param("dies") != (int64_t)dies.size() ||
        p.param("window") != config.window)
      return bad(p, llvm::formatv("parameters experts {0}, shards {1}, dies "
                                  "{2}, window {3}; the layout and balancer "
                                  "have {4}, {5}, {6}, {7}",
                                  p.param("experts"), p.param("shards"),
                                  p.param("dies"), p.param("window"),
                                  in->numExperts, in->shards, dies.size(),
                                  config.window)
                        .str());
    int64_t tokens = portNode(p, NodeKind::Input, "tokens");
    if (tokens < 0)
      return bad(p, "no input port \"tokens\"");
    t->tokens = p.valueBase[tokens];
    int64_t dispatch = whereOf(p, t->tokens, Control::Gating);
    if (dispatch < 0 || p.nodes[dispatch].numOutputs != in->numExperts)
      return bad(p, "no gating where from \"tokens\" to the experts");
    t->dispatchBase = p.valueBase[dispatch];
    t->unitBase = t->dispatchBase;
    if (in->shards > 1) {
      int64_t fan = whereOf(p, t->dispatchBase, Control::Static);
      if (fan < 0 || p.nodes[fan].numOutputs != units)
        return bad(p, "no shard fan-out where after the dispatch");
      t->unitBase = p.valueBase[fan];
    }
    int64_t select = whereOf(p, t->unitBase, Control::Select);
    if (select < 0 || p.nodes[select].numOutputs != dies.size() ||
        p.nodes[select].inputs.size() != (size_t)units)
      return bad(p, "no select where from the units to the dies");
    t->selectNode = (uint32_t)select;
    int64_t hot = portNode(p, NodeKind::Output, "hot");
    if (hot < 0 || p.nodes[hot].inputs.size() != dies.size())
      return bad(p, "output \"hot\" needs one input per die");
    for (uint32_t v : p.nodes[hot].inputs) {
      const Node &w = p.nodes[p.producer[v]];
      if (w.kind != NodeKind::When || w.control != Control::Threshold)
        return bad(p, "\"hot\" must read threshold-controlled when nodes");
      t->dieNode.push_back(p.producer[v]);
    }
    t->exec = std::make_unique<Executor>(t->prog);
    in->triggers.push_back(std::move(t));
  }
  in->fired.assign(layers, false);

  in->stagingProg = std::move(staging);
  const Program &s = in->stagingProg;
  if (s.param("links") != (int64_t)system.links.size())
    return bad(s, llvm::formatv("{0} links, the system has {1}",
                                s.param("links"), system.links.size())
                      .str());
  int64_t chunks = portNode(s, NodeKind::Input, "chunks"),
          open = portNode(s, NodeKind::Input, "open"),
          blocked = portNode(s, NodeKind::Output, "blocked");
  if (chunks < 0 || open < 0 || blocked < 0 ||
      s.nodes[blocked].inputs.size() != system.links.size())
    return bad(s, "needs inputs \"chunks\", \"open\" and an output "
                  "\"blocked\" with one input per link");
  in->chunksValue = s.valueBase[chunks];
  in->openValue = s.valueBase[open];
  int64_t route = whereOf(s, in->chunksValue, Control::Route);
  if (route < 0 || s.nodes[route].numOutputs != system.links.size())
    return bad(s, "no route where from \"chunks\" to the links");
  for (uint32_t v : s.nodes[blocked].inputs) {
    const Node &w = s.nodes[s.producer[v]];
    if (w.kind != NodeKind::When || w.control != Control::Threshold)
      return bad(s, "\"blocked\" must read threshold-controlled when nodes");
    in->blockedNode.push_back(s.producer[v]);
  }
  in->stagingExec = std::make_unique<Executor>(in->stagingProg);
  return std::move(in);
}

void WaferMigrationInterpreter::runBatch(Trigger &t, const int32_t *experts,
                                         unsigned tokens, unsigned topK,
                                         bool armed, int64_t total) {
  Executor &x = *t.exec;
  x.reset();
  x.setGating(experts, topK);
  int64_t thr = kNever;
  if (armed && total > 0 && std::isfinite(cfg.trigger)) {
    // The least die load (in shard units) above trigger x the mean: the
    // balancer's own comparison, busiest / mean > trigger, evaluated in the
    // same arithmetic (loads are integers, so the counts decide exactly).
    double mean = double(total) / double(t.dieNode.size());
    auto above = [&](int64_t c) { return double(c) / mean > cfg.trigger; };
    int64_t c = (int64_t)std::clamp(std::floor(cfg.trigger * mean), 0.0,
                                    double(total + 1));
    while (c > 1 && above(c - 1))
      --c;
    while (c <= total && !above(c))
      ++c;
    thr = std::max<int64_t>(c, 1);
  }
  for (uint32_t n : t.dieNode)
    x.setThreshold(n, thr);
  for (unsigned tok = 0; tok < tokens; ++tok)
    x.push(t.tokens, tok);
}

std::vector<int64_t>
WaferMigrationInterpreter::observe(int64_t step,
                                   const std::vector<LayerGating> &gating) {
  std::vector<int64_t> decided;
  for (size_t l = 0; l < gating.size() && l < triggers.size(); ++l) {
    Trigger &t = *triggers[l];
    const LayerGating &g = gating[l];
    fired[l] = false;
    // The step's loads per expert: the dispatch edges of this batch.
    const std::vector<unsigned> &place = bal.decided(l);
    for (size_t u = 0; u < place.size(); ++u)
      t.exec->setSelect(t.selectNode, (unsigned)u, diePos[place[u]]);
    runBatch(t, g.experts, g.tokens, g.topK, /*armed=*/false, 0);
    std::vector<int32_t> load(numExperts);
    for (int64_t e = 0; e < numExperts; ++e)
      load[e] = (int32_t)t.exec->count(t.dispatchBase + (uint32_t)e);
    bal.record(l, load);
    t.window.emplace_back(g.experts, g.experts + (size_t)g.tokens * g.topK);
    t.topK = g.topK;
    while ((int64_t)t.window.size() > cfg.window)
      t.window.pop_front();
    if (!bal.due(l, step))
      continue;
    // The window as one run: its tokens, dispatched, fanned out to units,
    // placed onto dies; the dies' thresholds come from the window's mean
    // (its routed picks x shards over the dies).
    std::vector<int32_t> buf;
    int64_t picks = 0;
    for (const std::vector<int32_t> &w : t.window) {
      buf.insert(buf.end(), w.begin(), w.end());
      for (int32_t e : w)
        picks += e >= 0 && e < numExperts;
    }
    runBatch(t, buf.data(), t.topK ? (unsigned)(buf.size() / t.topK) : 0,
             t.topK, /*armed=*/true, picks * shards);
    std::vector<double> unitLoad(place.size());
    for (size_t u = 0; u < place.size(); ++u)
      unitLoad[u] = double(t.exec->count(t.unitBase + (uint32_t)u));
    for (uint32_t n : t.dieNode)
      fired[l] = fired[l] || t.exec->hasFired(n);
    if (!fired[l])
      continue;
    std::vector<int64_t> ids = bal.planSwaps(l, step, unitLoad);
    decided.insert(decided.end(), ids.begin(), ids.end());
  }
  return decided;
}

llvm::Expected<std::vector<int64_t>>
WaferMigrationInterpreter::fillSlot(int64_t step, int64_t moeLayer,
                                    SlotPhase phase,
                                    const SlotWindow &window) {
  const std::deque<NIBalancer::PendingMove> &pending = bal.pendingMoves();
  if (pending.empty())
    return std::vector<int64_t>{};
  double cb = pending.front().chunkBytes;
  int64_t totalChunks = 0;
  for (const NIBalancer::PendingMove &p : pending) {
    if (p.chunkBytes != cb)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("er-mapping staging program: pending moves with "
                        "chunks of {0} and {1} bytes; link capacities are "
                        "counted in chunks of one size",
                        cb, p.chunkBytes)
              .str());
    totalChunks += p.chunksLeft;
  }
  // Plain code: which links are hot, how many chunks each other link's
  // spare bytes hold (the balancer's own subtraction, chunk by chunk).
  std::vector<bool> hot = bal.hotLinks(window.linkLoad);
  std::vector<double> spare = bal.spareBytes(window.linkLoad, window.durationUs);
  Executor &x = *stagingExec;
  x.reset();
  for (size_t l = 0; l < blockedNode.size(); ++l) {
    int64_t k = 0;
    if (l >= hot.size() || !hot[l])
      for (double s = spare[l]; k <= totalChunks && s >= cb; s -= cb)
        ++k;
    x.setThreshold(blockedNode[l], 1 + k);
  }
  // Routes of the pending moves: the route where's table.
  std::vector<std::vector<unsigned>> routes(pending.size());
  size_t width = 0;
  for (size_t i = 0; i < pending.size(); ++i) {
    const Move &mv = bal.moves()[pending[i].move];
    sys.appendRoute(mv.from, mv.to, routes[i]);
    width = std::max(width, routes[i].size());
  }
  routeTable.assign(pending.size() * std::max<size_t>(width, 1), -1);
  for (size_t i = 0; i < pending.size(); ++i)
    for (size_t h = 0; h < routes[i].size(); ++h)
      routeTable[i * width + h] = (int32_t)routes[i][h];
  x.setRouteTable(routeTable.data(), (unsigned)width);
  x.push(openValue, 0);
  // A chunk goes in while no link of its route is blocked (and the route's
  // latency fits in the phase), and, plain code as the capacities above,
  // while it ends within its two memories' idle windows (the balancer's
  // own SlotTimeline).
  SlotTimeline timeline(sys, cfg.fillFraction, window.linkLoad, window.memory);
  std::vector<int64_t> counts;
  for (size_t i = 0; i < pending.size(); ++i) {
    const Move &mv = bal.moves()[pending[i].move];
    double lat = sys.routeLatencyUs(routes[i]);
    int64_t placed = 0;
    while (placed < pending[i].chunksLeft && lat < window.durationUs) {
      bool blocked = false;
      for (unsigned l : routes[i])
        blocked = blocked || x.hasFired(blockedNode[l]);
      if (blocked ||
          !timeline.place(mv.from, mv.to, routes[i], pending[i].chunkBytes))
        break;
      x.push(chunksValue, (uint32_t)i);
      ++placed;
    }
    counts.push_back(placed);
  }
  return bal.placeChunks(step, moeLayer, phase, counts);
}
