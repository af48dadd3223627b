//===- NIBalancer.cpp - Expert migration staged on cold links -------------===//

#include "moesaic/Runtime/Wafer/NIBalancer.h"

#include <algorithm>
#include <cmath>

using namespace moesaic;
using namespace moesaic::wafer;

BalancerConfig wafer::defaultBalancerConfig(const ModelDesc &model,
                                           const WaferLayout &layout,
                                           double chunkTargetBytes) {
  BalancerConfig c;
  double unit = 0;
  for (const MoeLayerDesc &l : model.moeLayers)
    unit = std::max(unit, double(l.expertBytes()) / double(layout.shards));
  c.chunks = std::clamp<int64_t>(
      (int64_t)std::ceil(unit / std::max(1.0, chunkTargetBytes)), 1, 256);
  return c;
}

NIBalancer::NIBalancer(BalancerConfig config, const SystemModel &system,
                       const WaferLayout &layout, size_t numMoeLayers,
                       std::vector<double> unitBytesPerLayer)
    : cfg(config), sys(system), shards(layout.shards),
      unitBytes(std::move(unitBytesPerLayer)),
      current(numMoeLayers, layout.unitDie),
      target(numMoeLayers, layout.unitDie), history(numMoeLayers),
      lastDecision(numMoeLayers, -((int64_t)1 << 40)) {
  unitsPerDie = layout.unitsPerDie;
}

std::vector<int64_t>
NIBalancer::observe(int64_t step,
                    const std::vector<std::vector<int32_t>> &load) {
  std::vector<int64_t> decided;
  for (size_t l = 0; l < load.size() && l < history.size(); ++l) {
    record(l, load[l]);
    if (!due(l, step))
      continue;
    std::vector<double> unitLoad = windowUnitLoad(l);
    if (!triggered(l, unitLoad))
      continue;
    std::vector<int64_t> ids = planSwaps(l, step, unitLoad);
    decided.insert(decided.end(), ids.begin(), ids.end());
  }
  return decided;
}

void NIBalancer::record(size_t l, const std::vector<int32_t> &load) {
  history[l].push_back(load);
  while ((int64_t)history[l].size() > cfg.window)
    history[l].pop_front();
}

bool NIBalancer::due(size_t l, int64_t step) const {
  return step <= lastDecidingStep &&
         (int64_t)history[l].size() >= cfg.window &&
         step - lastDecision[l] >= cfg.cooldown;
}

std::vector<double> NIBalancer::windowUnitLoad(size_t l) const {
  // A shard sees all its expert's tokens, at 1/shards of the work: loads
  // are counted in shard units (tokens x shards / shards), integers, so
  // the trigger's and the swaps' comparisons are exact.
  size_t units = target[l].size();
  std::vector<double> unitLoad(units, 0.0);
  for (const std::vector<int32_t> &h : history[l])
    for (size_t u = 0; u < units; ++u)
      unitLoad[u] += double(h[u / shards]);
  return unitLoad;
}

std::vector<double>
NIBalancer::dieLoads(size_t l, const std::vector<double> &unitLoad) const {
  std::vector<double> dieLoad(sys.numDevices(), 0.0);
  for (size_t u = 0; u < unitLoad.size(); ++u)
    dieLoad[target[l][u]] += unitLoad[u];
  return dieLoad;
}

double NIBalancer::meanDieLoad(const std::vector<double> &dieLoad) const {
  double total = 0;
  for (unsigned d : sys.acceleratorDevices())
    total += dieLoad[d];
  return total / double(sys.acceleratorDevices().size());
}

bool NIBalancer::triggered(size_t l, const std::vector<double> &unitLoad) const {
  std::vector<double> dieLoad = dieLoads(l, unitLoad);
  double mean = meanDieLoad(dieLoad);
  double maxLoad = 0;
  for (unsigned d : sys.acceleratorDevices())
    maxLoad = std::max(maxLoad, dieLoad[d]);
  return mean > 0 && maxLoad / mean > cfg.trigger;
}

