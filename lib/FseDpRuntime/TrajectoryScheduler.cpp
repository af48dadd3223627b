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
  arcs.assign(cfg.numExperts, 0);
  order.assign(cfg.numExperts, 0);
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

// Finish tick of booking occupancy `o` from `t0` on; the committing form
// also moves the links' free ticks. Branch-free over the 2N directed ring
// links so the compiler vectorises them; inlined into `decide`, of which
// x86 builds carry an AVX2/SSE4.1 clone (unsigned 32-bit max) picked at
// load time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FSEDP_CLONES __attribute__((target_clones("avx2", "sse4.1", "default")))
#else
#define FSEDP_CLONES
#endif

static inline uint32_t probeLanes(const uint8_t *__restrict o,
                           const uint32_t *__restrict free, unsigned lanes,
                           uint32_t t0, uint32_t lt, uint32_t dt) {
  uint32_t end = t0;
  for (unsigned l = 0; l < lanes; ++l) {
    uint32_t n = o[l], nl = n * lt;
    uint32_t w = nl > dt ? nl : dt;
    uint32_t f = free[l];
    uint32_t s = f > t0 ? f : t0;
    uint32_t m = 0u - (uint32_t)(n != 0); // masks, not branches
    uint32_t e = (s + w) & m;
    end = end > e ? end : e;
  }
  return end;
}

static inline uint32_t commitLanes(const uint8_t *__restrict o,
                            uint32_t *__restrict free, unsigned lanes,
                            uint32_t t0, uint32_t lt, uint32_t dt) {
  uint32_t end = t0;
  for (unsigned l = 0; l < lanes; ++l) {
    uint32_t n = o[l], nl = n * lt;
    uint32_t w = nl > dt ? nl : dt;
    uint32_t f = free[l];
    uint32_t s = f > t0 ? f : t0;
    uint32_t m = 0u - (uint32_t)(n != 0);
    uint32_t e = (s + w) & m;
    end = end > e ? end : e;
    free[l] = e | (f & ~m);
  }
  return end;
}

inline uint32_t TrajectoryScheduler::tryBook(const uint8_t *o, uint32_t t0,
                                      bool commit, uint32_t expert) {
  const unsigned lanes = 2 * cfg.numChiplets;
  const uint32_t lt = cfg.linkTicksPerChunk * cfg.chunksPerShard;
  const uint32_t dt = cfg.dramTicksPerChunk * cfg.chunksPerShard;
  if (!commit)
    return probeLanes(o, linkFree.data(), lanes, t0, lt, dt);
  if (record) {
    for (unsigned l = 0; l < lanes; ++l) {
      uint32_t n = o[l];
      if (!n)
        continue;
      uint32_t s = std::max(linkFree[l], t0);
      uint32_t e = s + std::max(n * lt, dt);
      booked.push_back({expert, l, s, e, n * cfg.chunksPerShard});
    }
  }
  return commitLanes(o, linkFree.data(), lanes, t0, lt, dt);
}

