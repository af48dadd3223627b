//===- MigrationWindows.cpp - A layer's migration slots -------------------===//

#include "moesaic/Runtime/Wafer/MigrationWindows.h"

#include <algorithm>

using namespace moesaic;
using namespace moesaic::wafer;

/// Bytes per link of `a` plus `b`.
static std::vector<double> sum(const std::vector<double> &a,
                               const std::vector<double> &b) {
  std::vector<double> out = a;
  out.resize(std::max(a.size(), b.size()), 0.0);
  for (size_t l = 0; l < b.size(); ++l)
    out[l] += b[l];
  return out;
}

LayerSlots wafer::migrationSlots(const SystemModel &system,
                                 const LinkLoad &ringLoad, double ringUs,
                                 const std::vector<Flow> &moeFlows,
                                 const std::vector<double> &sharedUs,
                                 const std::vector<double> &routedUs) {
  size_t n = system.numDevices();
  std::vector<Flow> half[2];
  for (size_t i = 0; i < moeFlows.size(); ++i)
    half[i % 2].push_back(moeFlows[i]);
  LinkLoad dispatch, combine;
  accumulate(half[0], system, dispatch);
  accumulate(half[1], system, combine);

  // When each die's dispatch has arrived, from the end of the all-reduces.
  std::vector<double> arrival(n, 0.0);
  std::vector<unsigned> route;
  for (const Flow &f : half[0]) {
    route.clear();
    system.appendRoute(f.src, f.dst, route);
    double drained = 0, latency = 0;
    for (unsigned l : route) {
      double bytes = l < dispatch.bytes.size() ? dispatch.bytes[l] : 0.0;
      drained =
          std::max(drained, bytesToUs(bytes, system.links[l].bandwidthGBps));
      latency += system.links[l].latencyNs * 1e-3;
    }
    arrival[f.dst] = std::max(arrival[f.dst], drained + latency);
  }

  LayerSlots s;
  s.before.memory.resize(n);
  s.after.memory.resize(n);
  std::vector<double> end(n, ringUs);
  double layerEnd = ringUs, lastArrival = 0;
  for (size_t d = 0; d < n; ++d) {
    double shared = d < sharedUs.size() ? sharedUs[d] : 0.0;
    double routed = d < routedUs.size() ? routedUs[d] : 0.0;
    double routedStart = std::max(ringUs + arrival[d], ringUs + shared);
    double needed = shared > 0 || routed <= 0 ? ringUs : routedStart;
    end[d] = routed > 0 ? routedStart + routed : ringUs + shared;
    s.before.memory[d] = {0.0, needed};
    layerEnd = std::max(layerEnd, end[d]);
    lastArrival = std::max(lastArrival, arrival[d]);
  }
  double combineUs = combine.bottleneckUs(system);
  for (size_t d = 0; d < n; ++d)
    s.after.memory[d] = {end[d], layerEnd + combineUs};
  s.before.linkLoad = sum(ringLoad.bytes, dispatch.bytes);
  s.before.durationUs = ringUs + lastArrival;
  // The dispatch is over by then: chunks meet only the combine.
  s.after.linkLoad = combine.bytes;
  s.after.durationUs = layerEnd + combineUs;
  return s;
}