std::vector<int64_t> NIBalancer::planSwaps(size_t l, int64_t step,
                                           const std::vector<double> &unitLoad) {
  unsigned n = sys.numDevices();
  std::vector<unsigned> &tgt = target[l];
  size_t units = tgt.size();
  std::vector<double> dieLoad = dieLoads(l, unitLoad);
  std::vector<int64_t> dieUnits(n, 0);
  for (size_t u = 0; u < units; ++u)
    ++dieUnits[tgt[u]];
  double mean = meanDieLoad(dieLoad);
  // Units with a move in flight are not moved again.
  std::vector<bool> busy(units, false);
  for (size_t u = 0; u < units; ++u)
    busy[u] = current[l][u] != tgt[u];
  size_t movesBefore = allMoves.size();
  for (int64_t s = 0; s < cfg.maxSwaps; ++s) {
    unsigned hot = ~0u, cold = ~0u;
    for (unsigned d : sys.acceleratorDevices()) {
      if (hot == ~0u || dieLoad[d] > dieLoad[hot])
        hot = d;
      if (cold == ~0u || dieLoad[d] < dieLoad[cold])
        cold = d;
    }
    if (hot == cold || dieLoad[hot] <= mean * cfg.trigger * 0.999 + 1e-12)
      break;
    // Best (unit on hot, unit on cold or free slot) pair: minimises the
    // larger of the two dies' new loads.
    double bestPeak = dieLoad[hot];
    int64_t bu = -1, bv = -1;
    auto shardClash = [&](size_t u, unsigned die) {
      size_t e = u / shards;
      for (int64_t k = 0; k < shards; ++k)
        if (e * shards + k != u && tgt[e * shards + k] == die)
          return true;
      return false;
    };
    for (size_t u = 0; u < units; ++u) {
      if (tgt[u] != hot || busy[u] || shardClash(u, cold))
        continue;
      if (dieUnits[cold] < unitsPerDie) {
        double peak = std::max(dieLoad[hot] - unitLoad[u],
                               dieLoad[cold] + unitLoad[u]);
        if (peak < bestPeak - 1e-12)
          bestPeak = peak, bu = (int64_t)u, bv = -1;
      }
      for (size_t v = 0; v < units; ++v) {
        if (tgt[v] != cold || busy[v] || shardClash(v, hot))
          continue;
        double delta = unitLoad[u] - unitLoad[v];
        double peak = std::max(dieLoad[hot] - delta, dieLoad[cold] + delta);
        if (peak < bestPeak - 1e-12)
          bestPeak = peak, bu = (int64_t)u, bv = (int64_t)v;
      }
    }
    if (bu < 0)
      break;
    auto decide = [&](int64_t u, unsigned from, unsigned to) {
      allMoves.push_back({(int64_t)l, u, from, to, unitBytes[l], step});
      tgt[u] = to;
      busy[u] = true;
      dieLoad[from] -= unitLoad[u];
      dieLoad[to] += unitLoad[u];
      --dieUnits[from];
      ++dieUnits[to];
    };
    decide(bu, hot, cold);
    if (bv >= 0) {
      decide(bv, cold, hot);
      size_t n = allMoves.size();
      allMoves[n - 1].partner = (int64_t)n - 2;
      allMoves[n - 2].partner = (int64_t)n - 1;
    }
  }
  std::vector<int64_t> ids;
  if (allMoves.size() == movesBefore)
    return ids;
  lastDecision[l] = step;
  ++numDecisions;
  for (size_t m = movesBefore; m < allMoves.size(); ++m) {
    ids.push_back((int64_t)m);
    int64_t k = std::max<int64_t>(1, cfg.chunks);
    pending.push_back({(int64_t)m, k, allMoves[m].bytes / double(k)});
  }
  stwUs += sendTogetherUs(ids);
  return ids;
}

double NIBalancer::sendTogetherUs(const std::vector<int64_t> &moveIds) const {
  std::vector<std::pair<int64_t, double>> sends;
  for (int64_t m : moveIds)
    sends.push_back({m, allMoves[m].bytes});
  return copyTogetherUs(sends);
}