FSEDP_CLONES
const Decision &TrajectoryScheduler::decide(unsigned numTokens,
                                            const uint16_t *tokenPos,
                                            const int32_t *experts,
                                            unsigned topK) {
  const unsigned n = cfg.numChiplets;
  // Clear what the previous batch touched.
  for (uint32_t e : active) {
    masks[e] = 0;
    tokensOf[e] = 0;
    uint8_t *c = &counts[(size_t)e * n];
    for (unsigned p = 0; p < n; ++p)
      c[p] = 0;
  }
  active.clear();
  std::fill(linkFree.begin(), linkFree.end(), 0);
  std::fill(computeFree.begin(), computeFree.end(), 0);
  booked.clear();

  // Gather: holder mask and token counts per active expert.
  if (tokenPos) {
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
  } else {
    // Every chiplet holds every token: one holder per expert, the active
    // experts spread evenly around the ring (rule V4), so their streams
    // converge on different chiplets from both sides (complementary).
    for (unsigned t = 0; t < numTokens; ++t) {
      const int32_t *row = experts + (size_t)t * topK;
      for (unsigned j = 0; j < topK; ++j) {
        int32_t e = row[j];
        if (e < 0)
          continue;
        if (tokensOf[e] == 0)
          active.push_back(e);
        ++tokensOf[e];
      }
    }
    const size_t numActive = active.size();
    for (size_t i = 0; i < numActive; ++i) {
      uint32_t e = active[i];
      unsigned p = numActive <= n ? (unsigned)(i * n / numActive) : i % n;
      masks[e] = uint64_t(1) << p;
      counts[(size_t)e * n + p] = tokensOf[e] > 255 ? 255 : tokensOf[e];
    }
  }

  // Arcs: leave the largest circular gap between holders unvisited. Kept
  // in a packed word per expert (start | len << 8 | tie << 16 | key << 24)
  // so nothing is copied field by field.
  const size_t numActive = active.size();
  std::fill(bucket.begin(), bucket.end(), 0);
  uint32_t *arc = arcs.data();
  for (size_t i = 0; i < numActive; ++i) {
    uint64_t m = masks[active[i]];
    unsigned first = __builtin_ctzll(m);
    unsigned start = first, len = 0, tieStart = 0xff;
    if (m & (m - 1)) {
      unsigned prev = first, bestGap = 0, bestStart = 0;
      uint64_t rest = m & (m - 1);
      bool firstGap = true;
      while (rest) {
        unsigned p = __builtin_ctzll(rest);
        rest &= rest - 1;
        unsigned gap = p - prev - 1;
        if (firstGap || gap > bestGap) {
          bestGap = gap;
          bestStart = p;
          tieStart = 0xff;
          firstGap = false;
        } else if (gap == bestGap && tieStart == 0xff) {
          tieStart = p;
        }
        prev = p;
      }
      unsigned wrap = first + n - prev - 1;
      if (wrap > bestGap) {
        bestGap = wrap;
        bestStart = first;
        tieStart = 0xff;
      } else if (wrap == bestGap && tieStart == 0xff) {
        tieStart = first;
      }
      start = bestStart;
      len = n - 1 - bestGap;
    }
    unsigned gap = n - 1 - len;
    unsigned key = std::min(len + (gap + 1) / 2, n); // longest link stream
    ++bucket[key];
    arc[i] = start | len << 8 | tieStart << 16 | key << 24;
  }

  // Order: longest stream first (counting sort, stable).
  {
    unsigned pos = 0;
    for (unsigned k = n + 1; k-- > 0;) {
      unsigned c = bucket[k];
      bucket[k] = pos;
      pos += c;
    }
    for (size_t i = 0; i < numActive; ++i)
      order[bucket[arc[i] >> 24]++] = i;
  }
  std::vector<ExpertDecision> &out = result.experts;
  out.resize(numActive);

  // Book links and compute, choosing among equal gaps and the odd shard's
  // direction whatever finishes first.
  const uint32_t S = cfg.chunksPerShard;
  uint32_t dramFree = 0, makespan = 0;
  for (size_t k = 0; k < numActive; ++k) {
    ExpertDecision &d = out[k];
    uint32_t i = order[k], a = arc[i], e = active[i];
    d.expert = e;
    d.holders = masks[e];
    d.tokens = tokensOf[e];
    d.arcStart = a & 0xff;
    d.arcLen = (a >> 8) & 0xff;
    unsigned tieStart = (a >> 16) & 0xff;
    unsigned len = d.arcLen, gap = n - 1 - len;
    d.startTick = dramFree;
    uint32_t t0 = dramFree + cfg.dramTicksPerChunk;
    dramFree += S * cfg.dramTicksPerChunk;

    unsigned bestStart = d.arcStart, bestCw;
    // The odd gap shard joins the direction whose entry link into the arc
    // frees up first (complementary directions, O(1)).
    auto oddShardCw = [&](unsigned start) {
      if (!(gap & 1))
        return gap / 2;
      unsigned end = start + len;
      end = end >= n ? end - n : end;
      unsigned cwEntry = start == 0 ? n - 1 : start - 1;
      unsigned ccwEntry = n + (end + 1 == n ? 0 : end + 1);
      return gap / 2 + (linkFree[cwEntry] <= linkFree[ccwEntry] ? 1 : 0);
    };
    bestCw = oddShardCw(bestStart);
    if (tieStart != 0xff) {
      // Two gaps of the same length: book the one that finishes first.
      uint32_t e0 = tryBook(occ(bestStart, len, bestCw), t0, false, 0);
      unsigned altCw = oddShardCw(tieStart);
      uint32_t e1 = tryBook(occ(tieStart, len, altCw), t0, false, 0);
      if (e1 < e0) {
        bestStart = tieStart;
        bestCw = altCw;
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
                            arrive + work / (S * n));
      computeFree[p] = c;
      end = std::max(end, c);
    }
    d.endTick = end;
    makespan = std::max(makespan, end);
  }
  result.makespanTicks = makespan;
  return result;
}
