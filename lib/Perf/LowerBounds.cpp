//===- LowerBounds.cpp - Times no schedule can beat ------------------------===//
//
// See LowerBounds.h and docs/performance-model.md ("Lower bounds") for the
// derivations.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Perf/LowerBounds.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

using namespace moesaic;
using namespace moesaic::perf;
namespace json = llvm::json;

double LowerBound::max() const {
  return std::max({computeUs, memoryUs, injectionUs, bisectionUs});
}

LowerBound &LowerBound::operator+=(const LowerBound &o) {
  computeUs += o.computeUs;
  memoryUs += o.memoryUs;
  injectionUs += o.injectionUs;
  bisectionUs += o.bisectionUs;
  flops += o.flops;
  bytes += o.bytes;
  return *this;
}

json::Object LowerBound::toJSON() const {
  // JSON has no infinity: a bound that is infinite (no device can compute,
  // no memory to read from) is null.
  auto num = [](double v) -> json::Value {
    return std::isfinite(v) ? json::Value(v) : json::Value(nullptr);
  };
  return json::Object{{"lower_bound_us", num(max())},
                      {"compute_us", num(computeUs)},
                      {"memory_us", num(memoryUs)},
                      {"injection_us", num(injectionUs)},
                      {"bisection_us", num(bisectionUs)},
                      {"flops", num(flops)},
                      {"bytes", num(bytes)}};
}

std::vector<MemoryDomain> moesaic::perf::memoryDomains(const SystemModel &sys) {
  std::vector<MemoryDomain> domains;
  std::map<unsigned, size_t> domainOf;
  // Devices with their own memory first, NDP units attached to a host after.
  for (unsigned d = 0; d < sys.numDevices(); ++d) {
    const Device &dev = sys.devices[d];
    if (dev.kind == DeviceKind::Ndp && dev.attachedTo)
      continue;
    if (dev.offchipBytes <= 0 || dev.offchipGBps <= 0)
      continue;
    domainOf[d] = domains.size();
    domains.push_back({{d}, dev.offchipBytes, dev.offchipGBps});
  }
  std::map<unsigned, std::pair<int64_t, double>> ndpSum;
  std::map<unsigned, std::vector<unsigned>> ndpOf;
  for (unsigned d = 0; d < sys.numDevices(); ++d) {
    const Device &dev = sys.devices[d];
    if (dev.kind != DeviceKind::Ndp || !dev.attachedTo)
      continue;
    auto &s = ndpSum[*dev.attachedTo];
    s.first += dev.offchipBytes;
    s.second += dev.offchipGBps;
    ndpOf[*dev.attachedTo].push_back(d);
  }
  for (auto &[host, sum] : ndpSum) {
    auto it = domainOf.find(host);
    if (it == domainOf.end()) {
      domains.push_back({ndpOf[host], sum.first, sum.second});
      continue;
    }
    MemoryDomain &m = domains[it->second];
    m.capacityBytes = std::max(m.capacityBytes, sum.first);
    m.gbps = std::max(m.gbps, sum.second);
    for (unsigned d : ndpOf[host])
      m.devices.push_back(d);
  }
  return domains;
}

double moesaic::perf::memoryTimeUs(double bytes,
                                   const std::vector<MemoryDomain> &domains,
                                   double onchipBytes) {
  double need = bytes - onchipBytes;
  if (need <= 0)
    return 0;
  // Domains by the time they take to deliver their whole capacity.
  std::vector<std::pair<double, size_t>> order;
  double totalCap = 0, totalBw = 0; // bytes, bytes/us
  for (size_t i = 0; i < domains.size(); ++i) {
    double bw = domains[i].gbps * 1e3;
    if (bw <= 0 || domains[i].capacityBytes <= 0)
      continue;
    order.push_back({domains[i].capacityBytes / bw, i});
    totalCap += domains[i].capacityBytes;
    totalBw += bw;
  }
  if (totalBw <= 0)
    return INFINITY;
  // More bytes than all memories hold: capacities cannot bind the bound
  // (something is re-read), so drop them.
  if (totalCap < need)
    return need / totalBw;
  std::sort(order.begin(), order.end());
  double saturated = 0, bw = totalBw;
  for (auto [tau, i] : order) {
    double t = (need - saturated) / bw;
    if (t <= tau)
      return t;
    saturated += domains[i].capacityBytes;
    bw -= domains[i].gbps * 1e3;
  }
  return order.back().first;
}