double NIBalancer::copyTogetherUs(
    const std::vector<std::pair<int64_t, double>> &sends) const {
  // The busiest link or memory (a copy reads its source's HBM and writes
  // its destination's), plus the longest route latency.
  std::vector<double> load(sys.links.size(), 0.0),
      mem(sys.numDevices(), 0.0);
  double worst = 0;
  std::vector<unsigned> route;
  for (auto [m, bytes] : sends) {
    const Move &mv = allMoves[m];
    route.clear();
    sys.appendRoute(mv.from, mv.to, route);
    double lat = 0;
    for (unsigned l : route) {
      load[l] += bytes;
      lat += sys.links[l].latencyNs * 1e-3;
    }
    mem[mv.from] += bytes;
    mem[mv.to] += bytes;
    worst = std::max(worst, lat);
  }
  double us = 0;
  for (size_t l = 0; l < load.size(); ++l)
    us = std::max(us, bytesToUs(load[l], sys.links[l].bandwidthGBps));
  for (size_t d = 0; d < mem.size(); ++d)
    if (mem[d] > 0)
      us = std::max(us, bytesToUs(mem[d], sys.devices[d].offchipGBps));
  return us + worst;
}

void NIBalancer::land(int64_t move) {
  // The two halves of a swap take effect together: one alone would leave
  // a die serving one unit more than it has room and time for.
  arrived.resize(allMoves.size(), false);
  arrived[move] = true;
  int64_t partner = allMoves[move].partner;
  if (partner >= 0 && !arrived[partner])
    return;
  for (int64_t m : {move, partner})
    if (m >= 0)
      current[allMoves[m].moeLayer][allMoves[m].unit] = allMoves[m].to;
}

void NIBalancer::advance(PendingMove p, int64_t placed,
                         std::deque<PendingMove> &keep) {
  p.chunksLeft -= placed;
  if (p.chunksLeft == 0)
    land(p.move);
  else
    keep.push_back(p);
}

double NIBalancer::sendNow(int64_t step, std::deque<PendingMove> &moves) {
  // The moves send the chunks they still have, all at once.
  std::vector<std::pair<int64_t, double>> sends;
  for (PendingMove &p : moves) {
    sends.push_back({p.move, double(p.chunksLeft) * p.chunkBytes});
    for (int64_t c = 0; c < p.chunksLeft; ++c)
      allChunks.push_back({p.move, p.chunkBytes, step, -1, SlotPhase::Ring,
                           /*flushed=*/true});
  }
  moves.clear();
  if (sends.empty())
    return 0;
  for (auto [m, bytes] : sends)
    land(m);
  double us = copyTogetherUs(sends);
  exposed += us;
  return us;
}

double NIBalancer::flushAll(int64_t step) { return sendNow(step, pending); }

double NIBalancer::forceExpired(int64_t step) {
  // Forced moves left over: their route was hot in every slot of a step.
  double us = sendNow(step, forced);
  std::deque<PendingMove> keep;
  for (PendingMove &p : pending)
    (step - allMoves[p.move].decidedStep < cfg.horizon ? keep : forced)
        .push_back(p);
  pending = std::move(keep);
  return us;
}

/// fillSlot's rule for one move: up to `most` chunks of `bytes` from
/// `from` to `to` over `route`, one after another, while every link of the
/// route has spare bytes for one more and the chunk ends within both
/// memories' idle windows (`timeline` books it). Takes their bytes off
/// `spare`; returns how many fit.
static int64_t placeFitting(unsigned from, unsigned to,
                            const std::vector<unsigned> &route, double bytes,
                            int64_t most, std::vector<double> &spare,
                            SlotTimeline &timeline) {
  int64_t placed = 0;
  while (placed < most) {
    bool fits = true;
    for (unsigned l : route)
      fits = fits && spare[l] >= bytes;
    if (!fits || !timeline.place(from, to, route, bytes))
      break;
    for (unsigned l : route)
      spare[l] -= bytes;
    ++placed;
  }
  return placed;
}

