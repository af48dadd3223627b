//===- ERMapping.cpp - Entwined-ring mapping and the row-major baseline ---===//

#include "moesaic/Runtime/Wafer/ERMapping.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <numeric>
#include <random>

using namespace moesaic;
using namespace moesaic::wafer;

std::vector<unsigned> wafer::diesRowMajor(const SystemModel &system) {
  std::vector<unsigned> dies = system.acceleratorDevices();
  std::stable_sort(dies.begin(), dies.end(), [&](unsigned a, unsigned b) {
    return system.devices[a].coord < system.devices[b].coord;
  });
  return dies;
}

static std::vector<double> sharesOf(const MappingProblem &p) {
  if (!p.expertShare.empty())
    return p.expertShare;
  return std::vector<double>(p.layer->numExperts,
                             1.0 / double(p.layer->numExperts));
}

void wafer::expectedMoeFlows(const WaferLayout &layout,
                             const std::vector<unsigned> &unitDie,
                             const DispatchTables &tables, int64_t batch,
                             int64_t topK, const std::vector<double> &share,
                             double tokenBytes, std::vector<Flow> &out) {
  size_t numRings = layout.rings.size();
  double pairs = double(batch) * double(topK);
  for (size_t r = 0; r < numRings; ++r) {
    const std::vector<unsigned> &ring = layout.rings[r];
    double ringPairs = pairs / double(numRings);
    for (size_t e = 0; e < share.size(); ++e) {
      double tokens = ringPairs * share[e];
      if (tokens <= 0)
        continue;
      for (int64_t s = 0; s < layout.shards; ++s) {
        unsigned d = unitDie[e * layout.shards + s];
        if (layout.dispatch == Dispatch::Domain) {
          unsigned src = tables.memberInDomain[r][tables.domainOfDie[d]];
          if (src != d) {
            out.push_back({src, d, tokens * tokenBytes});
            out.push_back({d, src, tokens * tokenBytes});
          }
          continue;
        }
        // Owners take the ring's tokens in equal parts.
        double part = tokens / double(ring.size()) * tokenBytes;
        for (unsigned m : ring)
          if (m != d) {
            out.push_back({m, d, part});
            out.push_back({d, m, part});
          }
      }
    }
  }
}

LayoutCost wafer::evaluate(const MappingProblem &p, const WaferLayout &layout,
                           const std::vector<unsigned> &unitDie) {
  const SystemModel &sys = *p.system;
  double tokenBytes = (double)p.layer->tokenBytes();
  LayoutCost cost;
  // The local search evaluates thousands of layouts: the flow list keeps
  // its capacity from one to the next (growing it afresh each time cost
  // more than half the search in reallocations and page faults on large
  // meshes). One per thread: candidates may be searched concurrently.
  thread_local std::vector<Flow> flows;
  flows.clear();
  ringFlows(layout, p.batch, tokenBytes, allReducesPerLayer(layout), flows);
  LinkLoad ring;
  accumulate(flows, sys, ring);
  cost.flows = flows.size();
  cost.ringByteHops = ring.byteHops;
  cost.ringBottleneckUs = ring.bottleneckUs(sys);
  flows.clear();
  DispatchTables tables(layout, sys);
  std::vector<double> share = sharesOf(p);
  expectedMoeFlows(layout, unitDie, tables, p.batch, p.layer->topK, share,
                   tokenBytes, flows);
  LinkLoad moe;
  accumulate(flows, sys, moe);
  cost.flows += flows.size();
  cost.moeByteHops = moe.byteHops;
  cost.moeLinkBottleneckUs = moe.bottleneckUs(sys);
  std::vector<double> dieFlops(sys.numDevices(), 0.0);
  double flopsPerShard =
      p.layer->expertFlopsPerToken() / double(layout.shards);
  for (size_t u = 0; u < unitDie.size(); ++u)
    dieFlops[unitDie[u]] += double(p.batch) * double(p.layer->topK) *
                            share[u / layout.shards] * flopsPerShard;
  // A die streams the weights of its units (all are activated at serving
  // batch sizes) and computes their tokens: roofline per die.
  std::vector<double> dieBytes(sys.numDevices(), 0.0);
  double unitBytes = double(p.layer->expertBytes()) / double(layout.shards);
  for (size_t u = 0; u < unitDie.size(); ++u)
    if (share[u / layout.shards] > 0)
      dieBytes[unitDie[u]] += unitBytes;
  for (unsigned d = 0; d < sys.numDevices(); ++d)
    if (dieFlops[d] > 0)
      cost.moeComputeMaxUs = std::max(
          cost.moeComputeMaxUs,
          std::max(flopsToUs(dieFlops[d],
                             sys.devices[d].peakFor(p.layer->actType)),
                   bytesToUs(dieBytes[d], sys.devices[d].offchipGBps)));
  return cost;
}

