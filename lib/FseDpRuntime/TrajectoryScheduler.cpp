//===- TrajectoryScheduler.cpp - FSE-DP per-batch trajectory choice -------===//

#include "moesaic/Runtime/FseDp/TrajectoryScheduler.h"

#include <algorithm>
#include <cassert>

using namespace moesaic::fsedp;

void TrajectoryScheduler::occupancy(unsigned n, unsigned start, unsigned len,
                                    unsigned cwGap, uint8_t *out) {
  unsigned gap = n - 1 - len, ccwGap = gap - cwGap;
  for (unsigned r = 0; r < n; ++r) {
    unsigned p = start + r;
    if (p >= n)
      p -= n;
    unsigned cw = 0, ccw = 0;
    // Clockwise link p -> p+1.
    if (r < len)
      cw = r + 1 + cwGap;
    else if (r >= n - cwGap)
      cw = r - (n - cwGap) + 1;
    // Counter-clockwise link p -> p-1.
    if (r >= 1 && r <= len)
      ccw = len - r + 1 + ccwGap;
    else if (r > len && r <= len + ccwGap)
      ccw = len + ccwGap - r + 1;
    out[p] = (uint8_t)cw;
    out[n + p] = (uint8_t)ccw;
  }
}

void TrajectoryScheduler::shardPath(unsigned n, unsigned start, unsigned len,
                                    unsigned cwGap, unsigned home,
                                    std::vector<unsigned> &cwLeg,
                                    std::vector<unsigned> &ccwLeg) {
  cwLeg.clear();
  ccwLeg.clear();
  auto abs = [&](unsigned r) { return (start + r) % n; };
  unsigned h = (home + n - start) % n;
  if (h <= len) {
    for (unsigned r = h + 1; r <= len; ++r)
      cwLeg.push_back(abs(r));
    for (unsigned r = h; r-- > 0;)
      ccwLeg.push_back(abs(r));
  } else if (h >= n - cwGap) {
    for (unsigned r = h + 1; r < n; ++r)
      cwLeg.push_back(abs(r));
    for (unsigned r = 0; r <= len; ++r)
      cwLeg.push_back(abs(r));
  } else {
    for (unsigned r = h; r-- > 0;)
      ccwLeg.push_back(abs(r));
  }
}

TrajectoryScheduler::TrajectoryScheduler(const SchedulerConfig &config)
    : cfg(config) {
  unsigned n = cfg.numChiplets;
  assert(n >= 1 && n <= 64 && "1..64 chiplets");
  if (cfg.chunksPerShard == 0)
    cfg.chunksPerShard = 1;
  if (n <= 32) {
    table.assign((size_t)n * n * 2 * 2 * n, 0);
    for (unsigned s = 0; s < n; ++s)
      for (unsigned len = 0; len < n; ++len)
        for (unsigned par = 0; par < 2; ++par) {
          unsigned gap = n - 1 - len;
          unsigned cwGap = gap / 2 + ((gap & 1) ? par : 0);
          occupancy(n, s, len, cwGap,
                    &table[(((size_t)s * n + len) * 2 + par) * 2 * n]);
        }
  }
  scratch.assign(2 * n, 0);
  linkFree.assign(2 * n, 0);
  computeFree.assign(n, 0);
  counts.assign((size_t)cfg.numExperts * n, 0);
  masks.assign(cfg.numExperts, 0);
  tokensOf.assign(cfg.numExperts, 0);
  active.reserve(cfg.numExperts);
  staged.reserve(cfg.numExperts);
  result.experts.reserve(cfg.numExperts);
  bucket.assign(n + 1, 0);
}

const uint8_t *TrajectoryScheduler::occ(unsigned start, unsigned len,
                                        unsigned cwGap) {
  unsigned n = cfg.numChiplets;
  unsigned gap = n - 1 - len;
  if (!table.empty()) {
    unsigned par = (gap & 1) ? cwGap - gap / 2 : 0;
    return &table[(((size_t)start * n + len) * 2 + par) * 2 * n];
  }
  occupancy(n, start, len, cwGap, scratch.data());
  return scratch.data();
}

uint32_t TrajectoryScheduler::tryBook(const uint8_t *o, uint32_t t0,
                                      bool commit, uint32_t expert) {
  const unsigned lanes = 2 * cfg.numChiplets;
  const uint32_t lt = cfg.linkTicksPerChunk * cfg.chunksPerShard;
  const uint32_t dt = cfg.dramTicksPerChunk * cfg.chunksPerShard;
  uint32_t *free = linkFree.data();
  uint32_t end = t0;
  for (unsigned l = 0; l < lanes; ++l) {
    uint32_t n = o[l];
    uint32_t w = std::max(n * lt, dt);
    uint32_t s = std::max(free[l], t0);
    uint32_t e = n ? s + w : 0;
    end = std::max(end, e);
    if (commit) {
      if (n && record)
        booked.push_back({expert, l, s, e, n * cfg.chunksPerShard});
      free[l] = n ? e : free[l];
    }
  }
  return end;
}

