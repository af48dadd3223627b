//===- Balancer.cpp - GPU/NDP load balancing of one MoE layer -------------===//

#include "moesaic/Runtime/Ndp/Balancer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace moesaic::ndp;

static double roofUs(double bytes, double flops, double gbps, double tflops) {
  double mem = gbps > 0 ? bytes / (gbps * 1e3) : 0.0;
  double cmp = tflops > 0 ? flops / (tflops * 1e6) : 0.0;
  return std::max(mem, cmp);
}

double moesaic::ndp::gpuSliceUs(const ExpertWork &w, const BalanceCosts &c,
                                double fraction) {
  return roofUs(w.bytes * fraction, w.flops * fraction, c.gpuGBps, c.gpuTflops);
}

double moesaic::ndp::unitSliceUs(const ExpertWork &w, const BalanceCosts &c,
                                 unsigned unit, double fraction) {
  double f = fraction * c.unitFraction[unit];
  return roofUs(w.bytes * f, w.flops * f, c.unitGBps[unit], c.unitTflops[unit]);
}

double BalancePlan::unitBalance() const {
  double maxv = 0, sum = 0;
  for (double v : unitBusyUs) {
    maxv = std::max(maxv, v);
    sum += v;
  }
  if (sum <= 0 || unitBusyUs.empty())
    return 0.0;
  return maxv / (sum / unitBusyUs.size());
}

std::vector<ExpertWork>
moesaic::ndp::layerWork(const std::vector<int32_t> &load, double expertBytes,
                        double flopsPerToken,
                        const std::vector<uint8_t> &ready) {
  std::vector<ExpertWork> works;
  for (size_t e = 0; e < load.size(); ++e) {
    if (load[e] <= 0)
      continue;
    ExpertWork w;
    w.expert = (int32_t)e;
    w.tokens = load[e];
    w.bytes = expertBytes;
    w.flops = flopsPerToken * load[e];
    w.onGpu = e < ready.size() && ready[e];
    works.push_back(w);
  }
  return works;
}

BalancePlan moesaic::ndp::balanceLayer(const std::vector<ExpertWork> &experts,
                                       const BalanceCosts &costs) {
  BalancePlan plan;
  unsigned units = costs.unitGBps.size();
  int g = std::max(costs.granularity, 1);
  plan.unitBusyUs.assign(units, 0.0);
  double sliceFrac = 1.0 / g;

  // Per expert: how many of its slices run on the GPU (the rest go to NDP).
  std::vector<int32_t> gpuSlices(experts.size(), 0);

  auto ndpSliceUs = [&](const ExpertWork &w) {
    double worst = 0;
    for (unsigned u = 0; u < units; ++u)
      worst = std::max(worst, unitSliceUs(w, costs, u, sliceFrac));
    return worst;
  };

  // NDP side starts with every slice (it holds all weights); the slices of
  // resident experts are candidates for the GPU. Largest slices first
  // (ties: expert order), each moved while it lowers the makespan.
  double ndpLoad = 0;
  for (const ExpertWork &w : experts)
    ndpLoad += g * ndpSliceUs(w);
  double gpuLoad = 0;
  struct Cand {
    size_t idx;
    double gpuUs, ndpUs;
  };
  std::vector<Cand> cands;
  for (size_t i = 0; i < experts.size(); ++i)
    if (experts[i].onGpu)
      cands.push_back({i, gpuSliceUs(experts[i], costs, sliceFrac),
                       ndpSliceUs(experts[i])});
  std::stable_sort(cands.begin(), cands.end(), [](const Cand &a, const Cand &b) {
    return a.ndpUs > b.ndpUs;
  });
  auto finish = [&](double gpu, double ndp) {
    double gf = gpu > 0 ? gpu + costs.gpuFixedUs : 0.0;
    double nf = ndp > 1e-12 ? ndp + costs.ndpFixedUs : 0.0;
    return std::max(gf, nf);
  };
  // LPT over slices: repeatedly give the GPU the next slice while that
  // shortens the layer.
  for (const Cand &c : cands) {
    for (int s = 0; s < g; ++s) {
      double before = finish(gpuLoad, ndpLoad);
      double after = finish(gpuLoad + c.gpuUs, ndpLoad - c.ndpUs);
      if (after + 1e-9 >= before)
        break;
      gpuLoad += c.gpuUs;
      ndpLoad -= c.ndpUs;
      ++gpuSlices[c.idx];
    }
  }

  for (size_t i = 0; i < experts.size(); ++i) {
    const ExpertWork &w = experts[i];
    int32_t onGpu = gpuSlices[i];
    if (onGpu > 0) {
      plan.gpu.push_back({w.expert, 0, onGpu});
      plan.gpuBusyUs += gpuSliceUs(w, costs, onGpu * sliceFrac);
    }
    if (onGpu < g) {
      plan.ndp.push_back({w.expert, onGpu, g});
      double frac = (g - onGpu) * sliceFrac;
      for (unsigned u = 0; u < units; ++u)
        plan.unitBusyUs[u] += unitSliceUs(w, costs, u, frac);
    }
  }
  double ndpBusy = 0;
  for (double v : plan.unitBusyUs)
    ndpBusy = std::max(ndpBusy, v);
  plan.gpuFinishUs = plan.gpu.empty() ? 0.0 : plan.gpuBusyUs + costs.gpuFixedUs;
  plan.ndpFinishUs = plan.ndp.empty() ? 0.0 : ndpBusy + costs.ndpFixedUs;
  return plan;
}

std::vector<int64_t>
moesaic::ndp::proportionalSplit(int64_t rows, const std::vector<double> &weights,
                                int64_t quantum) {
  size_t n = weights.size();
  std::vector<int64_t> out(n, 0);
  if (n == 0 || rows <= 0)
    return out;
  double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (total <= 0)
    return out;
  if (quantum <= 0 || rows % quantum != 0 || rows / quantum < (int64_t)n)
    quantum = 1;
  int64_t units = rows / quantum;
  std::vector<double> exact(n);
  int64_t given = 0;
  for (size_t i = 0; i < n; ++i) {
    exact[i] = units * weights[i] / total;
    out[i] = (int64_t)std::floor(exact[i]);
    given += out[i];
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return exact[a] - out[a] > exact[b] - out[b];
  });
  for (size_t i = 0; given < units; ++i, ++given)
    ++out[order[i % n]];
  for (int64_t &v : out)
    v *= quantum;
  return out;
}