std::vector<int64_t> NIBalancer::fillForced(int64_t step, int64_t moeLayer,
                                            SlotPhase phase,
                                            SlotWindow &window) {
  std::vector<int64_t> placed;
  if (forced.empty())
    return placed;
  // Slots left in the step, this one included (filled in order: each MoE
  // layer's ring slot, then its MoE slot).
  const int64_t slots = 2 * (int64_t)current.size();
  const int64_t at = 2 * moeLayer + (phase == SlotPhase::Moe ? 1 : 0);
  const int64_t left = std::max<int64_t>(1, slots - at);
  SlotTimeline timeline(sys, cfg.fillFraction, window.linkLoad,
                        window.memory);
  std::vector<bool> hot = hotLinks(window.linkLoad);
  std::vector<double> spare = spareBytes(window.linkLoad, window.durationUs);
  window.linkLoad.resize(sys.links.size(), 0.0);
  hot.resize(sys.links.size(), false);
  std::vector<unsigned> route;
  std::vector<unsigned> touched;
  std::deque<PendingMove> keep;
  auto add = [&](const PendingMove &p, const std::vector<unsigned> &route) {
    for (unsigned l : route)
      window.linkLoad[l] += p.chunkBytes;
    allChunks.push_back({p.move, p.chunkBytes, step, moeLayer, phase,
                         /*flushed=*/true});
    placed.push_back((int64_t)allChunks.size() - 1);
  };
  for (PendingMove &p : forced) {
    const Move &mv = allMoves[p.move];
    route.clear();
    sys.appendRoute(mv.from, mv.to, route);
    // Like any chunk, a forced one never uses a link hot in the slot.
    bool cold = true;
    for (unsigned l : route)
      cold = cold && !hot[l];
    // First the chunks that fit, by fillSlot's rule ...
    int64_t k = cold ? placeFitting(mv.from, mv.to, route, p.chunkBytes,
                                    p.chunksLeft, spare, timeline)
                     : 0;
    for (int64_t c = 0; c < k; ++c)
      add(p, route);
    // ... then, up to the move's even share of the slots left, the others
    // whether or not they fit.
    int64_t share = cold ? (p.chunksLeft + left - 1) / left : 0;
    for (; k < share; ++k) {
      timeline.force(mv.from, mv.to, route, p.chunkBytes);
      for (unsigned l : route)
        spare[l] -= p.chunkBytes;
      add(p, route);
    }
    touched.push_back(mv.from);
    touched.push_back(mv.to);
    advance(p, k, keep);
  }
  forced = std::move(keep);
  // The regular chunks start after the forced ones; what the forced ones
  // overflow of the memories' idle windows is exposed.
  double overflow = 0;
  window.memory.resize(sys.numDevices());
  for (unsigned d : touched) {
    MemoryWindow &m = window.memory[d];
    double end = timeline.memoryFreeUs(d);
    overflow = std::max(overflow, end - std::max(m.untilUs, m.fromUs));
    m.fromUs = std::max(m.fromUs, std::min(end, m.untilUs));
  }
  exposed += std::max(0.0, overflow);
  return placed;
}

std::vector<bool>
NIBalancer::hotLinks(const std::vector<double> &linkLoad) const {
  double maxLoad = 0;
  for (double b : linkLoad)
    maxLoad = std::max(maxLoad, b);
  std::vector<bool> hot(linkLoad.size(), false);
  for (size_t l = 0; l < linkLoad.size(); ++l)
    hot[l] = linkLoad[l] > 0 && linkLoad[l] > cfg.coldFraction * maxLoad;
  return hot;
}

