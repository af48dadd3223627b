//===- ExpertCache.cpp - VRAM expert caches of the GPU-NDP runtimes -------===//

#include "moesaic/Runtime/Ndp/ExpertCache.h"

#include <algorithm>
#include <cassert>
#include <numeric>

using namespace moesaic::ndp;

//===----------------------------------------------------------------------===//
// ResidencySet
//===----------------------------------------------------------------------===//

ResidencySet::ResidencySet(std::vector<int64_t> numExperts,
                           std::vector<int64_t> expertBytes,
                           int64_t budgetBytes)
    : numExperts(std::move(numExperts)), bytes(std::move(expertBytes)),
      budget(std::max<int64_t>(budgetBytes, 0)) {
  size_t total = 0;
  for (int64_t n : this->numExperts) {
    offsets.push_back(total);
    total += n;
  }
  slots.assign(total, 0);
}

void ResidencySet::insert(ExpertKey key) {
  uint8_t &s = slots[flat(key)];
  if (s)
    return;
  assert(fits(key) && "expert cache over budget");
  s = 1;
  used += bytesOf(key);
  ++residentCount;
}

void ResidencySet::erase(ExpertKey key) {
  uint8_t &s = slots[flat(key)];
  if (!s)
    return;
  s = 0;
  used -= bytesOf(key);
  --residentCount;
}

void ResidencySet::fillRoundRobin() {
  int64_t maxExperts = 0;
  for (int64_t n : numExperts)
    maxExperts = std::max(maxExperts, n);
  for (int64_t e = 0; e < maxExperts; ++e) {
    bool any = false;
    for (size_t l = 0; l < numExperts.size(); ++l) {
      if (e >= numExperts[l])
        continue;
      ExpertKey key{(uint32_t)l, (int32_t)e};
      if (!fits(key))
        return;
      insert(key);
      any = true;
    }
    if (!any)
      return;
  }
}

std::vector<ExpertKey> ResidencySet::residents() const {
  std::vector<ExpertKey> out;
  for (size_t l = 0; l < numExperts.size(); ++l)
    for (int64_t e = 0; e < numExperts[l]; ++e)
      if (slots[offsets[l] + e])
        out.push_back({(uint32_t)l, (int32_t)e});
  return out;
}

//===----------------------------------------------------------------------===//
// LruExpertCache
//===----------------------------------------------------------------------===//

LruExpertCache::LruExpertCache(std::vector<int64_t> numExperts,
                               std::vector<int64_t> expertBytes,
                               int64_t budgetBytes)
    : res(numExperts, expertBytes, budgetBytes) {
  size_t total = 0;
  for (int64_t n : numExperts)
    total += n;
  lastUse.assign(total, 0);
  res.fillRoundRobin();
}

bool LruExpertCache::access(ExpertKey key, const std::vector<ExpertKey> &pinned,
                            std::vector<ExpertKey> &evicted) {
  ++clock;
  auto flatOf = [&](ExpertKey k) {
    size_t f = 0;
    for (uint32_t l = 0; l < k.layer; ++l)
      f += res.experts(l);
    return f + k.expert;
  };
  if (res.resident(key)) {
    lastUse[flatOf(key)] = clock;
    return true;
  }
  if (res.bytesOf(key) > res.budgetBytes())
    return false;
  // Evict least recently used residents (ties: lowest key) until it fits.
  while (!res.fits(key)) {
    std::vector<ExpertKey> cands = res.residents();
    const ExpertKey *victim = nullptr;
    uint64_t best = ~0ull;
    for (const ExpertKey &c : cands) {
      if (std::find(pinned.begin(), pinned.end(), c) != pinned.end())
        continue;
      uint64_t t = lastUse[flatOf(c)];
      if (t < best) {
        best = t;
        victim = &c;
      }
    }
    if (!victim)
      return false;
    evicted.push_back(*victim);
    res.erase(*victim);
  }
  res.insert(key);
  lastUse[flatOf(key)] = clock;
  return false;
}

//===----------------------------------------------------------------------===//
// StaticExpertCache
//===----------------------------------------------------------------------===//

