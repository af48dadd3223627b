//===- SyntheticTrace.cpp - Seeded synthetic gating traces -----------------===//
//
// For each MoE layer l a random permutation perm_l of its experts fixes which
// expert holds popularity rank r (drawn once from the seed). A token's k
// experts are k distinct ranks drawn without replacement with weight
// w(r) = 1 / (r + 1)^s (s = 0 for uniform), then mapped to experts:
//   expert = perm_l[(r + shift(step)) mod E],  shift(step) = floor(drift*E*step)
// so drift rotates which experts are popular. Before drawing:
//  - locality p: with probability p a token keeps its previous step's
//    experts in this layer (step > 0);
//  - layer_corr c: with probability c a token reuses the ranks it drew in
//    the previous MoE layer (mod E, topped up with fresh draws if k grows).
// One xoshiro256** stream seeded from `seed` drives everything, in the order
// step, layer, token; docs/workloads.md has the details.
//
//===----------------------------------------------------------------------===//

#include "Random.h"
#include "TraceInternal.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace moesaic;
using namespace moesaic::workload;

namespace {

/// Draws `k` distinct ranks from a cumulative weight table.
class RankSampler {
public:
  RankSampler(int64_t numExperts, double skew) : cdf(numExperts) {
    double sum = 0;
    for (int64_t r = 0; r < numExperts; ++r) {
      sum += skew == 0 ? 1.0 : std::pow((double)(r + 1), -skew);
      cdf[r] = sum;
    }
    weights.resize(numExperts);
    for (int64_t r = 0; r < numExperts; ++r)
      weights[r] = cdf[r] - (r ? cdf[r - 1] : 0.0);
  }

  /// Appends draws to `ranks` until it holds k distinct ranks.
  void draw(Xoshiro256 &rng, int64_t k, std::vector<int32_t> &ranks) {
    int64_t n = cdf.size();
    // Membership of `ranks` (a flag per rank, cleared before returning):
    // a linear search per draw made k close to E cost O(k^2) per token.
    if ((int64_t)taken.size() != n)
      taken.assign(n, 0);
    for (int32_t r : ranks)
      taken[r] = 1;
    int misses = 0;
    bool treeBuilt = false;
    while ((int64_t)ranks.size() < k) {
      int32_t r;
      if (misses < 64) {
        double u = rng.uniform() * cdf.back();
        r = (int32_t)(std::upper_bound(cdf.begin(), cdf.end(), u) -
                      cdf.begin());
        if (r >= n)
          r = n - 1;
      } else if (n <= kScanMax) {
        // Heavily skewed and k close to E: draw exactly from what is left.
        double left = 0;
        for (int32_t i = 0; i < n; ++i)
          if (!taken[i])
            left += weights[i];
        double u = rng.uniform() * left;
        r = scanRemaining(u);
      } else {
        // The same draw over more than kScanMax ranks from a Fenwick tree
        // of the remaining weights (built once per token: O(log E) per
        // draw instead of O(E); sums in another order, so the draws can
        // differ in the last bits from the scan's, which keeps every trace
        // of up to kScanMax experts as it was).
        if (!treeBuilt) {
          buildTree();
          treeBuilt = true;
        }
        double u = rng.uniform() * treeTotal();
        r = treeFind(u);
        if (r < 0 || r >= n || taken[r])
          r = scanRemaining(u); // rounding at the end of the tree
      }
      if (taken[r]) {
        ++misses;
        continue;
      }
      ranks.push_back(r);
      taken[r] = 1;
      if (treeBuilt)
        treeAdd(r, -weights[r]);
    }
    for (int32_t r : ranks)
      taken[r] = 0;
  }

private:
  static constexpr int64_t kScanMax = 4096;

  /// The first remaining rank where `u` runs out (the last remaining one
  /// when rounding leaves some of `u`).
  int32_t scanRemaining(double u) const {
    int32_t r = -1;
    for (int32_t i = 0, n = (int32_t)weights.size(); i < n; ++i) {
      if (taken[i])
        continue;
      r = i;
      if ((u -= weights[i]) < 0)
        break;
    }
    return r;
  }

  void buildTree() {
    int64_t n = weights.size();
    tree.assign(n + 1, 0.0);
    for (int64_t i = 0; i < n; ++i)
      if (!taken[i])
        treeAdd((int32_t)i, weights[i]);
  }
  void treeAdd(int32_t r, double w) {
    for (size_t i = r + 1; i < tree.size(); i += i & (~i + 1))
      tree[i] += w;
  }
  double treeTotal() const {
    double sum = 0;
    for (size_t i = tree.size() - 1; i > 0; i -= i & (~i + 1))
      sum += tree[i];
    return sum;
  }
  /// The smallest rank whose prefix of remaining weights exceeds `u`.
  int32_t treeFind(double u) const {
    size_t pos = 0, step = 1;
    while (step * 2 < tree.size())
      step *= 2;
    for (; step; step /= 2)
      if (pos + step < tree.size() && tree[pos + step] <= u) {
        pos += step;
        u -= tree[pos];
      }
    return (int32_t)pos; // rank pos (tree index pos + 1)
  }

  std::vector<double> cdf, weights;
  std::vector<uint8_t> taken;
  std::vector<double> tree; // Fenwick tree over remaining weights
};

} // namespace

