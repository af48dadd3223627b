//===- WaferTraffic.cpp - Per-link traffic of one layer on a wafer --------===//

#include "moesaic/Runtime/Wafer/WaferTraffic.h"

#include <algorithm>
#include <limits>

using namespace moesaic;
using namespace moesaic::wafer;

double wafer::allReducesPerLayer(const WaferLayout &layout) {
  return layout.dispatch == Dispatch::Domain ? 2.0 : 1.0;
}

void wafer::ringFlows(const WaferLayout &layout, int64_t tokens,
                      double tokenBytes, double allReduces,
                      std::vector<Flow> &out) {
  size_t numRings = layout.rings.size();
  for (size_t r = 0; r < numRings; ++r) {
    const std::vector<unsigned> &ring = layout.rings[r];
    size_t g = ring.size();
    if (g < 2)
      continue;
    int64_t ringTokens = tokens / (int64_t)numRings +
                         ((int64_t)r < tokens % (int64_t)numRings ? 1 : 0);
    double perEdge = allReduces * 2.0 * double(g - 1) / double(g) *
                     double(ringTokens) * tokenBytes;
    if (perEdge <= 0)
      continue;
    // Bidirectional ring: half the data goes around each way, so every
    // directed link of the ring carries half (full-duplex links).
    for (size_t i = 0; i < g; ++i) {
      out.push_back({ring[i], ring[(i + 1) % g], perEdge / 2});
      out.push_back({ring[(i + 1) % g], ring[i], perEdge / 2});
    }
  }
}

DispatchTables::DispatchTables(const WaferLayout &layout,
                               const SystemModel &system) {
  memberInDomain = layout.ringMemberInDomain(system.numDevices());
  domainOfDie = layout.domainOfDie(system.numDevices());
}

void wafer::moeFlows(const WaferLayout &layout,
                     const std::vector<unsigned> &unitDie,
                     const DispatchTables &tables, const SystemModel &system,
                     const LayerRouting &routing, double tokenBytes,
                     bool bestOwner, std::vector<Flow> &out) {
  size_t numRings = layout.rings.size();
  int64_t shards = layout.shards;
  std::vector<unsigned> targets;
  for (int64_t t = 0; t < routing.tokens; ++t) {
    unsigned r = ringOfToken(t, numRings);
    const std::vector<unsigned> &ring = layout.rings[r];
    const int32_t *ex = routing.experts + t * routing.topK;
    targets.clear();
    for (int64_t k = 0; k < routing.topK; ++k)
      for (int64_t s = 0; s < shards; ++s)
        targets.push_back(unitDie[(size_t)ex[k] * shards + s]);
    if (layout.dispatch == Dispatch::Domain) {
      for (unsigned d : targets) {
        unsigned src = tables.memberInDomain[r][tables.domainOfDie[d]];
        if (src == d)
          continue;
        out.push_back({src, d, tokenBytes}); // dispatch
        out.push_back({d, src, tokenBytes}); // combine (partial result)
      }
      continue;
    }
    unsigned owner = ring[(t / (int64_t)numRings) % (int64_t)ring.size()];
    if (bestOwner && ring.size() > 1) {
      int best = std::numeric_limits<int>::max();
      for (unsigned m : ring) {
        int h = 0;
        for (unsigned d : targets)
          h += system.hops(m, d);
        if (h < best) {
          best = h;
          owner = m;
        }
      }
    }
    for (unsigned d : targets) {
      if (d == owner)
        continue;
      out.push_back({owner, d, tokenBytes});
      out.push_back({d, owner, tokenBytes});
    }
  }
}

void wafer::accumulate(const std::vector<Flow> &flows,
                       const SystemModel &system, LinkLoad &load) {
  if (load.bytes.size() != system.links.size())
    load.bytes.assign(system.links.size(), 0.0);
  std::vector<unsigned> route;
  for (const Flow &f : flows) {
    if (f.src == f.dst || f.bytes <= 0)
      continue;
    route.clear();
    system.appendRoute(f.src, f.dst, route);
    for (unsigned l : route)
      load.bytes[l] += f.bytes;
    load.byteHops += f.bytes * (double)route.size();
    load.totalBytes += f.bytes;
  }
}

double LinkLoad::maxBytes() const {
  double m = 0;
  for (double b : bytes)
    m = std::max(m, b);
  return m;
}

double LinkLoad::bottleneckUs(const SystemModel &system, unsigned *link) const {
  double worst = 0;
  for (size_t l = 0; l < bytes.size(); ++l) {
    double us = bytesToUs(bytes[l], system.links[l].bandwidthGBps);
    if (us > worst) {
      worst = us;
      if (link)
        *link = (unsigned)l;
    }
  }
  return worst;
}