WaferLayout wafer::rowMajorLayout(const SystemModel &system,
                                  const WaferShape &shape,
                                  int64_t numExperts) {
  std::vector<unsigned> dies = diesRowMajor(system);
  WaferLayout layout;
  layout.dispatch = Dispatch::Owner;
  layout.shards = shape.shards;
  layout.unitsPerDie = shape.unitsPerDie;
  for (size_t i = 0; i < dies.size(); i += shape.ringSize)
    layout.rings.emplace_back(dies.begin() + i,
                              dies.begin() + i + shape.ringSize);
  layout.domains.push_back(dies);
  // Units fill the dies in row-major order, spread evenly when they do not
  // divide (e.g. 256 experts on 144 dies: one or two per die).
  int64_t units = numExperts * shape.shards;
  int64_t n = (int64_t)dies.size();
  for (int64_t u = 0; u < units; ++u)
    layout.unitDie.push_back(
        dies[units >= n ? u * n / units : u]);
  return layout;
}

namespace {
struct Grid {
  int64_t rows, cols;
  std::vector<unsigned> dies; // row-major
  unsigned at(int64_t r, int64_t c) const { return dies[r * cols + c]; }
};
} // namespace

/// A closed walk over an R x C grid of cells visiting each once, with
/// neighbouring cells adjacent wherever a Hamiltonian cycle exists.
static std::vector<std::pair<int64_t, int64_t>> cellCycle(int64_t R,
                                                          int64_t C) {
  std::vector<std::pair<int64_t, int64_t>> order;
  if (R == 1 || C == 1) {
    // Folded ring on a line: evens out, odds back; every edge spans <= 2.
    int64_t n = std::max(R, C);
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < n; i += 2)
      idx.push_back(i);
    for (int64_t i = (n % 2 ? n - 2 : n - 1); i >= 1; i -= 2)
      idx.push_back(i);
    for (int64_t i : idx)
      order.push_back(R == 1 ? std::make_pair(int64_t(0), i)
                             : std::make_pair(i, int64_t(0)));
    return order;
  }
  bool transpose = R % 2 != 0 && C % 2 == 0;
  int64_t r0 = transpose ? C : R, c0 = transpose ? R : C;
  for (int64_t r = 0; r < r0; ++r)
    order.push_back({r, 0});
  for (int64_t k = 0; k < r0; ++k) {
    int64_t r = r0 - 1 - k;
    if (k % 2 == 0)
      for (int64_t c = 1; c < c0; ++c)
        order.push_back({r, c});
    else
      for (int64_t c = c0 - 1; c >= 1; --c)
        order.push_back({r, c});
  }
  if (transpose)
    for (auto &p : order)
      std::swap(p.first, p.second);
  return order;
}

/// Entwined rings: domains are th x tw tiles; ring r holds the die at
/// offset r of every tile, tiles visited along a cycle of adjacent tiles.
static WaferLayout entwinedLayout(const Grid &grid, const WaferShape &shape,
                                  int64_t th, int64_t tw) {
  WaferLayout layout;
  layout.dispatch = Dispatch::Domain;
  layout.shards = shape.shards;
  layout.unitsPerDie = shape.unitsPerDie;
  int64_t TR = grid.rows / th, TC = grid.cols / tw;
  auto cycle = cellCycle(TR, TC);
  for (int64_t ti = 0; ti < TR; ++ti)
    for (int64_t tj = 0; tj < TC; ++tj) {
      std::vector<unsigned> dom;
      for (int64_t a = 0; a < th; ++a)
        for (int64_t b = 0; b < tw; ++b)
          dom.push_back(grid.at(ti * th + a, tj * tw + b));
      layout.domains.push_back(std::move(dom));
    }
  for (int64_t r = 0; r < th * tw; ++r) {
    int64_t a = r / tw, b = r % tw;
    std::vector<unsigned> ring;
    for (auto [ti, tj] : cycle)
      ring.push_back(grid.at(ti * th + a, tj * tw + b));
    layout.rings.push_back(std::move(ring));
  }
  return layout;
}