std::vector<int64_t> NIBalancer::fillSlot(int64_t step, int64_t moeLayer,
                                          SlotPhase phase,
                                          const SlotWindow &window) {
  if (pending.empty())
    return {};
  std::vector<bool> hot = hotLinks(window.linkLoad);
  // Spare bytes per link for the duration of the slot, and when the
  // memories and links are free.
  std::vector<double> spare = spareBytes(window.linkLoad, window.durationUs);
  SlotTimeline timeline(sys, cfg.fillFraction, window.linkLoad, window.memory);
  std::vector<unsigned> route;
  std::vector<int64_t> counts;
  for (PendingMove &p : pending) {
    const Move &mv = allMoves[p.move];
    route.clear();
    sys.appendRoute(mv.from, mv.to, route);
    double lat = 0;
    bool cold = true;
    for (unsigned l : route) {
      cold = cold && !hot[l];
      lat += sys.links[l].latencyNs * 1e-3;
    }
    counts.push_back(cold && lat < window.durationUs
                         ? placeFitting(mv.from, mv.to, route, p.chunkBytes,
                                        p.chunksLeft, spare, timeline)
                         : 0);
  }
  return placeChunks(step, moeLayer, phase, counts);
}

SlotTimeline::SlotTimeline(const SystemModel &system, double fillFraction,
                           const std::vector<double> &linkLoad,
                           const std::vector<MemoryWindow> &mem)
    : sys(system), memFree(system.numDevices(), 0.0),
      memUntil(system.numDevices(), 0.0), linkFree(system.links.size(), 0.0) {
  for (size_t d = 0; d < memFree.size() && d < mem.size(); ++d) {
    memFree[d] = mem[d].fromUs;
    memUntil[d] =
        mem[d].fromUs +
        fillFraction * std::max(0.0, mem[d].untilUs - mem[d].fromUs);
  }
  for (size_t l = 0; l < linkFree.size() && l < linkLoad.size(); ++l)
    linkFree[l] = bytesToUs(linkLoad[l], sys.links[l].bandwidthGBps);
}

double SlotTimeline::endOf(unsigned from, unsigned to,
                           const std::vector<unsigned> &route,
                           double bytes) const {
  double start = std::max(memFree[from], memFree[to]);
  double slowest = std::min(sys.devices[from].offchipGBps,
                            sys.devices[to].offchipGBps);
  for (unsigned l : route) {
    start = std::max(start, linkFree[l]);
    slowest = std::min(slowest, sys.links[l].bandwidthGBps);
  }
  return start + bytesToUs(bytes, slowest);
}

void SlotTimeline::book(unsigned from, unsigned to,
                        const std::vector<unsigned> &route, double end) {
  memFree[from] = memFree[to] = end;
  for (unsigned l : route)
    linkFree[l] = end;
}

bool SlotTimeline::place(unsigned from, unsigned to,
                         const std::vector<unsigned> &route, double bytes) {
  double end = endOf(from, to, route, bytes);
  // (a picosecond of slack: chunk times summed in floating point)
  if (end > memUntil[from] + 1e-6 || end > memUntil[to] + 1e-6)
    return false;
  book(from, to, route, end);
  return true;
}

void SlotTimeline::force(unsigned from, unsigned to,
                         const std::vector<unsigned> &route, double bytes) {
  book(from, to, route, endOf(from, to, route, bytes));
}

std::vector<double> NIBalancer::spareBytes(const std::vector<double> &linkLoad,
                                           double durationUs) const {
  std::vector<double> spare(sys.links.size());
  for (size_t l = 0; l < spare.size(); ++l)
    spare[l] = std::max(0.0, cfg.fillFraction * durationUs *
                                     sys.links[l].bandwidthGBps * 1e3 -
                                 (l < linkLoad.size() ? linkLoad[l] : 0.0));
  return spare;
}

std::vector<int64_t>
NIBalancer::placeChunks(int64_t step, int64_t moeLayer, SlotPhase phase,
                        const std::vector<int64_t> &counts) {
  std::vector<int64_t> placed;
  std::deque<PendingMove> keep;
  for (size_t i = 0; i < pending.size(); ++i) {
    PendingMove p = pending[i];
    int64_t k = i < counts.size() ? std::min(counts[i], p.chunksLeft) : 0;
    for (int64_t c = 0; c < k; ++c) {
      allChunks.push_back({p.move, p.chunkBytes, step, moeLayer, phase, false});
      placed.push_back((int64_t)allChunks.size() - 1);
    }
    advance(p, k, keep);
  }
  pending = std::move(keep);
  return placed;
}