const Decision &TrajectoryScheduler::decide(unsigned numTokens,
                                            const uint16_t *tokenPos,
                                            const int32_t *experts,
                                            unsigned topK) {
  const unsigned n = cfg.numChiplets;
  // Clear what the previous batch touched.
  for (uint32_t e : active) {
    masks[e] = 0;
    tokensOf[e] = 0;
    std::fill_n(&counts[(size_t)e * n], n, 0);
  }
  active.clear();
  std::fill(linkFree.begin(), linkFree.end(), 0);
  std::fill(computeFree.begin(), computeFree.end(), 0);
  booked.clear();

  // Gather: holder mask and token counts per active expert.
  for (unsigned t = 0; t < numTokens; ++t) {
    unsigned p = tokenPos[t];
    const int32_t *row = experts + (size_t)t * topK;
    for (unsigned j = 0; j < topK; ++j) {
      int32_t e = row[j];
      if (e < 0)
        continue;
      if (tokensOf[e] == 0)
        active.push_back(e);
      masks[e] |= uint64_t(1) << p;
      uint8_t &c = counts[(size_t)e * n + p];
      c = c == 255 ? 255 : c + 1;
      ++tokensOf[e];
    }
  }

  // Arcs: leave the largest circular gap between holders unvisited.
  staged.clear();
  std::fill(bucket.begin(), bucket.end(), 0);
  for (uint32_t e : active) {
    uint64_t m = masks[e];
    ExpertDecision d;
    d.expert = e;
    d.holders = m;
    d.tokens = tokensOf[e];
    unsigned first = __builtin_ctzll(m);
    if ((m & (m - 1)) == 0) {
      d.arcStart = first;
      d.arcLen = 0;
      // A second, equally good start does not exist for one holder; the
      // tie slot (ccwGap) carries the alternative start, none here.
      d.ccwGap = 0xff;
    } else {
      unsigned prev = first, bestGap = 0, bestStart = 0, tieStart = 0xff;
      uint64_t rest = m & (m - 1);
      auto consider = [&](unsigned gap, unsigned startPos) {
        if (gap > bestGap) {
          bestGap = gap;
          bestStart = startPos;
          tieStart = 0xff;
        } else if (gap == bestGap && tieStart == 0xff) {
          tieStart = startPos;
        }
      };
      bool firstGap = true;
      while (rest) {
        unsigned p = __builtin_ctzll(rest);
        rest &= rest - 1;
        unsigned gap = p - prev - 1;
        if (firstGap) {
          bestGap = gap;
          bestStart = p;
          firstGap = false;
        } else {
          consider(gap, p);
        }
        prev = p;
      }
      consider(first + n - prev - 1, first);
      d.arcStart = bestStart;
      d.arcLen = n - 1 - bestGap;
      d.ccwGap = tieStart; // staged: alternative start with the same gap
    }
    unsigned gap = n - 1 - d.arcLen;
    unsigned key = d.arcLen + (gap + 1) / 2; // longest link stream
    if (key > n)
      key = n;
    d.cwGap = key; // staged: sort key
    ++bucket[key];
    staged.push_back(d);
  }

  // Order: longest stream first (counting sort, stable).
  std::vector<ExpertDecision> &out = result.experts;
  out.resize(staged.size());
  {
    unsigned pos = 0;
    for (unsigned k = n + 1; k-- > 0;) {
      unsigned c = bucket[k];
      bucket[k] = pos;
      pos += c;
    }
    for (const ExpertDecision &d : staged)
      out[bucket[d.cwGap]++] = d;
  }

  // Book links and compute, choosing among equal gaps and the odd shard's
  // direction whatever finishes first.
  const uint32_t S = cfg.chunksPerShard;
  uint32_t dramFree = 0, makespan = 0;
  for (ExpertDecision &d : out) {
    unsigned tieStart = d.ccwGap;
    unsigned len = d.arcLen, gap = n - 1 - len;
    d.startTick = dramFree;
    uint32_t t0 = dramFree + cfg.dramTicksPerChunk;
    dramFree += S * cfg.dramTicksPerChunk;

    unsigned bestStart = d.arcStart, bestCw = gap / 2;
    uint32_t bestEnd = ~0u;
    unsigned starts[2] = {d.arcStart, tieStart};
    unsigned numStarts = tieStart == 0xff ? 1 : 2;
    unsigned numPar = (gap & 1) ? 2 : 1;
    if (numStarts * numPar > 1) {
      for (unsigned si = 0; si < numStarts; ++si)
        for (unsigned par = 0; par < numPar; ++par) {
          unsigned cwGap = gap / 2 + par;
          uint32_t end = tryBook(occ(starts[si], len, cwGap), t0, false, 0);
          if (end < bestEnd) {
            bestEnd = end;
            bestStart = starts[si];
            bestCw = cwGap;
          }
        }
    }
    d.arcStart = bestStart;
    d.cwGap = bestCw;
    d.ccwGap = gap - bestCw;
    uint32_t linkEnd = tryBook(occ(bestStart, len, bestCw), t0, true,
                               d.expert);
    // Pipeline fill: the last chunk still crosses the longest leg.
    uint32_t fill = (len + std::max(d.cwGap, d.ccwGap)) *
                    cfg.linkTicksPerChunk;
    uint32_t arrive = std::max(linkEnd, t0 + (S - 1) * cfg.dramTicksPerChunk) +
                      fill;
    uint32_t end = arrive;
    uint64_t m = d.holders;
    while (m) {
      unsigned p = __builtin_ctzll(m);
      m &= m - 1;
      uint32_t work = counts[(size_t)d.expert * n + p] *
                      cfg.computeTicksPerTokenChunk * S * n;
      uint32_t c = std::max(computeFree[p] + work,
                            arrive + work / (S * n ? S * n : 1));
      computeFree[p] = c;
      end = std::max(end, c);
    }
    d.endTick = end;
    makespan = std::max(makespan, end);
  }
  result.makespanTicks = makespan;
  return result;
}