/// Compact rings: 2 x g/2 (or g/2 x 2) blocks walked around their
/// perimeter, so every ring edge is one hop; owner dispatch.
static std::optional<WaferLayout> compactLayout(const Grid &grid,
                                                const WaferShape &shape) {
  int64_t g = shape.ringSize;
  WaferLayout layout;
  layout.dispatch = Dispatch::Owner;
  layout.shards = shape.shards;
  layout.unitsPerDie = shape.unitsPerDie;
  layout.domains.push_back(grid.dies);
  if (g == 1) {
    for (unsigned d : grid.dies)
      layout.rings.push_back({d});
    return layout;
  }
  int64_t bh, bw;
  if (g == 2 && grid.cols % 2 == 0)
    bh = 1, bw = 2;
  else if (g % 2 == 0 && grid.rows % 2 == 0 && grid.cols % (g / 2) == 0)
    bh = 2, bw = g / 2;
  else if (g % 2 == 0 && grid.cols % 2 == 0 && grid.rows % (g / 2) == 0)
    bh = g / 2, bw = 2;
  else
    return std::nullopt;
  for (int64_t bi = 0; bi < grid.rows / bh; ++bi)
    for (int64_t bj = 0; bj < grid.cols / bw; ++bj) {
      std::vector<unsigned> ring;
      for (auto [a, b] : cellCycle(bh, bw))
        ring.push_back(grid.at(bi * bh + a, bj * bw + b));
      layout.rings.push_back(std::move(ring));
    }
  return layout;
}

/// Packs expert units by expected load (largest first onto the least loaded
/// die with room); shard s of an expert prefers domain s mod #domains.
static std::vector<unsigned> packUnits(const MappingProblem &p,
                                       const WaferLayout &layout,
                                       const std::vector<double> &share) {
  const SystemModel &sys = *p.system;
  int64_t E = p.layer->numExperts, S = layout.shards;
  std::vector<int64_t> order(E);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return share[a] > share[b]; });
  std::vector<int> dom = layout.domainOfDie(sys.numDevices());
  std::vector<double> load(sys.numDevices(), 0.0);
  std::vector<int64_t> used(sys.numDevices(), 0);
  std::vector<unsigned> unitDie(E * S, 0);
  std::vector<unsigned> dies = diesRowMajor(sys);
  for (int64_t e : order) {
    std::vector<unsigned> taken;
    for (int64_t s = 0; s < S; ++s) {
      int wantDom = (int)(s % (int64_t)layout.domains.size());
      unsigned best = ~0u;
      auto better = [&](unsigned d) {
        if (best == ~0u)
          return true;
        bool dm = dom[d] == wantDom, bm = dom[best] == wantDom;
        if (S > 1 && dm != bm)
          return dm;
        return load[d] < load[best] - 1e-12;
      };
      for (unsigned d : dies) {
        if (used[d] >= layout.unitsPerDie ||
            std::find(taken.begin(), taken.end(), d) != taken.end())
          continue;
        if (better(d))
          best = d;
      }
      unitDie[e * S + s] = best;
      taken.push_back(best);
      ++used[best];
      load[best] += share[e] / double(S);
    }
  }
  return unitDie;
}

