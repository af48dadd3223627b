//===- EplbPlacement.cpp - DeepSeek EPLB's replication and packing --------===//

#include "moesaic/Strategies/EplbPlacement.h"

#include <algorithm>
#include <unordered_map>

using namespace moesaic;

int64_t moesaic::eplbDefaultRedundant(int64_t numExperts, int64_t numDevices) {
  return numDevices + (numDevices - numExperts % numDevices) % numDevices;
}

std::vector<std::vector<int64_t>>
moesaic::eplbPlacement(const std::vector<int64_t> &load, int64_t n,
                       int64_t redundant) {
  int64_t E = load.size();
  int64_t slots = (E + redundant) / n;

  // 1. Replication: each redundant replica goes to the expert with the
  // highest load per replica (at most one replica per device).
  std::vector<int64_t> replicas(E, 1);
  for (int64_t r = 0; r < redundant; ++r) {
    int64_t best = -1;
    for (int64_t e = 0; e < E; ++e) {
      if (replicas[e] >= n)
        continue;
      if (best < 0 || (double)load[e] / replicas[e] >
                          (double)load[best] / replicas[best])
        best = e;
    }
    if (best < 0)
      break;
    ++replicas[best];
  }

  // 2. Balanced packing of the replicas, heaviest first.
  struct Item {
    int64_t expert;
    double weight;
  };
  std::vector<Item> items;
  for (int64_t e = 0; e < E; ++e)
    for (int64_t r = 0; r < replicas[e]; ++r)
      items.push_back({e, (double)load[e] / replicas[e]});
  std::stable_sort(items.begin(), items.end(),
                   [](const Item &a, const Item &b) {
                     return a.weight > b.weight;
                   });
  std::vector<double> packLoad(n, 0);
  std::vector<int64_t> packCount(n, 0);
  std::vector<std::vector<int64_t>> holders(E);
  for (const Item &item : items) {
    int64_t best = -1;
    for (int64_t d = 0; d < n; ++d) {
      if (packCount[d] >= slots ||
          std::find(holders[item.expert].begin(), holders[item.expert].end(),
                    d) != holders[item.expert].end())
        continue;
      if (best < 0 || packLoad[d] < packLoad[best])
        best = d;
    }
    // No free slot on a device without this expert: the replica would
    // duplicate one the device holds, so it is not placed.
    if (best < 0)
      continue;
    packLoad[best] += item.weight;
    ++packCount[best];
    holders[item.expert].push_back(best);
  }
  for (std::vector<int64_t> &h : holders)
    std::sort(h.begin(), h.end());
  return holders;
}

std::vector<int64_t>
moesaic::eplbMatchPacks(const std::vector<std::vector<int64_t>> &placed,
                        const std::vector<std::vector<int64_t>> &current,
                        int64_t numDevices) {
  uint64_t n = (uint64_t)std::max<int64_t>(numDevices, 0);
  std::unordered_map<uint64_t, int64_t> shared; // pack * n + device
  for (size_t e = 0; e < placed.size() && e < current.size(); ++e)
    for (int64_t p : placed[e])
      for (int64_t d : current[e])
        if (p >= 0 && (uint64_t)p < n && d >= 0 && (uint64_t)d < n)
          ++shared[(uint64_t)p * n + (uint64_t)d];
  std::vector<std::pair<int64_t, uint64_t>> pairs; // (-shared, key)
  pairs.reserve(shared.size());
  for (auto [key, count] : shared)
    pairs.emplace_back(-count, key);
  std::sort(pairs.begin(), pairs.end());
  std::vector<int64_t> deviceOf(n, -1);
  std::vector<bool> taken(n, false);
  for (auto [negCount, key] : pairs) {
    uint64_t p = key / n, d = key % n;
    if (deviceOf[p] >= 0 || taken[d])
      continue;
    deviceOf[p] = (int64_t)d;
    taken[d] = true;
  }
  uint64_t d = 0;
  for (uint64_t p = 0; p < n; ++p) {
    if (deviceOf[p] >= 0)
      continue;
    while (taken[d])
      ++d;
    deviceOf[p] = (int64_t)d;
    taken[d] = true;
  }
  return deviceOf;
}