namespace {

/// Sum over devices of the highest peak they offer for any of `dtypes`.
double peakSum(const SystemModel &sys, const std::set<std::string> &dtypes) {
  double total = 0;
  for (const Device &d : sys.devices) {
    double best = 0;
    for (const std::string &t : dtypes)
      best = std::max(best, d.peakFor(t));
    total += best;
  }
  return total;
}

double onchipTotal(const SystemModel &sys) {
  double total = 0;
  for (const Device &d : sys.devices)
    total += d.onchipBytes;
  return total;
}

/// Largest amount of weights one memory domain (with its devices' on-chip
/// memories) can hold; with several domains, more than this forces a
/// hidden state across a link.
double largestLocal(const SystemModel &sys,
                    const std::vector<MemoryDomain> &domains) {
  double best = 0;
  std::vector<bool> inDomain(sys.numDevices(), false);
  for (const MemoryDomain &m : domains) {
    double cap = m.capacityBytes;
    for (unsigned d : m.devices) {
      cap += sys.devices[d].onchipBytes;
      inDomain[d] = true;
    }
    best = std::max(best, cap);
  }
  for (unsigned d = 0; d < sys.numDevices(); ++d)
    if (!inDomain[d])
      best = std::max(best, (double)sys.devices[d].onchipBytes);
  return best;
}

/// Fastest way to move `bytes` over one link: the lowest latency plus the
/// bytes at the highest bandwidth.
double oneCrossingUs(const SystemModel &sys, double bytes) {
  if (sys.links.empty())
    return 0;
  double lat = INFINITY, bw = 0;
  for (const Link &l : sys.links) {
    lat = std::min(lat, l.latencyNs * 1e-3);
    bw = std::max(bw, l.bandwidthGBps);
  }
  return lat + bytesToUs(bytes, bw);
}

/// Side of a half-cut of a mesh (cut 0: columns, cut 1: rows); -1 when the
/// device has no coordinates.
int sideOf(const SystemModel &sys, unsigned d, int cut) {
  const Device &dev = sys.devices[d];
  if (dev.coord.size() < 2)
    return -1;
  if (cut == 0)
    return dev.coord[1] < sys.meshCols / 2 ? 0 : 1;
  return dev.coord[0] < sys.meshRows / 2 ? 0 : 1;
}

bool isMesh(const SystemModel &sys) {
  return sys.topology == TopologyKind::Mesh && sys.meshRows > 0 &&
         sys.meshCols > 0 && sys.meshRows * sys.meshCols > 1;
}

/// On a mesh, when `weightBytes` cannot sit in either half of some cut, a
/// hidden state (`tokenBytes`) crosses that cut: the fastest crossing.
double bisectionCrossingUs(const SystemModel &sys, double weightBytes,
                           double tokenBytes) {
  if (!isMesh(sys))
    return 0;
  double bound = 0;
  for (int cut = 0; cut < 2; ++cut) {
    if ((cut == 0 ? sys.meshCols : sys.meshRows) < 2)
      continue;
    double cap[2] = {0, 0};
    for (unsigned d = 0; d < sys.numDevices(); ++d) {
      int s = sideOf(sys, d, cut);
      if (s >= 0)
        cap[s] += (double)sys.devices[d].offchipBytes +
                  (double)sys.devices[d].onchipBytes;
    }
    if (weightBytes <= std::max(cap[0], cap[1]))
      continue;
    double lat = INFINITY, bw[2] = {0, 0};
    for (const Link &l : sys.links) {
      int a = sideOf(sys, l.src, cut), b = sideOf(sys, l.dst, cut);
      if (a < 0 || b < 0 || a == b)
        continue;
      bw[a] += l.bandwidthGBps;
      lat = std::min(lat, l.latencyNs * 1e-3);
    }
    double widest = std::max(bw[0], bw[1]);
    if (widest > 0)
      bound = std::max(bound, lat + bytesToUs(tokenBytes, widest));
  }
  return bound;
}

struct Work {
  double flops = 0, bytes = 0, weightBytes = 0, tokenBytes = 0;
  std::set<std::string> dtypes;
};

void addMoeLayer(Work &w, const MoeLayerDesc &l, const GatingTrace &trace,
                 int64_t step, size_t layer) {
  std::vector<int32_t> load = trace.expertLoad(step, layer);
  int64_t distinct = 0, routed = 0;
  for (int32_t n : load) {
    distinct += n > 0;
    routed += n;
  }
  double batch = (double)trace.batch;
  w.flops += routed * l.expertFlopsPerToken() +
             batch * (l.sharedFlopsPerToken() + l.routerFlopsPerToken());
  double weights =
      (double)distinct * l.expertBytes() + l.sharedBytes() + l.routerBytes();
  w.bytes += weights;
  w.weightBytes += weights;
  w.tokenBytes = std::max(w.tokenBytes, (double)l.tokenBytes());
  w.dtypes.insert(l.actType);
  w.dtypes.insert(l.weightType);
}

LowerBound boundOf(const SystemModel &sys, const Work &w) {
  LowerBound b;
  b.flops = w.flops;
  b.bytes = w.bytes;
  double peak = peakSum(sys, w.dtypes);
  b.computeUs = w.flops > 0 ? (peak > 0 ? flopsToUs(w.flops, peak) : INFINITY)
                            : 0.0;
  std::vector<MemoryDomain> domains = memoryDomains(sys);
  b.memoryUs = memoryTimeUs(w.bytes, domains, onchipTotal(sys));
  if (w.weightBytes > largestLocal(sys, domains))
    b.injectionUs = oneCrossingUs(sys, w.tokenBytes);
  b.bisectionUs = bisectionCrossingUs(sys, w.weightBytes, w.tokenBytes);
  return b;
}

} // namespace