static void localSearch(const MappingProblem &p, const WaferLayout &layout,
                        std::vector<unsigned> &unitDie, int64_t iters,
                        uint64_t budget, uint64_t seed,
                        MappingReport *report) {
  std::mt19937_64 rng(seed);
  LayoutCost cur = evaluate(p, layout, unitDie);
  size_t n = unitDie.size();
  if (n < 2)
    return;
  int64_t S = layout.shards;
  auto shardsDistinct = [&](size_t u) {
    size_t e = u / S;
    for (int64_t s = 0; s < S; ++s)
      if (e * S + s != u && unitDie[e * S + s] == unitDie[u])
        return false;
    return true;
  };
  uint64_t spent = cur.flows;
  for (int64_t it = 0; it < iters; ++it) {
    if (spent > budget) {
      if (report)
        report->budgetReached = true;
      break;
    }
    size_t a = rng() % n, b = rng() % n;
    if (unitDie[a] == unitDie[b])
      continue;
    std::swap(unitDie[a], unitDie[b]);
    if (report)
      ++report->swapsTried;
    bool ok = shardsDistinct(a) && shardsDistinct(b);
    LayoutCost next = ok ? evaluate(p, layout, unitDie) : cur;
    spent += ok ? next.flows : 0;
    double eps = 1e-9 * std::max(1.0, cur.objectiveUs());
    bool better =
        ok && (next.objectiveUs() < cur.objectiveUs() - eps ||
               (next.objectiveUs() <= cur.objectiveUs() + eps &&
                next.byteHops() < cur.byteHops() * (1 - 1e-9)));
    if (better) {
      cur = next;
      if (report)
        ++report->swapsAccepted;
    } else {
      std::swap(unitDie[a], unitDie[b]);
    }
  }
}

WaferLayout wafer::erMapping(const MappingProblem &p, int64_t searchIters,
                             uint64_t seed, MappingReport *report,
                             uint64_t flowBudget) {
  const SystemModel &sys = *p.system;
  Grid grid{sys.meshRows, sys.meshCols, diesRowMajor(sys)};
  std::vector<double> share = sharesOf(p);
  struct Candidate {
    WaferLayout layout;
    std::string name;
  };
  std::vector<Candidate> candidates;
  int64_t g = p.shape.ringSize;
  int64_t G = p.shape.dies / g;
  if (g > 1 && grid.rows * grid.cols == p.shape.dies) {
    for (int64_t th = 1; th <= grid.rows; ++th) {
      if (G % th || grid.rows % th)
        continue;
      int64_t tw = G / th;
      if (grid.cols % tw)
        continue;
      candidates.push_back({entwinedLayout(grid, p.shape, th, tw),
                            llvm::formatv("entwined rings, {0} domains of "
                                          "{1}x{2} dies",
                                          g, th, tw)});
    }
  }
  if (grid.rows * grid.cols == p.shape.dies)
    if (std::optional<WaferLayout> c = compactLayout(grid, p.shape))
      candidates.push_back({std::move(*c), "compact rings, owner dispatch"});
  WaferLayout fallback = rowMajorLayout(sys, p.shape, p.layer->numExperts);
  candidates.push_back({fallback, "row-major rings, owner dispatch"});

  struct Done {
    LayoutCost init, fin;
    MappingReport local;
  };
  std::vector<Done> done;
  for (Candidate &c : candidates) {
    Done d;
    c.layout.unitDie = packUnits(p, c.layout, share);
    d.init = evaluate(p, c.layout, c.layout.unitDie);
    localSearch(p, c.layout, c.layout.unitDie, searchIters,
                flowBudget / candidates.size(), seed, &d.local);
    d.fin = evaluate(p, c.layout, c.layout.unitDie);
    if (report)
      report->candidates.push_back(llvm::formatv(
          "{0}: layer {1:f2} us (ring {2:f2} + moe max(link {3:f2}, "
          "compute {4:f2})), byte-hops {5:e3}",
          c.name, d.fin.layerUs(), d.fin.ringBottleneckUs,
          d.fin.moeLinkBottleneckUs, d.fin.moeComputeMaxUs,
          d.fin.byteHops()));
    done.push_back(d);
  }
  double fastest = done.front().fin.layerUs();
  for (const Done &d : done)
    fastest = std::min(fastest, d.fin.layerUs());
  size_t pick = 0;
  bool have = false;
  for (size_t i = 0; i < done.size(); ++i) {
    if (done[i].fin.layerUs() > fastest * (1 + kTimeTolerance) + 1e-12)
      continue;
    if (!have || done[i].fin.byteHops() < done[pick].fin.byteHops() * (1 - 1e-9)) {
      pick = i;
      have = true;
    }
  }
  if (report) {
    report->chosen = candidates[pick].name;
    report->initial = done[pick].init;
    report->final = done[pick].fin;
    report->swapsTried = done[pick].local.swapsTried;
    report->swapsAccepted = done[pick].local.swapsAccepted;
    report->budgetReached = done[pick].local.budgetReached;
  }
  WaferLayout best = candidates[pick].layout;
  return best;
}
