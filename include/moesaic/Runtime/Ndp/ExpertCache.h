//===- ExpertCache.h - VRAM expert caches of the GPU-NDP runtimes -*- C++ -*-===//
//
// Which routed experts live in the GPU's VRAM. Three policies, one class
// each, all holding at most `budgetBytes` of experts at any time (loaded or
// in flight):
//  - LruExpertCache (MoE-OnDemand): a miss fetches the expert on demand and
//    evicts the least recently used ones;
//  - StaticExpertCache (Fiddler, MoNDE): the experts an offline profile calls
//    hottest, fixed for the whole run;
//  - OnlinePrefetcher (ndp-tp): dataset-free prefetching from the runtime
//    histogram (ExpertHistogram); see docs/gpu-ndp.md "Cache policy".
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_NDP_EXPERTCACHE_H
#define MOESAIC_RUNTIME_NDP_EXPERTCACHE_H

#include "moesaic/Runtime/Ndp/ExpertHistogram.h"

#include <cstdint>
#include <deque>
#include <vector>

namespace moesaic::ndp {

/// Residency bookkeeping shared by the policies: one slot per (layer,
/// expert), the bytes of each layer's experts, and the budget.
class ResidencySet {
public:
  ResidencySet(std::vector<int64_t> numExperts, std::vector<int64_t> expertBytes,
               int64_t budgetBytes);

  bool resident(ExpertKey key) const { return slots[flat(key)]; }
  int64_t usedBytes() const { return used; }
  int64_t budgetBytes() const { return budget; }
  int64_t bytesOf(ExpertKey key) const { return bytes[key.layer]; }
  bool fits(ExpertKey key) const { return used + bytesOf(key) <= budget; }
  /// Marks `key` resident; the caller has checked fits().
  void insert(ExpertKey key);
  void erase(ExpertKey key);
  /// Fills the cache with experts in round-robin order over layers, expert
  /// ids ascending (the cold start every policy without a profile gets).
  void fillRoundRobin();
  size_t numLayers() const { return numExperts.size(); }
  int64_t experts(size_t layer) const { return numExperts[layer]; }
  size_t count() const { return residentCount; }
  std::vector<ExpertKey> residents() const;

private:
  size_t flat(ExpertKey key) const { return offsets[key.layer] + key.expert; }
  std::vector<int64_t> numExperts, bytes;
  std::vector<size_t> offsets;
  std::vector<uint8_t> slots;
  int64_t budget = 0, used = 0;
  size_t residentCount = 0;
};

/// MoE-OnDemand's cache: least recently used eviction.
class LruExpertCache {
public:
  LruExpertCache(std::vector<int64_t> numExperts,
                 std::vector<int64_t> expertBytes, int64_t budgetBytes);
  /// Marks `key` used now; returns true on a hit. On a miss the expert is
  /// inserted (evicting least recently used experts, never one in `pinned`,
  /// i.e. needed by the current layer) when it fits at all; `evicted` gets
  /// the victims.
  bool access(ExpertKey key, const std::vector<ExpertKey> &pinned,
              std::vector<ExpertKey> &evicted);
  const ResidencySet &set() const { return res; }
  ResidencySet &set() { return res; }

private:
  ResidencySet res;
  std::vector<uint64_t> lastUse;
  uint64_t clock = 0;
};

/// Fiddler's and MoNDE's cache: the `budget` worth of experts with the
/// highest profiled activation counts, fixed.
class StaticExpertCache {
public:
  /// `profile[layer][e]`: profiled activations.
  StaticExpertCache(std::vector<int64_t> numExperts,
                    std::vector<int64_t> expertBytes, int64_t budgetBytes,
                    const std::vector<std::vector<double>> &profile);
  const ResidencySet &set() const { return res; }

private:
  ResidencySet res;
};

struct PrefetchConfig {
  int64_t budgetBytes = 0;
  /// Histogram decay per step (0.9: an activation's weight halves in ~7
  /// steps, so the cache follows drifting popularity).
  double decay = 0.9;
  /// A resident expert keeps its slot unless a candidate scores this many
  /// times more (avoids thrashing between near-equal experts).
  double hysteresis = 1.5;
  /// Candidates need at least this decayed count to be fetched at all.
  double minScore = 0.5;
  /// Most bytes queued for transfer at once (bounds the work in flight to
  /// what PCIe can move in a few steps; 0: unbounded).
  int64_t maxQueuedBytes = 0;
};

/// One expert load the prefetcher queued: `remaining` bytes still to send.
struct PendingLoad {
  ExpertKey key;
  int64_t remaining = 0;
};

/// ndp-tp's dataset-free prefetcher: learns popularity online from the
/// routing seen so far and keeps the hottest experts in VRAM, moving them
/// over PCIe in the windows where the link is idle.
class OnlinePrefetcher {
public:
  OnlinePrefetcher(std::vector<int64_t> numExperts,
                   std::vector<int64_t> expertBytes, PrefetchConfig config);

  /// Records one layer's routing of one step.
  void observe(size_t layer, const std::vector<int32_t> &load);
  /// Re-plans the resident set from the histogram: evicts experts that left
  /// the hot set to make room, queues loads of experts that joined it.
  /// Evictions happen at once (host memory keeps the master copy); loads
  /// become usable when `drain` has sent all their bytes.
  void replan(std::vector<ExpertKey> *evicted = nullptr);
  /// Takes up to `maxBytes` from the head of the load queue as chunks of at
  /// most `chunkBytes`; `sent` gets (key, bytes, completes-the-expert).
  struct Chunk {
    ExpertKey key;
    int64_t bytes = 0;
    bool last = false;
  };
  void drain(int64_t maxBytes, int64_t chunkBytes, std::vector<Chunk> &sent);

  /// Loaded and usable for compute.
  bool ready(ExpertKey key) const {
    return set().resident(key) && !inFlight[hist.flat(key)];
  }
  const ResidencySet &set() const { return res; }
  ResidencySet &set() { return res; }
  const ExpertHistogram &histogram() const { return hist; }
  const std::deque<PendingLoad> &queue() const { return pending; }
  int64_t queuedBytes() const;
  /// Bounds the bytes queued at once (the runtime sets it to what PCIe can
  /// move in about one decode step, once it has estimated a step).
  void setMaxQueuedBytes(int64_t bytes) { cfg.maxQueuedBytes = bytes; }

private:
  PrefetchConfig cfg;
  ExpertHistogram hist;
  ResidencySet res;
  std::vector<uint8_t> inFlight;
  std::deque<PendingLoad> pending;
};

} // namespace moesaic::ndp

#endif // MOESAIC_RUNTIME_NDP_EXPERTCACHE_H