StaticExpertCache::StaticExpertCache(
    std::vector<int64_t> numExperts, std::vector<int64_t> expertBytes,
    int64_t budgetBytes, const std::vector<std::vector<double>> &profile)
    : res(numExperts, expertBytes, budgetBytes) {
  struct Cand {
    double score;
    ExpertKey key;
  };
  std::vector<Cand> cands;
  for (size_t l = 0; l < numExperts.size(); ++l)
    for (int64_t e = 0; e < numExperts[l]; ++e) {
      double s = l < profile.size() && (size_t)e < profile[l].size()
                     ? profile[l][e]
                     : 0.0;
      cands.push_back({s, {(uint32_t)l, (int32_t)e}});
    }
  std::stable_sort(cands.begin(), cands.end(), [](const Cand &a, const Cand &b) {
    return a.score > b.score;
  });
  for (const Cand &c : cands)
    if (res.fits(c.key))
      res.insert(c.key);
}

//===----------------------------------------------------------------------===//
// OnlinePrefetcher
//===----------------------------------------------------------------------===//

OnlinePrefetcher::OnlinePrefetcher(std::vector<int64_t> numExperts,
                                   std::vector<int64_t> expertBytes,
                                   PrefetchConfig config)
    : cfg(config), hist(numExperts, config.decay),
      res(numExperts, expertBytes, config.budgetBytes) {
  inFlight.assign(hist.size(), 0);
  // Cold start: nothing is known, so the cache starts with the same
  // round-robin fill every profile-free policy gets.
  res.fillRoundRobin();
}

void OnlinePrefetcher::observe(size_t layer, const std::vector<int32_t> &load) {
  hist.observe(layer, load);
}

int64_t OnlinePrefetcher::queuedBytes() const {
  int64_t total = 0;
  for (const PendingLoad &p : pending)
    total += p.remaining;
  return total;
}

void OnlinePrefetcher::replan(std::vector<ExpertKey> *evicted) {
  // Rank every expert by its decayed count, residents boosted by the
  // hysteresis factor; ties keep the lower key first.
  size_t n = hist.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  auto adjusted = [&](size_t f) {
    ExpertKey k = hist.keyAt(f);
    double s = hist.score(k);
    return res.resident(k) ? s * cfg.hysteresis : s;
  };
  std::vector<double> adj(n);
  for (size_t f = 0; f < n; ++f)
    adj[f] = adjusted(f);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return adj[a] > adj[b]; });
  // The target set: greedy by adjusted score within the budget.
  std::vector<uint8_t> target(n, 0);
  int64_t room = res.budgetBytes();
  for (size_t f : order) {
    ExpertKey k = hist.keyAt(f);
    bool isResident = res.resident(k);
    if (!isResident && hist.score(k) < cfg.minScore)
      continue;
    if (res.bytesOf(k) <= room) {
      target[f] = 1;
      room -= res.bytesOf(k);
    }
  }
  // Candidates (target, not resident) best first; victims (resident, not
  // target) worst first.
  std::vector<size_t> victims;
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    if (!target[*it] && res.resident(hist.keyAt(*it)))
      victims.push_back(*it);
  size_t nextVictim = 0;
  int64_t queued = queuedBytes();
  for (size_t f : order) {
    if (!target[f])
      continue;
    ExpertKey k = hist.keyAt(f);
    if (res.resident(k))
      continue;
    int64_t b = res.bytesOf(k);
    if (cfg.maxQueuedBytes > 0 && queued + b > cfg.maxQueuedBytes)
      break;
    while (!res.fits(k) && nextVictim < victims.size()) {
      ExpertKey v = hist.keyAt(victims[nextVictim++]);
      // An expert still in flight is dropped from the queue as well.
      if (inFlight[hist.flat(v)]) {
        for (auto it = pending.begin(); it != pending.end(); ++it)
          if (it->key == v) {
            queued -= it->remaining;
            pending.erase(it);
            break;
          }
        inFlight[hist.flat(v)] = 0;
      }
      res.erase(v);
      if (evicted)
        evicted->push_back(v);
    }
    if (!res.fits(k))
      break;
    res.insert(k);
    inFlight[f] = 1;
    pending.push_back({k, b});
    queued += b;
  }
}

void OnlinePrefetcher::drain(int64_t maxBytes, int64_t chunkBytes,
                             std::vector<Chunk> &sent) {
  if (chunkBytes <= 0)
    chunkBytes = maxBytes;
  while (maxBytes > 0 && !pending.empty()) {
    PendingLoad &p = pending.front();
    int64_t b = std::min({p.remaining, chunkBytes, maxBytes});
    if (b <= 0)
      break;
    p.remaining -= b;
    maxBytes -= b;
    bool last = p.remaining == 0;
    sent.push_back({p.key, b, last});
    if (last) {
      inFlight[hist.flat(p.key)] = 0;
      pending.pop_front();
    }
  }
}