llvm::Expected<GatingTrace>
moesaic::workload::makeSyntheticTrace(const WorkloadSpec &spec,
                                      const ModelDesc &model) {
  std::vector<int64_t> numExperts, topK;
  for (const MoeLayerDesc &l : model.moeLayers) {
    if (l.numExperts <= 0 || l.topK <= 0 || l.topK > l.numExperts)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "workload: MoE layer %lld of model '%s' has top-k %lld of %lld "
          "experts",
          (long long)l.index, model.name.c_str(), (long long)l.topK,
          (long long)l.numExperts);
    numExperts.push_back(l.numExperts);
    topK.push_back(l.topK);
  }
  if (auto e = checkTraceSize("spec '" + spec.str() + "'", spec.steps,
                              spec.batch, topK))
    return std::move(e);

  GatingTrace trace;
  trace.resize(spec.steps, spec.batch, numExperts, topK);
  double skew = spec.trace == "zipf" ? spec.skew : 0.0;
  {
    std::string d;
    llvm::raw_string_ostream os(d);
    if (skew > 0)
      os << "zipf(s=" << llvm::format("%g", skew) << ")";
    else
      os << "uniform";
    os << " top-k, seed " << spec.seed;
    if (spec.locality > 0)
      os << ", locality " << llvm::format("%g", spec.locality);
    if (spec.layerCorrelation > 0)
      os << ", layer_corr " << llvm::format("%g", spec.layerCorrelation);
    if (spec.drift > 0)
      os << ", drift " << llvm::format("%g", spec.drift);
    trace.description = d;
  }

  Xoshiro256 rng(spec.seed);
  size_t numLayers = numExperts.size();
  // Per layer: the expert holding each popularity rank (Fisher-Yates).
  std::vector<std::vector<int32_t>> perm(numLayers);
  std::vector<RankSampler> samplers;
  for (size_t l = 0; l < numLayers; ++l) {
    perm[l].resize(numExperts[l]);
    for (int64_t i = 0; i < numExperts[l]; ++i)
      perm[l][i] = (int32_t)i;
    for (int64_t i = numExperts[l] - 1; i > 0; --i)
      std::swap(perm[l][i], perm[l][rng.below(i + 1)]);
    samplers.emplace_back(numExperts[l], skew);
  }

  // Ranks each token drew in the previous layer (for layer correlation).
  std::vector<std::vector<int32_t>> prevRanks(spec.batch);
  std::vector<int32_t> ranks;
  // Ranks already kept from the previous layer (a flag per rank, cleared
  // after each token).
  std::vector<uint8_t> kept;
  for (int64_t s = 0; s < spec.steps; ++s) {
    for (size_t l = 0; l < numLayers; ++l) {
      int64_t e = numExperts[l], k = topK[l];
      int64_t shift = (int64_t)std::floor(spec.drift * (double)e * (double)s);
      shift %= e;
      for (int64_t t = 0; t < spec.batch; ++t) {
        int32_t *out = trace.experts(s, l, t);
        if (s > 0 && spec.locality > 0 && rng.uniform() < spec.locality) {
          const int32_t *prev = trace.experts(s - 1, l, t);
          std::copy(prev, prev + k, out);
          prevRanks[t].clear(); // ranks unknown: next layer draws afresh
          continue;
        }
        ranks.clear();
        if (l > 0 && spec.layerCorrelation > 0 &&
            rng.uniform() < spec.layerCorrelation) {
          if ((int64_t)kept.size() < e)
            kept.assign(e, 0);
          for (int32_t r : prevRanks[t]) {
            int32_t rr = (int32_t)(r % e);
            if ((int64_t)ranks.size() < k && !kept[rr]) {
              kept[rr] = 1;
              ranks.push_back(rr);
            }
          }
          for (int32_t r : ranks)
            kept[r] = 0;
        }
        samplers[l].draw(rng, k, ranks);
        for (int64_t i = 0; i < k; ++i)
          out[i] = perm[l][(ranks[i] + shift) % e];
        prevRanks[t] = ranks;
      }
    }
  }
  return trace;
}

llvm::Error moesaic::workload::checkTraceSize(llvm::StringRef what,
                                              int64_t steps, int64_t batch,
                                              const std::vector<int64_t> &topK) {
  double k = 0;
  for (int64_t v : topK)
    k += (double)v;
  double entries = (double)steps * (double)batch * k;
  if (steps <= 0 || batch <= 0)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "workload: %s holds no step or no token",
                                   what.str().c_str());
  if (entries > (double)kMaxTraceEntries)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "workload: %s asks for %lld steps x %lld tokens x %lld expert choices "
        "per token, more than the %lld expert ids a trace may hold",
        what.str().c_str(), (long long)steps, (long long)batch, (long long)k,
        (long long)kMaxTraceEntries);
  return llvm::Error::success();
}

llvm::Expected<GatingTrace> moesaic::makeTrace(const WorkloadSpec &spec,
                                               const ModelDesc &model) {
  if (model.moeLayers.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "workload: model '%s' has no MoE layer",
                                   model.name.c_str());
  if (spec.trace == "file")
    return readTraceFile(spec.path, model);
  if (spec.trace != "uniform" && spec.trace != "zipf")
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "workload: unknown trace kind '%s'",
                                   spec.trace.c_str());
  return makeSyntheticTrace(spec, model);
}