LowerBound moesaic::perf::moeLayerLowerBound(const SystemModel &system,
                                             const ModelDesc &model,
                                             const GatingTrace &trace,
                                             int64_t step, size_t layer) {
  Work w;
  addMoeLayer(w, model.moeLayers[layer], trace, step, layer);
  return boundOf(system, w);
}

LowerBound moesaic::perf::stepLowerBound(const SystemModel &system,
                                         const ModelDesc &model,
                                         const GatingTrace &trace,
                                         int64_t step, int64_t context) {
  if (context <= 0)
    context = 4096;
  Work w;
  double batch = (double)trace.batch;
  for (const DenseOpDesc &op : model.denseOps) {
    w.flops += batch * op.flopsPerToken;
    w.bytes += op.weightBytes;
    w.weightBytes += op.weightBytes;
    // Each token's KV cache is its own: read once per token.
    w.bytes += batch * (double)context * (double)op.kvBytesPerContextToken;
    w.dtypes.insert(op.dtype);
  }
  for (size_t l = 0; l < model.moeLayers.size(); ++l)
    addMoeLayer(w, model.moeLayers[l], trace, step, l);
  if (w.tokenBytes == 0 && model.hiddenSize > 0)
    w.tokenBytes = model.hiddenSize * 2.0;
  return boundOf(system, w);
}

LowerBound moesaic::perf::meanStepLowerBound(const SystemModel &system,
                                             const ModelDesc &model,
                                             const GatingTrace &trace,
                                             int64_t context) {
  LowerBound mean;
  for (int64_t s = 0; s < trace.steps; ++s)
    mean += stepLowerBound(system, model, trace, s, context);
  if (trace.steps > 0) {
    double n = (double)trace.steps;
    mean.computeUs /= n;
    mean.memoryUs /= n;
    mean.injectionUs /= n;
    mean.bisectionUs /= n;
    mean.flops /= n;
    mean.bytes /= n;
  }
  return mean;
}

double moesaic::perf::expectedDistinctExperts(int64_t numExperts,
                                              int64_t topK, int64_t batch) {
  if (numExperts <= 0 || topK <= 0 || batch <= 0)
    return 0;
  double e = (double)numExperts;
  double miss = 1.0 - std::min(1.0, (double)topK / e);
  return e * (1.0 - std::pow(miss, (double)batch));
}

double moesaic::perf::strategyCommBoundUs(
    const SystemModel &sys, const MoeLayerDesc &layer,
    const GatingTrace &trace, int64_t step, size_t layerIndex,
    const std::vector<unsigned> &expertDevice,
    const std::vector<unsigned> &tokenDevice) {
  unsigned n = sys.numDevices();
  double tb = (double)layer.tokenBytes();
  std::vector<double> out(n, 0), in(n, 0);
  // Per cut and direction: bytes crossing.
  double cross[2][2] = {{0, 0}, {0, 0}};
  bool mesh = isMesh(sys);
  int64_t k = trace.topK[layerIndex];
  for (int64_t t = 0; t < trace.batch; ++t) {
    unsigned td = tokenDevice[t];
    const int32_t *e = trace.experts(step, layerIndex, t);
    for (int64_t i = 0; i < k; ++i) {
      unsigned ed = expertDevice[e[i]];
      if (ed == td || ed >= n || td >= n)
        continue;
      // Dispatch td -> ed and combine ed -> td.
      out[td] += tb;
      in[ed] += tb;
      out[ed] += tb;
      in[td] += tb;
      if (!mesh)
        continue;
      for (int cut = 0; cut < 2; ++cut) {
        int a = sideOf(sys, td, cut), b = sideOf(sys, ed, cut);
        if (a >= 0 && b >= 0 && a != b) {
          cross[cut][a] += tb; // dispatch a -> b
          cross[cut][b] += tb; // combine b -> a
        }
      }
    }
  }
  std::vector<double> outBw(n, 0), inBw(n, 0);
  double cutBw[2][2] = {{0, 0}, {0, 0}};
  for (const Link &l : sys.links) {
    outBw[l.src] += l.bandwidthGBps;
    inBw[l.dst] += l.bandwidthGBps;
    if (!mesh)
      continue;
    for (int cut = 0; cut < 2; ++cut) {
      int a = sideOf(sys, l.src, cut), b = sideOf(sys, l.dst, cut);
      if (a >= 0 && b >= 0 && a != b)
        cutBw[cut][a] += l.bandwidthGBps;
    }
  }
  double bound = 0;
  for (unsigned d = 0; d < n; ++d) {
    if (out[d] > 0)
      bound = std::max(bound, outBw[d] > 0 ? bytesToUs(out[d], outBw[d])
                                           : INFINITY);
    if (in[d] > 0)
      bound = std::max(bound, inBw[d] > 0 ? bytesToUs(in[d], inBw[d])
                                          : INFINITY);
  }
  for (int cut = 0; cut < 2; ++cut)
    for (int dir = 0; dir < 2; ++dir)
      if (cross[cut][dir] > 0 && cutBw[cut][dir] > 0)
        bound = std::max(bound, bytesToUs(cross[cut][dir], cutBw[cut][dir]));
  return bound;
}
