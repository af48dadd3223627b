//===- TrajectoryScheduler.cpp - FSE-DP per-batch trajectory choice -------===//

#include "moesaic/Runtime/FseDp/TrajectoryScheduler.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <type_traits>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

using namespace moesaic::fsedp;

// x86 builds carry x86-64-v3 (AVX2 with BMI1/2, LZCNT, ...), AVX2 and
// SSE4.1 clones of `decide`'s phases (unsigned 32-bit max in the portable
// booking; bit scans and blsr in the gathering and ordering: 5-9 % of a
// decision at 16 chiplets), picked at load time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FSEDP_CLONES                                                           \
  __attribute__((                                                              \
      target_clones("arch=x86-64-v3", "avx2", "sse4.1", "default")))
#else
#define FSEDP_CLONES
#endif

/// Bytes after the token counts (a row of up to 16 is cleared with one
/// store).
static constexpr size_t kCountsSlack = 64;

/// Rule V6's holders of an expert whose first holder is 0: one per segment
/// of `seg` chiplets, `h` of them (shifted by the first holder's position).
static uint64_t splitPattern(unsigned h, unsigned seg) {
  uint64_t pattern = 0;
  for (unsigned j = 0; j < h; ++j)
    pattern |= uint64_t(1) << (j * seg);
  return pattern;
}

namespace {
/// The tick constants every booking derives from the configuration.
struct TickConstants {
  uint32_t S;        ///< chunks per shard
  uint32_t dt;       ///< DRAM ticks per chunk
  uint32_t ct;       ///< compute ticks per token and chunk
  uint32_t sn, ctsn; ///< S x N, ct x S x N (a holder's share and work)
  uint32_t loaded;   ///< from an expert's first load to its last chunk's
  uint32_t dramStep; ///< from one expert's first load to the next's
};
} // namespace

/// `split`: rule V6's factor of the decision (a holder computes on N /
/// split shards).
static TickConstants tickConstants(const SchedulerConfig &c,
                                   unsigned split) {
  const uint32_t S = c.chunksPerShard, dt = c.dramTicksPerChunk;
  const uint32_t ct = c.computeTicksPerTokenChunk,
                 sn = S * (c.numChiplets / split);
  return {S, dt, ct, sn, ct * sn, dt + (S - 1) * dt, S * dt};
}

void TrajectoryScheduler::occupancy(unsigned n, unsigned start, unsigned len,
                                    unsigned cwGap, uint8_t *out,
                                    unsigned split) {
  if (split > 1) {
    // Rule V6: each segment's shards converge on its holder, cwGap of them
    // clockwise (the link k hops before the holder carries cwGap - k + 1),
    // the rest counter-clockwise.
    const unsigned seg = n / split, ccw = seg - 1 - cwGap;
    std::fill(out, out + 2 * n, 0);
    for (unsigned j = 0; j < split; ++j) {
      unsigned p = (start + j * seg) % n;
      for (unsigned k = 1; k <= cwGap; ++k)
        out[(p + n - k) % n] = (uint8_t)(cwGap - k + 1);
      for (unsigned k = 1; k <= ccw; ++k)
        out[n + (p + k) % n] = (uint8_t)(ccw - k + 1);
    }
    return;
  }
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
                                    std::vector<unsigned> &ccwLeg,
                                    unsigned split) {
  cwLeg.clear();
  ccwLeg.clear();
  if (split > 1) {
    // Rule V6: the segment of `home` starts cwGap before its holder.
    const unsigned seg = n / split;
    unsigned o = (home + n - start + cwGap) % n % seg;
    if (o < cwGap)
      for (unsigned k = 1; k <= cwGap - o; ++k)
        cwLeg.push_back((home + k) % n);
    else
      for (unsigned k = 1; k <= o - cwGap; ++k)
        ccwLeg.push_back((home + n - k) % n);
    return;
  }
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

std::vector<unsigned> TrajectoryScheduler::spreadOrder(unsigned m) {
  std::vector<unsigned> order;
  if (m == 0)
    return order;
  std::vector<unsigned> nearest(m, m); // distance to the closest taken slot
  auto dist = [m](unsigned a, unsigned b) {
    unsigned d = a > b ? a - b : b - a;
    return std::min(d, m - d);
  };
  unsigned last = 0;
  for (unsigned k = 0; k < m; ++k) {
    unsigned best = m;
    if (k == 0) {
      best = 0;
    } else {
      for (unsigned j = 0; j < m; ++j) {
        if (nearest[j] == 0)
          continue;
        if (best == m || nearest[j] > nearest[best] ||
            (nearest[j] == nearest[best] && dist(j, last) > dist(best, last)))
          best = j;
      }
    }
    order.push_back(best);
    for (unsigned j = 0; j < m; ++j)
      nearest[j] = std::min(nearest[j], dist(j, best));
    last = best;
  }
  return order;
}

std::vector<uint8_t> TrajectoryScheduler::replicatedHolders(unsigned n) {
  std::vector<uint8_t> table((size_t)n * n, 0);
  for (unsigned m = 1; m <= n; ++m) {
    std::vector<unsigned> order = spreadOrder(m);
    for (unsigned i = 0; i < m; ++i)
      table[(size_t)(m - 1) * n + i] = (uint8_t)(order[i] * n / m);
  }
  return table;
}

std::vector<uint8_t>
TrajectoryScheduler::splitFactors(const SchedulerConfig &config) {
  const unsigned n = config.numChiplets;
  std::vector<uint8_t> out(2 * (size_t)std::max(n, 1u), 1);
  if (!config.splitHolders || n < 4 || n > 32)
    return out;
  const uint64_t S = std::max<uint32_t>(config.chunksPerShard, 1);
  const uint64_t lt = config.linkTicksPerChunk * S,
                 dt = config.dramTicksPerChunk * S;
  // Per candidate h (divisors of N up to N/2): V4's table on the segment
  // ring and the link occupancy of a split expert whose first holder is p
  // (p < N/h), both independent of the active count.
  struct Candidate {
    unsigned h, seg;
    std::vector<uint8_t> holders; // replicatedHolders(seg)
    std::vector<uint8_t> occ;     // [p][2N]
  };
  std::vector<Candidate> candidates;
  for (unsigned h = 1; h <= n / 2; ++h) {
    if (n % h)
      continue;
    Candidate c{h, n / h, replicatedHolders(n / h), {}};
    c.occ.resize((size_t)c.seg * 2 * n);
    for (unsigned p = 0; p < c.seg; ++p)
      occupancy(n, p, 0, (c.seg - 1) / 2, &c.occ[(size_t)p * 2 * n], h);
    candidates.push_back(std::move(c));
  }
  std::vector<uint64_t> load(2 * n);
  for (unsigned a = 1; a <= 2 * n; ++a) {
    unsigned best = 1;
    uint64_t bestMax = UINT64_MAX;
    for (const Candidate &c : candidates) {
      std::fill(load.begin(), load.end(), 0);
      for (unsigned i = 0; i < a; ++i) {
        const uint8_t *o =
            &c.occ[(size_t)replicatedHolder(c.holders, c.seg, a, i) * 2 * n];
        for (unsigned l = 0; l < 2 * n; ++l)
          load[l] += o[l] * lt;
      }
      uint64_t busiest = *std::max_element(load.begin(), load.end());
      if (busiest <= a * dt) {
        best = c.h;
        break;
      }
      if (busiest < bestMax) {
        bestMax = busiest;
        best = c.h;
      }
    }
    out[a - 1] = (uint8_t)best;
  }
  return out;
}

TrajectoryScheduler::TrajectoryScheduler(const SchedulerConfig &config)
    : cfg(config) {
  unsigned n = cfg.numChiplets;
  assert(n >= 1 && n <= 64 && "1..64 chiplets");
  v4Holder = replicatedHolders(n);
  if (cfg.chunksPerShard == 0)
    cfg.chunksPerShard = 1;
  const uint32_t S = cfg.chunksPerShard;
  // Rule V6's split factors and their pseudo arc lengths N + k (tabulated
  // rings only; the factors are all 1 otherwise).
  splitOf = splitFactors(cfg);
  splitDivisors.clear();
  segHolders.clear();
  if (n <= 32)
    for (unsigned h : splitOf)
      if (h > 1 && std::find(splitDivisors.begin(), splitDivisors.end(),
                             h) == splitDivisors.end())
        splitDivisors.push_back((uint8_t)h);
  std::sort(splitDivisors.begin(), splitDivisors.end());
  for (unsigned h : splitDivisors)
    segHolders.push_back(replicatedHolders(n / h));
  K = n + (unsigned)splitDivisors.size();
  // The pseudo arc length of each active count's split (0: not split).
  splitLenOf.assign(splitOf.size(), 0);
  for (size_t a = 0; a < splitOf.size(); ++a)
    if (splitOf[a] > 1)
      splitLenOf[a] = (uint8_t)(n + (std::find(splitDivisors.begin(),
                                              splitDivisors.end(),
                                              splitOf[a]) -
                                    splitDivisors.begin()));
  // A pseudo length's split factor, segment gap and real arc length.
  auto splitOfLen = [&](unsigned len) -> unsigned {
    return len < n ? 1 : splitDivisors[len - n];
  };
  gapOfLen.resize(K);
  for (unsigned len = 0; len < K; ++len)
    gapOfLen[len] = len < n ? n - 1 - len : n / splitOfLen(len) - 1;
  lanes = 2 * n;
  if (n <= 32) {
    lanes = 2 * n <= 8 ? 8 : 2 * n <= 16 ? 16 : 2 * n <= 32 ? 32 : 64;
    table.assign((size_t)n * K * 2 * 2 * n, 0);
    work.assign((size_t)n * K * 2 * lanes, 0);
    // Busy masks only where the AVX-512 booking may read them (16 or 32
    // lanes: at most 64 KiB).
    if (lanes == 16 || lanes == 32)
      busy.assign((size_t)n * K * 2 * lanes, 0);
    for (unsigned s = 0; s < n; ++s)
      for (unsigned len = 0; len < K; ++len)
        for (unsigned par = 0; par < 2; ++par) {
          unsigned gap = gapOfLen[len];
          unsigned cwGap = gap / 2 + ((gap & 1) ? par : 0);
          size_t row = ((size_t)s * K + len) * 2 + par;
          uint8_t *o = &table[row * 2 * n];
          occupancy(n, s, len < n ? len : 0, cwGap, o, splitOfLen(len));
          // Busy ticks: max(shards x chunks x link ticks, chunks x DRAM
          // ticks) where shards cross, else 0 (also on padding lanes).
          for (unsigned l = 0; l < 2 * n; ++l) {
            uint32_t nl = o[l] * cfg.linkTicksPerChunk * S;
            uint32_t dl = cfg.dramTicksPerChunk * S;
            work[row * lanes + l] = o[l] ? std::max(nl, dl) : 0;
            if (!busy.empty())
              busy[row * lanes + l] = o[l] ? ~0u : 0;
          }
        }
  }
  // The largest busy ticks of an arc of each length, and the 32-lane tables
  // in 16-bit units of S ticks when every busy tick fits (see
  // narrowTicksFit; busy ticks are multiples of S).
  if (!table.empty()) {
    std::vector<uint32_t> rowMaxOfLen(K, 0);
    for (unsigned s = 0; s < n; ++s)
      for (unsigned len = 0; len < K; ++len)
        for (size_t i = 0; i < 2 * lanes; ++i)
          rowMaxOfLen[len] = std::max(
              rowMaxOfLen[len], work[((size_t)s * K + len) * 2 * lanes + i]);
    uint32_t widest =
        *std::max_element(rowMaxOfLen.begin(), rowMaxOfLen.end());
    // Busy ticks are S x max(shards x link ticks, DRAM ticks) unless that
    // wraps 32 bits (then the 32-bit booking keeps them); a DRAM tick keeps
    // unit 1 apart from "never used" (see bookAvx512Narrow).
    const uint64_t lt = cfg.linkTicksPerChunk, dt = cfg.dramTicksPerChunk;
    const bool exactMultiples = (uint64_t)n * lt * S < (uint64_t(1) << 32) &&
                                dt * S < (uint64_t(1) << 32) && dt >= 1;
    if (lanes == 32 && exactMultiples && widest / S <= 0xffff) {
      rowMaxUnits.resize(K);
      for (unsigned len = 0; len < K; ++len)
        rowMaxUnits[len] = rowMaxOfLen[len] / S;
      // Per arc (start * K + len): work rows of parity 0 and 1, then their
      // busy masks, and the arc's constants.
      rows16.assign((size_t)n * K * 4 * 32, 0);
      narrowArcs.resize((size_t)n * K);
      for (unsigned s = 0; s < n; ++s)
        for (unsigned len = 0; len < K; ++len) {
          size_t a = (size_t)s * K + len;
          for (unsigned par = 0; par < 2; ++par) {
            bool busyLink = false;
            for (unsigned l = 0; l < 32; ++l) {
              uint32_t w = work[(a * 2 + par) * 32 + l];
              rows16[(a * 4 + par) * 32 + l] = (uint16_t)(w / S);
              rows16[(a * 4 + 2 + par) * 32 + l] = w ? 0xffff : 0;
              busyLink |= w != 0;
            }
            // The booking takes an arc's end from its busy links.
            assert(busyLink && "every arc of 9 or more chiplets has a busy link");
            (void)busyLink;
          }
          // A split row (rule V6) is a single holder's geometry.
          unsigned real = len < n ? len : 0;
          unsigned gap = gapOfLen[len], half = gap / 2, end = (s + real) % n;
          NarrowArc &na = narrowArcs[a];
          na.fill = (real + ((gap + 1) >> 1)) * cfg.linkTicksPerChunk;
          // Parity 1 sends the odd shard clockwise (even gaps: the same).
          unsigned par1 = gap & 1;
          na.gaps[0] = (uint16_t)(half | (gap - half) << 8);
          na.gaps[1] = (uint16_t)((half + par1) | (gap - half - par1) << 8);
          na.cwEntry = (uint16_t)((s + n - 1) % n);
          na.ccwEntry = (uint16_t)(n + (end + 1) % n);
        }
    }
  }
  // Entry links per (start, len): clockwise into the start (low byte),
  // counter-clockwise into the end.
  arcEntries.assign((size_t)n * K, 0);
  for (unsigned s = 0; s < n; ++s)
    for (unsigned len = 0; len < K; ++len) {
      unsigned end = (s + (len < n ? len : 0)) % n;
      arcEntries[s * K + len] = (s + n - 1) % n | (n + (end + 1) % n) << 8;
    }
  uint64_t sn = (uint64_t)S * n;
  exactShare = sn < (uint64_t(1) << 32) &&
               255 * (uint64_t)cfg.computeTicksPerTokenChunk * sn <
                   (uint64_t(1) << 32);
  scratch.assign(2 * n, 0);
  scratchWork.assign(2 * n, 0);
  linkFree.assign(lanes, 0);
  computeFree.assign(n, 0);
  counts.assign((size_t)cfg.numExperts * n + kCountsSlack, 0);
  masks.assign(cfg.numExperts, 0);
  tokensOf.assign(cfg.numExperts, 0);
  active.assign(cfg.numExperts + 1, 0);
  arcs.assign(cfg.numExperts, 0);
  arrivals.assign(cfg.numExperts, 0);
  memoAt.assign(cfg.numExperts + 1, ~0u);
  // Room for every count's slots (at most the cap), so that keeping a new
  // count never copies the kept ones inside a decision (up to 4 MiB);
  // pages are touched only as slots are kept.
  memo.reserve(std::min<size_t>(
      kMemoMaxEntries, (size_t)cfg.numExperts * (cfg.numExperts + 1) / 2));
  multi.assign(cfg.numExperts + 1, 0);
  result.experts.reserve(cfg.numExperts);
  bucket.assign(n + 2, 0); // keys 0..N and a spare slot
  // Pipeline fill per arc length: the last chunk still crosses the longest
  // leg (max(cwGap, ccwGap) = (n - len) / 2).
  fillTicks.resize(K);
  for (unsigned len = 0; len < K; ++len)
    fillTicks[len] = ((len < n ? len : 0) + ((gapOfLen[len] + 1) >> 1)) *
                     cfg.linkTicksPerChunk;
  avx512 = cpuHasAvx512();
  avx512bw = avx512 && cpuHasAvx512bw();
}

const uint8_t *TrajectoryScheduler::occ(unsigned start, unsigned len,
                                        unsigned cwGap) {
  occupancy(cfg.numChiplets, start, len, cwGap, scratch.data());
  return scratch.data();
}

// Finish tick of booking occupancy `o` (computed, rings above 32 chiplets)
// from `t0` on; the committing form also moves the links' free ticks.
uint32_t TrajectoryScheduler::tryBook(const uint8_t *o, uint32_t t0,
                                      bool commit, uint32_t expert) {
  const unsigned lanes = 2 * cfg.numChiplets;
  const uint32_t lt = cfg.linkTicksPerChunk * cfg.chunksPerShard;
  const uint32_t dt = cfg.dramTicksPerChunk * cfg.chunksPerShard;
  uint32_t *w = scratchWork.data();
  for (unsigned l = 0; l < lanes; ++l) {
    uint32_t nl = o[l] * lt;
    w[l] = o[l] ? (nl > dt ? nl : dt) : 0;
  }
  uint32_t end = t0;
  for (unsigned l = 0; l < lanes; ++l) {
    if (!w[l])
      continue;
    uint32_t s = std::max(linkFree[l], t0);
    end = std::max(end, s + w[l]);
    if (commit) {
      if (record)
        booked.push_back({expert, l, s, s + w[l], o[l] * cfg.chunksPerShard});
      linkFree[l] = s + w[l];
    }
  }
  return end;
}

// Clears what the previous decision touched: only the token counts at its
// experts' holders are non-zero.
FSEDP_CLONES
void TrajectoryScheduler::clearPrevious() {
  const unsigned n = cfg.numChiplets;
  const uint32_t *act = active.data();
  uint8_t *cnt = counts.data();
  uint64_t *msk = masks.data();
  uint16_t *tok = tokensOf.data();
  for (size_t i = 0, na = numActive; i < na; ++i) {
    uint32_t e = act[i];
    uint8_t *c = cnt + (size_t)e * n;
    if (n <= 16) {
      // One fixed-size store, no loop over holders: zeros may spill into
      // the next rows, which are zero or cleared here too (the buffer has
      // kCountsSlack bytes at its end).
      std::memset(c, 0, 16);
    } else {
      uint64_t m = msk[e];
      do { // every active expert has a holder
        c[__builtin_ctzll(m)] = 0;
        m &= m - 1;
      } while (m);
    }
    msk[e] = 0;
    tok[e] = 0;
  }
  numActive = 0;
  std::fill(linkFree.begin(), linkFree.end(), 0);
  std::fill(computeFree.begin(), computeFree.end(), 0);
  booked.clear();
}

// Gather: holder mask and token counts per active expert, experts in order
// of first appearance (appended without a branch).
FSEDP_CLONES
void TrajectoryScheduler::gather(unsigned numTokens, const uint16_t *tokenPos,
                                 const int32_t *experts, unsigned topK) {
  const unsigned n = cfg.numChiplets;
  uint32_t *act = active.data();
  uint16_t *tok = tokensOf.data();
  size_t na = 0;
  if (tokenPos) {
    uint64_t *msk = masks.data();
    uint8_t *cnt = counts.data();
    for (unsigned t = 0; t < numTokens; ++t) {
      unsigned p = tokenPos[t];
      uint64_t bit = uint64_t(1) << p;
      const int32_t *row = experts + (size_t)t * topK;
      uint8_t *cp = cnt + p;
      for (unsigned j = 0; j < topK; ++j) {
        int32_t e = row[j];
        if (e < 0)
          continue;
        uint16_t seen = tok[e];
        act[na] = e;
        na += seen == 0;
        tok[e] = seen + 1;
        msk[e] |= bit;
        uint8_t &c = cp[(size_t)e * n];
        c += c != 255;
      }
    }
    numActive = na;
    return;
  }
  for (unsigned t = 0; t < numTokens; ++t) {
    const int32_t *row = experts + (size_t)t * topK;
    for (unsigned j = 0; j < topK; ++j) {
      int32_t e = row[j];
      if (e < 0)
        continue;
      uint16_t seen = tok[e];
      act[na] = e;
      na += seen == 0;
      tok[e] = seen + 1;
    }
  }
  numActive = na;
}

// Arcs: leave the largest circular gap between holders unvisited. Kept in a
// packed word per expert (start | len << 8 | tie << 16 | key << 24), then
// ordered longest stream first (counting sort, stable) into the decisions.
// Until the booking, a decision's `cwGap` holds the tie start (0xff: none),
// `startTick` the offset of its token counts (expert x N) and `endTick` its
// arc's index (start x N + len), so the booking needs no multiplications.
FSEDP_CLONES
void TrajectoryScheduler::chooseArcs(bool replicated) {
  const unsigned n = cfg.numChiplets;
  const size_t na = numActive;
  uint32_t *arc = arcs.data();
  ExpertDecision *out = result.experts.data();
  const uint32_t *act = active.data();
  uint64_t *msk = masks.data();
  const uint16_t *tok = tokensOf.data();
  // A single holder: the arc is that chiplet (len 0, no tie).
  const uint32_t key0 = std::min((n - 1 + 1) / 2, n);
  if (replicated) {
    // Every chiplet holds every token: one holder per expert (rule V4), the
    // active experts spread evenly around the ring, and consecutive ones
    // (whose DRAM loads and streams overlap in time) far apart: expert i of
    // m <= N at slot spreadOrder(m)[i] x N / m, of m > N at
    // spreadOrder(N)[i mod N]. A stream converging on its holder leaves
    // the links near the opposite side, where its shards start, nearly
    // idle: the next expert's holder sits there (complementary streams).
    // All arcs have length 0: every key is equal, the stable order is the
    // input's.
    uint8_t *cnt = counts.data();
    if (splitNow > 1) {
      // Rule V6: h holders per expert, one per segment of N / h chiplets,
      // each at the same offset in its segment (V4 on the segment ring).
      const unsigned h = splitNow, seg = n / h, len = replicatedLen;
      const uint8_t *holder =
          segHolders[len - n].data() + (std::min<size_t>(na, seg) - 1) * seg;
      const uint64_t pattern = splitPattern(h, seg);
      for (size_t i = 0, r = 0; i < na; ++i) {
        uint32_t e = act[i];
        unsigned p = holder[r];
        r = r + 1 == seg ? 0 : r + 1;
        uint16_t t = tok[e];
        uint8_t c = t > 255 ? 255 : t;
        uint64_t m = pattern << p; // p < seg: no bit wraps
        msk[e] = m;
        for (unsigned j = 0; j < h; ++j)
          cnt[(size_t)e * n + p + j * seg] = c;
        ExpertDecision d;
        d.expert = e;
        d.holders = m;
        d.tokens = t;
        d.arcStart = p;
        d.arcLen = len; // pseudo length until the booking (see decide)
        d.cwGap = 0xff;
        d.split = h;
        d.startTick = e * n;
        d.endTick = p * K + len;
        out[i] = d;
      }
      return;
    }
    const uint8_t *holder =
        v4Holder.data() + (na ? std::min<size_t>(na, n) - 1 : 0) * n;
    for (size_t i = 0, r = 0; i < na; ++i) {
      uint32_t e = act[i];
      unsigned p = holder[r];
      r = r + 1 == n ? 0 : r + 1; // i mod n, without a division
      uint16_t t = tok[e];
      if (n > 16) // clearPrevious reads holders from it beyond 16
        msk[e] = uint64_t(1) << p;
      cnt[(size_t)e * n + p] = t > 255 ? 255 : t;
      ExpertDecision d;
      d.expert = e;
      d.holders = uint64_t(1) << p;
      d.tokens = t;
      d.arcStart = p;
      d.arcLen = 0;
      d.cwGap = 0xff;
      d.startTick = e * n; // scratch until the booking (see chooseArcs)
      d.endTick = p * K;
      out[i] = d;
    }
    return;
  }
  size_t nm = 0;
  uint32_t *mul = multi.data();
  for (size_t i = 0; i < na; ++i) {
    uint64_t m = msk[act[i]];
    arc[i] = (uint32_t)__builtin_ctzll(m) | 0xffu << 16 | key0 << 24;
    mul[nm] = i;
    nm += (m & (m - 1)) != 0;
  }
  std::fill(bucket.begin(), bucket.end(), 0);
  bucket[key0] = na - nm;
  // The 16-bit booking's bound (narrowTicksFit): every arc's largest busy
  // units, a single holder's for all but the multi-holder experts.
  const uint32_t *rowMax = rowMaxUnits.empty() ? nullptr : rowMaxUnits.data();
  uint64_t units = rowMax ? (uint64_t)(na - nm) * rowMax[0] : 0;
  for (size_t k = 0; k < nm; ++k) {
    size_t i = mul[k];
    uint64_t m = msk[act[i]];
    // The first gap (after the lowest holder) opens the scan; a later gap
    // replaces it when longer and is the tie when as long (first such).
    // Selects, not branches: the gaps are data.
    unsigned first = __builtin_ctzll(m);
    uint64_t rest = m & (m - 1);
    unsigned prev = __builtin_ctzll(rest);
    rest &= rest - 1;
    unsigned bestGap = prev - first - 1, bestStart = prev, tieStart = 0xff;
    auto consider = [&](unsigned gap, unsigned p) {
      bool longer = gap > bestGap;
      bool tie = !longer & (gap == bestGap) & (tieStart == 0xff);
      tieStart = longer ? 0xff : tie ? p : tieStart;
      bestStart = longer ? p : bestStart;
      bestGap = longer ? gap : bestGap;
    };
    while (rest) {
      unsigned p = __builtin_ctzll(rest);
      rest &= rest - 1;
      consider(p - prev - 1, p);
      prev = p;
    }
    consider(first + n - prev - 1, first);
    unsigned len = n - 1 - bestGap;
    unsigned key = std::min(len + (bestGap + 1) / 2, n); // longest link stream
    ++bucket[key];
    arc[i] = bestStart | len << 8 | tieStart << 16 | key << 24;
    units += rowMax ? rowMax[len] : 0;
  }
  arcUnits = units;
  uint32_t *pos = bucket.data();
  for (unsigned k = n + 1, at = 0; k-- > 0;) {
    unsigned c = pos[k];
    pos[k] = at;
    at += c;
  }
  // Every key is at least key0 (a single holder's), so its bucket comes
  // last, in input order: its experts (most of them) take their slots from
  // a register counter, and their bucket's counter is never stored (they
  // bump the spare slot n + 1), so no expert waits for the previous one's
  // store of the same counter.
  const uint32_t spare = n + 1;
  uint32_t next0 = pos[key0];
  for (size_t i = 0; i < na; ++i) {
    uint32_t a = arc[i], e = act[i];
    uint32_t key = a >> 24;
    bool isKey0 = key == key0;
    uint32_t p = pos[key];
    uint32_t slot = isKey0 ? next0 : p;
    next0 += isKey0;
    pos[isKey0 ? spare : key] = p + 1;
    ExpertDecision d;
    d.expert = e;
    d.holders = msk[e];
    d.tokens = tok[e];
    d.arcStart = a & 0xff;
    d.arcLen = (a >> 8) & 0xff;
    d.cwGap = (a >> 16) & 0xff;
    d.startTick = e * n;
    d.endTick = (a & 0xff) * K + ((a >> 8) & 0xff);
    out[slot] = d;
  }
}

// Holder p's compute of one expert on its `tokens` there: it starts when
// the holder is free and the stream has arrived, and lasts its tokens'
// work; its share of the stream is `tokens x ct` (Exact: no division) or
// work / (S x N). Returns its end, at or after `arrive`.
template <bool Exact>
static inline __attribute__((always_inline)) uint32_t
holderDoneWith(uint32_t tokens, uint32_t *cfree, unsigned p, uint32_t arrive,
               uint32_t ctsn, uint32_t ct, uint32_t sn) {
  uint32_t w = tokens * ctsn;
  uint32_t share = Exact ? tokens * ct : w / sn;
  uint32_t done = std::max(cfree[p] + w, arrive + share);
  cfree[p] = done;
  return done;
}

// The same with the tokens read from the expert's counts `c`.
template <bool Exact>
static inline __attribute__((always_inline)) uint32_t
holderDone(const uint8_t *c, uint32_t *cfree, unsigned p, uint32_t arrive,
           uint32_t ctsn, uint32_t ct, uint32_t sn) {
  return holderDoneWith<Exact>(c[p], cfree, p, arrive, ctsn, ct, sn);
}

// The latest end of every holder in `m` (non-empty), at least `arrive`.
template <bool Exact>
static inline __attribute__((always_inline)) uint32_t
holdersDone(const uint8_t *c, uint32_t *cfree, uint64_t m, uint32_t arrive,
            uint32_t ctsn, uint32_t ct, uint32_t sn) {
  uint32_t end = arrive;
  do {
    unsigned p = __builtin_ctzll(m);
    m &= m - 1;
    end = std::max(end, holderDone<Exact>(c, cfree, p, arrive, ctsn, ct, sn));
  } while (m);
  return end;
}

// Link booking over tabulated busy ticks, `Lanes` (>= 2N, padding lanes
// idle) at a time in explicit 8-lane vectors (GCC/Clang vector extensions;
// each clone of `decide` compiles them for its instruction set), branch-free.
// The helpers are always inlined, so the vector ABI note does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
typedef uint32_t V8 __attribute__((vector_size(32), aligned(4)));

static inline __attribute__((always_inline)) V8 load8(const uint32_t *p) {
  return *(const V8 *)p;
}
static inline __attribute__((always_inline)) void store8(uint32_t *p, V8 v) {
  *(V8 *)p = v;
}
static inline __attribute__((always_inline)) V8 max8(V8 a, V8 b) {
  return a > b ? a : b;
}
static inline __attribute__((always_inline)) uint32_t hmax8(V8 v) {
  v = max8(v, __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3));
  v = max8(v, __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5));
  v = max8(v, __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6));
  return v[0];
}

// Finish tick of booking row `w` from `t0` on, without booking.
template <unsigned Lanes>
static inline __attribute__((always_inline)) uint32_t
probeRow(const uint32_t *__restrict w, const uint32_t *__restrict free,
         uint32_t t0) {
  const V8 t = (V8){} + t0, zero = (V8){};
  V8 end = t;
  for (unsigned l = 0; l < Lanes; l += 8) {
    V8 wl = load8(w + l);
    V8 idle = (V8)(wl == zero);
    V8 e = (max8(load8(free + l), t) + wl) & ~idle;
    end = max8(end, e);
  }
  return hmax8(end);
}

// Books row `w0` (`pm` all zeros) or `w0 + Lanes` (`pm` all ones) from
// `t0` on: a used link starts when both it and the load are free; idle
// lanes (no work) keep their free tick. Both rows load before `pm` is
// known, so the links' free ticks are the only dependency between experts.
template <unsigned Lanes>
static inline __attribute__((always_inline)) uint32_t
commitRow(const uint32_t *__restrict w0, V8 pm, uint32_t *__restrict free,
          uint32_t t0) {
  const V8 t = (V8){} + t0, zero = (V8){};
  V8 end = t;
  for (unsigned l = 0; l < Lanes; l += 8) {
    V8 wl = pm ? load8(w0 + Lanes + l) : load8(w0 + l);
    V8 f = load8(free + l);
    V8 idle = (V8)(wl == zero);
    V8 e = max8(f, t) + wl;
    end = max8(end, e & ~idle);
    store8(free + l, idle ? f : e);
  }
  return hmax8(end);
}

// Chooses each expert's arc among equal gaps and the odd gap shard's
// direction (whatever finishes first), books its links and its holders'
// compute, in streaming order.
template <unsigned Lanes>
inline __attribute__((always_inline)) void
TrajectoryScheduler::bookTabulated() {
  // Everything in locals: the decision's byte-sized fields would otherwise
  // force reloads of every member after each store (char aliasing).
  const unsigned n = cfg.numChiplets;
  const auto [S, dt, ct, sn, ctsn, loaded, dramStep] =
      tickConstants(cfg, splitNow);
  const uint32_t lastLoad = loaded - dt;
  const bool exact = exactShare, rec = record;
  const uint32_t *W = work.data();
  uint32_t *__restrict free = linkFree.data();
  uint32_t *__restrict cfree = computeFree.data();
  uint32_t *__restrict arr = arrivals.data();
  const uint8_t *cnt = counts.data();
  ExpertDecision *out = result.experts.data();
  const uint32_t *entries = arcEntries.data();
  const size_t na = numActive;
  uint32_t dramFree = 0, makespan = 0;
  // Entry links of an arc (tabulated): clockwise into its start,
  // counter-clockwise into its end. The odd gap shard enters where the link
  // frees first.
  const unsigned K = this->K;
  const uint32_t *gapOf = gapOfLen.data(), *fillOf = fillTicks.data();
  auto parity = [&](unsigned start, unsigned len, unsigned odd) -> unsigned {
    uint32_t en = entries[start * K + len];
    return odd & (unsigned)(free[en & 0xff] <= free[en >> 8]);
  };
  for (size_t k = 0; k < na; ++k) {
    ExpertDecision &d = out[k];
    const uint32_t e = d.expert;
    const uint64_t holders = d.holders;
    unsigned start = d.arcStart, len = d.arcLen, tie = d.cwGap;
    unsigned gap = gapOf[len], half = gap >> 1, odd = gap & 1;
    uint32_t startTick = dramFree;
    uint32_t t0 = dramFree + dt;
    dramFree += dramStep;
    const uint32_t *w0 = W + ((size_t)start * K + len) * 2 * Lanes;
    // The odd shard's direction as a vector mask, compared in vector
    // registers (no round trip through a general register).
    auto direction = [&](unsigned from) {
      uint32_t en = entries[from * K + len];
      V8 a = (V8){} + free[en & 0xff], b = (V8){} + free[en >> 8];
      return (V8)(max8(a, b) == b) & ((V8){} - (uint32_t)odd);
    };
    V8 pm = direction(start);
    if (__builtin_expect(tie != 0xff, 0)) {
      // Two gaps of the same length: book the one that finishes first.
      unsigned par = parity(start, len, odd);
      uint32_t e0 = probeRow<Lanes>(w0 + par * Lanes, free, t0);
      unsigned altPar = parity(tie, len, odd);
      const uint32_t *alt = W + ((size_t)tie * K + len) * 2 * Lanes;
      uint32_t e1 = probeRow<Lanes>(alt + altPar * Lanes, free, t0);
      if (e1 < e0) {
        start = tie;
        w0 = alt;
        pm = direction(start);
      }
    }
    const unsigned par = pm[0] & 1;
    if (__builtin_expect(rec, 0)) {
      const uint32_t *w = w0 + par * Lanes;
      const uint8_t *o =
          &table[(((size_t)start * K + len) * 2 + par) * 2 * n];
      for (unsigned l = 0; l < 2 * n; ++l)
        if (w[l]) {
          uint32_t s = std::max(free[l], t0);
          booked.push_back({e, l, s, s + w[l], o[l] * S});
        }
    }
    uint32_t linkEnd = commitRow<Lanes>(w0, pm, free, t0);
    // Pipeline fill: the last chunk still crosses the longest leg
    // (max(cwGap, ccwGap) = half + odd = (gap + 1) / 2), tabulated.
    uint32_t fill = fillOf[len];
    uint32_t arrive = std::max(linkEnd, t0 + lastLoad) + fill;
    arr[k] = arrive;
    const uint8_t *c = cnt + (size_t)e * n;
    uint32_t end =
        exact ? holdersDone<true>(c, cfree, holders, arrive, ctsn, ct, sn)
              : holdersDone<false>(c, cfree, holders, arrive, ctsn, ct, sn);
    makespan = std::max(makespan, end);
    d.arcStart = start;
    d.cwGap = half + par;
    d.ccwGap = gap - half - par;
    d.startTick = startTick;
    d.endTick = end;
  }
  result.makespanTicks = makespan;
}

#if defined(__x86_64__) && defined(__GNUC__)
// AVX-512 booking for rings of 5 to 16 chiplets (16 or 32 lanes: one or
// two 16-lane registers): the links' free ticks stay in registers from one
// expert to the next (no store-to-load round trip), the entry links are read
// with a permute and compared into a mask register, which selects the
// parity rows (the mask is computed afresh per expert: GCC spilled a
// loop-carried one through the stack). A lane is busy where its row has work
// (`busy`, tabulated): `max(free, T & busy) + work` leaves idle lanes
// unchanged, so the loop-carried chain is permute, compare, select, max,
// add; the holders' compute (scalar) is booked in the same loop and
// overlaps it. Same decisions as `bookTabulated` (unsigned 32-bit
// arithmetic wraps identically); record mode spills the ticks first.
#define FSEDP_AVX512 __attribute__((target("avx512f,bmi,bmi2")))
// GCC 12 warns inside its own intrinsics (_mm512_undefined_epi32).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

static inline __attribute__((always_inline)) FSEDP_AVX512 uint32_t
hmax(__m512i m) {
  __m256i h = _mm256_max_epu32(_mm512_castsi512_si256(m),
                               _mm512_extracti64x4_epi64(m, 1));
  __m128i q = _mm_max_epu32(_mm256_castsi256_si128(h),
                            _mm256_extracti128_si256(h, 1));
  q = _mm_max_epu32(q, _mm_shuffle_epi32(q, 0x4e));
  q = _mm_max_epu32(q, _mm_shuffle_epi32(q, 0xb1));
  return (uint32_t)_mm_cvtsi128_si32(q);
}

template <unsigned Lanes, bool Exact, bool Rec>
FSEDP_AVX512 void TrajectoryScheduler::bookAvx512() {
  static_assert(Lanes == 16 || Lanes == 32, "one or two registers");
  // Few live scalars (GCC spilled the loop counter and the ticks to the
  // stack): pointers instead of an index, the DRAM ticks as a vector too,
  // the fill per arc length tabulated, the share and record mode as
  // template parameters.
  constexpr bool two = Lanes == 32;
  const unsigned n = cfg.numChiplets;
  const auto [S, dt, ct, sn, ctsn, loaded, dramStep] =
      tickConstants(cfg, splitNow);
  const uint32_t *W = work.data(), *M = busy.data();
  const uint32_t *fillOf = fillTicks.data();
  uint32_t *__restrict cfree = computeFree.data();
  uint32_t *__restrict arr = arrivals.data();
  const uint8_t *cnt = counts.data();
  ExpertDecision *out = result.experts.data();
  const uint32_t *entries = arcEntries.data();
  const size_t na = numActive;
  const __m512i zero = _mm512_setzero_si512();
  __m512i flo = zero, fhi = zero;
  auto load = [](const uint32_t *p) FSEDP_AVX512 {
    return _mm512_loadu_si512(p);
  };
  // a ? b : c, lane-wise (the mask is all ones or all zeros).
  auto select = [](__mmask16 a, __m512i b, __m512i c) FSEDP_AVX512 {
    return _mm512_mask_blend_epi32(a, c, b);
  };
  // All ones where the clockwise entry link of (start, len) (into the
  // start) frees no later than the counter-clockwise one (into the end).
  const unsigned K = this->K;
  const uint32_t *gapOf = gapOfLen.data();
  auto entryMask = [&](unsigned start, unsigned len) FSEDP_AVX512 {
    uint32_t en = entries[start * K + len];
    __m512i ia = _mm512_set1_epi32(en & 0xff), ib = _mm512_set1_epi32(en >> 8);
    __m512i x, y;
    if (two) {
      x = _mm512_permutex2var_epi32(flo, ia, fhi);
      y = _mm512_permutex2var_epi32(flo, ib, fhi);
    } else {
      x = _mm512_permutexvar_epi32(ia, flo);
      y = _mm512_permutexvar_epi32(ib, flo);
    }
    return _mm512_cmple_epu32_mask(x, y);
  };
  auto lane0 = [](__mmask16 k) FSEDP_AVX512 { return (uint32_t)k & 1; };
  // Finish tick of row `w` (parity applied) from `t` on, without booking:
  // busy lanes' max(free, t) + work (`m`: busy mask row).
  auto probe = [&](const uint32_t *w, const uint32_t *m,
                   __m512i t) FSEDP_AVX512 {
    __m512i el = _mm512_and_si512(
        _mm512_add_epi32(_mm512_max_epu32(flo, t), load(w)), load(m));
    if (two)
      el = _mm512_max_epu32(
          el, _mm512_and_si512(_mm512_add_epi32(_mm512_max_epu32(fhi, t),
                                                load(w + 16)),
                               load(m + 16)));
    return hmax(_mm512_max_epu32(el, t));
  };
  uint32_t startTick = 0, makespan = 0;
  __m512i t = _mm512_set1_epi32(dt);
  const __m512i tStep = _mm512_set1_epi32(dramStep);
  for (ExpertDecision *dp = out, *dEnd = out + na; dp != dEnd;
       ++dp, startTick += dramStep, t = _mm512_add_epi32(t, tStep)) {
    ExpertDecision &d = *dp;
    unsigned start = d.arcStart, len = d.arcLen, tie = d.cwGap;
    unsigned gap = gapOf[len], odd = gap & 1;
    size_t row = ((size_t)start * K + len) * 2 * Lanes;
    if (__builtin_expect(tie != 0xff, 0)) {
      // Two gaps of the same length: book the one that finishes first.
      size_t r0 = row + (odd & lane0(entryMask(start, len))) * Lanes;
      uint32_t e0 = probe(W + r0, M + r0, t);
      size_t alt = ((size_t)tie * K + len) * 2 * Lanes;
      size_t r1 = alt + (odd & lane0(entryMask(tie, len))) * Lanes;
      uint32_t e1 = probe(W + r1, M + r1, t);
      if (e1 < e0) {
        start = tie;
        row = alt;
      }
    }
    // Even gaps have equal parity rows, so the mask may pick either.
    const __mmask16 kp = entryMask(start, len);
    const unsigned par = odd & lane0(kp);
    if (Rec) {
      const uint32_t t0 = startTick + dt;
      uint32_t *free = linkFree.data();
      _mm512_storeu_si512(free, flo);
      if (two)
        _mm512_storeu_si512(free + 16, fhi);
      const uint32_t *w = W + row + par * Lanes;
      const uint8_t *o =
          &table[(((size_t)start * K + len) * 2 + par) * 2 * n];
      for (unsigned l = 0; l < 2 * n; ++l)
        if (w[l]) {
          uint32_t s = std::max(free[l], t0);
          booked.push_back({d.expert, l, s, s + w[l], o[l] * S});
        }
    }
    // Both parity rows load before the mask is known; `t` only where the
    // selected row has work, so idle lanes keep their free tick.
    const uint32_t *w0 = W + row, *m0 = M + row;
    __m512i ml = select(kp, load(m0 + Lanes), load(m0));
    flo = _mm512_add_epi32(_mm512_max_epu32(flo, _mm512_and_si512(t, ml)),
                           select(kp, load(w0 + Lanes), load(w0)));
    __m512i el = _mm512_and_si512(flo, ml);
    if (two) {
      __m512i mh = select(kp, load(m0 + Lanes + 16), load(m0 + 16));
      fhi = _mm512_add_epi32(_mm512_max_epu32(fhi, _mm512_and_si512(t, mh)),
                             select(kp, load(w0 + Lanes + 16), load(w0 + 16)));
      el = _mm512_max_epu32(el, _mm512_and_si512(fhi, mh));
    }
    uint32_t linkEnd = hmax(_mm512_max_epu32(el, t));
    unsigned half = gap >> 1;
    d.arcStart = start;
    d.cwGap = half + par;
    d.ccwGap = gap - half - par;
    // The holders' compute (scalar: overlaps the links' vector chain).
    // Pipeline fill: the last chunk still crosses the longest leg
    // (max(cwGap, ccwGap) = (n - len) / 2).
    uint32_t arrive = std::max(linkEnd, startTick + loaded) + fillOf[len];
    arr[dp - out] = arrive;
    const uint8_t *c = cnt + (size_t)d.expert * n;
    uint32_t end =
        holdersDone<Exact>(c, cfree, d.holders, arrive, ctsn, ct, sn);
    makespan = std::max(makespan, end);
    d.startTick = startTick;
    d.endTick = end;
  }
  _mm512_storeu_si512(linkFree.data(), flo);
  if (two)
    _mm512_storeu_si512(linkFree.data() + 16, fhi);
  result.makespanTicks = makespan;
}

// The same booking in 16-bit units for rings of 9 to 16 chiplets: the 32
// lanes fit one register, so each expert costs half the vector work of the
// 32-bit form (one permute per entry link, one blend per table row).
//
// Exact by construction: expert k's links start from T = k x S x dt + dt
// and busy ticks are multiples of S, so a link's free tick is 0 (never
// used) or dt + S x (q - 1) for a whole q >= 1. The booking keeps q (0 for
// never used): max, add and compare on q are those on the ticks (the map
// is increasing), T is q = k x dt + 1, and a link's end converts back
// exactly. Used only when no q of the decision can exceed 65535 and no
// tick 2^32 (narrowTicksFit).
#define FSEDP_AVX512BW __attribute__((target("avx512f,avx512bw,bmi,bmi2")))

template <bool Exact, bool Keep>
FSEDP_AVX512BW void TrajectoryScheduler::bookAvx512Narrow() {
  constexpr unsigned Lanes = 32;
  const auto [S, dt, ct, sn, ctsn, loaded, dramStep] =
      tickConstants(cfg, splitNow);
  const uint16_t *T = rows16.data();
  const NarrowArc *arcsOf = narrowArcs.data();
  uint32_t *__restrict cfree = computeFree.data();
  uint32_t *__restrict arr = arrivals.data();
  const uint8_t *cnt = counts.data();
  ExpertDecision *out = result.experts.data();
  const size_t na = numActive;
  __m512i f = _mm512_setzero_si512();
  auto load = [](const uint16_t *p) FSEDP_AVX512BW {
    return _mm512_loadu_si512(p);
  };
  auto entryMask = [&](const NarrowArc *a) FSEDP_AVX512BW {
    __m512i x = _mm512_permutexvar_epi16(_mm512_set1_epi16(a->cwEntry), f);
    __m512i y = _mm512_permutexvar_epi16(_mm512_set1_epi16(a->ccwEntry), f);
    return _mm512_cmple_epu16_mask(x, y);
  };
  // Largest lane: the complement's smallest (PHMINPOSUW) over 8 lanes.
  auto hmax16 = [](__m512i v) FSEDP_AVX512BW {
    __m256i h = _mm256_max_epu16(_mm512_castsi512_si256(v),
                                 _mm512_extracti64x4_epi64(v, 1));
    __m128i q = _mm_max_epu16(_mm256_castsi256_si128(h),
                              _mm256_extracti128_si256(h, 1));
    q = _mm_minpos_epu16(_mm_xor_si128(q, _mm_set1_epi32(-1)));
    return ~(uint32_t)_mm_cvtsi128_si32(q) & 0xffffu;
  };
  // Rows of arc `a` with parity `par`: work at 0, busy mask at 2 x Lanes.
  auto rowOf = [&](unsigned a, unsigned par) {
    return T + ((size_t)a * 4 + par) * Lanes;
  };
  auto probe = [&](const uint16_t *r, __m512i t) FSEDP_AVX512BW {
    __m512i el = _mm512_and_si512(
        _mm512_add_epi16(_mm512_max_epu16(f, t), load(r)),
        load(r + 2 * Lanes));
    return hmax16(_mm512_max_epu16(el, t));
  };
  uint32_t startTick = 0, makespan = 0;
  // T in units (k x dt + 1); the step wraps only after the last expert (the
  // bound covers every start but not the one after).
  __m512i t = _mm512_set1_epi16(1);
  const __m512i tStep = _mm512_set1_epi16((short)dt);
  for (ExpertDecision *dp = out, *dEnd = out + na; dp != dEnd;
       ++dp, startTick += dramStep, t = _mm512_add_epi16(t, tStep)) {
    // Most experts have a single holder (len 0): no tie, one holder, the
    // arc's start. Their path has no inner loop.
    ExpertDecision &d = *dp;
    const unsigned len = d.arcLen;
    const bool single = len == 0;
    unsigned a = d.endTick;
    const uint8_t *c = cnt + d.startTick;
    const NarrowArc *arc = arcsOf + a;
    if (__builtin_expect(!single && d.cwGap != 0xff, 0)) {
      // Two gaps of the same length: book the one that finishes first
      // (an even gap's parity rows are equal: either mask bit will do).
      const unsigned tie = d.cwGap;
      unsigned b = tie * K + len;
      const NarrowArc *alt = arcsOf + b;
      uint32_t e0 = probe(rowOf(a, entryMask(arc) & 1), t);
      uint32_t e1 = probe(rowOf(b, entryMask(alt) & 1), t);
      if (e1 < e0) {
        d.arcStart = tie;
        a = b;
        arc = alt;
      }
    }
    // Both parities' bookings are computed while the entry links are
    // compared, so the loop-carried chain is permute, compare, blend.
    const uint16_t *r = rowOf(a, 0);
    const __m512i m0 = load(r + 2 * Lanes), m1 = load(r + 3 * Lanes);
    const __m512i f0 = _mm512_add_epi16(
        _mm512_max_epu16(f, _mm512_and_si512(t, m0)), load(r));
    const __m512i f1 = _mm512_add_epi16(
        _mm512_max_epu16(f, _mm512_and_si512(t, m1)), load(r + Lanes));
    const __mmask32 kp = entryMask(arc);
    f = _mm512_mask_blend_epi16(kp, f0, f1);
    const __m512i ml = _mm512_mask_blend_epi16(kp, m0, m1);
    // Every arc has busy links, and a busy link ends after T.
    // In ticks: q units (q >= 1) stand for dt + S x (q - 1).
    uint32_t linkEnd = dt + S * (hmax16(_mm512_and_si512(f, ml)) - 1);
    // cwGap and ccwGap (adjacent bytes) for the chosen parity.
    std::memcpy(&d.cwGap, &arc->gaps[kp & 1], 2);
    uint32_t arrive = std::max(linkEnd, startTick + loaded) + arc->fill;
    if (Keep) // only replicated decisions are kept (keepMemo)
      arr[dp - out] = arrive;
    // A single holder is the arc's start: no loop over holders.
    uint32_t end =
        __builtin_expect(single, 1)
            ? holderDone<Exact>(c, cfree, d.arcStart, arrive, ctsn, ct, sn)
            : holdersDone<Exact>(c, cfree, d.holders, arrive, ctsn, ct, sn);
    makespan = std::max(makespan, end);
    d.startTick = startTick;
    d.endTick = end;
  }
  // `linkFree` is not written back: nothing reads it after a decision (the
  // next one starts from zero).
  result.makespanTicks = makespan;
}

bool TrajectoryScheduler::cpuHasAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("bmi") &&
         __builtin_cpu_supports("bmi2");
}
bool TrajectoryScheduler::cpuHasAvx512bw() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bw");
}
#else
bool TrajectoryScheduler::cpuHasAvx512() { return false; }
bool TrajectoryScheduler::cpuHasAvx512bw() { return false; }
#endif

// Whether this decision's booking fits 16-bit units (bookAvx512Narrow): a
// link's free units after expert k are at most k's start (k x dt + 1) plus
// the busy units of every expert booked so far (each at most its arc
// length's largest), and starts only grow. The ticks those units stand for
// must not wrap 32 bits either (the 32-bit booking would wrap them).
bool TrajectoryScheduler::narrowTicksFit() const {
  if (rows16.empty() || !avx512bw || record || numActive == 0)
    return false;
  const uint64_t S = cfg.chunksPerShard, dt = cfg.dramTicksPerChunk;
  uint64_t units = 1 + (numActive - 1) * dt;
  if (replicatedLen != 0xff) // every arc of the decision has this length
    units += numActive * (uint64_t)rowMaxUnits[replicatedLen];
  else // summed by chooseArcs
    units += arcUnits;
  return units <= 0xffff && dt + S * units < (uint64_t(1) << 32);
}

// The same choices and bookings with occupancy computed per arc (rings of
// more than 32 chiplets).
void TrajectoryScheduler::bookComputed() {
  const unsigned n = cfg.numChiplets;
  const uint32_t S = cfg.chunksPerShard;
  ExpertDecision *out = result.experts.data();
  uint32_t dramFree = 0, makespan = 0;
  for (size_t k = 0; k < numActive; ++k) {
    ExpertDecision &d = out[k];
    uint32_t e = d.expert;
    unsigned tieStart = d.cwGap;
    unsigned len = d.arcLen, gap = n - 1 - len;
    d.startTick = dramFree;
    uint32_t t0 = dramFree + cfg.dramTicksPerChunk;
    dramFree += S * cfg.dramTicksPerChunk;

    unsigned bestStart = d.arcStart, bestCw;
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
    uint32_t linkEnd = tryBook(occ(bestStart, len, bestCw), t0, true, e);
    uint32_t fill = (len + std::max(d.cwGap, d.ccwGap)) *
                    cfg.linkTicksPerChunk;
    uint32_t arrive = std::max(linkEnd, t0 + (S - 1) * cfg.dramTicksPerChunk) +
                      fill;
    arrivals[k] = arrive;
    uint32_t end = arrive;
    for (uint64_t m = d.holders; m; m &= m - 1) {
      unsigned p = __builtin_ctzll(m);
      uint32_t work = counts[(size_t)e * n + p] *
                      cfg.computeTicksPerTokenChunk * S * n;
      uint32_t c = std::max(computeFree[p] + work, arrive + work / (S * n));
      computeFree[p] = c;
      end = std::max(end, c);
    }
    d.endTick = end;
    makespan = std::max(makespan, end);
  }
  result.makespanTicks = makespan;
}

FSEDP_CLONES
const Decision &TrajectoryScheduler::decide(unsigned numTokens,
                                            const uint16_t *tokenPos,
                                            const int32_t *experts,
                                            unsigned topK) {
  clearPrevious();
  gather(numTokens, tokenPos, experts, topK);
  result.experts.resize(numActive);
  // Rule V6: replicated tokens share the decision's split factor.
  splitNow = 1;
  replicatedLen = 0xff;
  lastMemo = false;
  const bool replicated = !tokenPos && numActive;
  keepArrivals = replicated && memoOn; // keepMemo reads them
  if (replicated) {
    size_t a = std::min<size_t>(numActive, splitOf.size()) - 1;
    splitNow = splitOf[a];
    replicatedLen = splitLenOf[a];
    // Record mode needs the link bookings: computed in full.
    if (memoOn && !record && memoAt[numActive] != ~0u) {
      decideFromMemo(&memo[memoAt[numActive]]);
      return result;
    }
  }
  chooseArcs(tokenPos == nullptr);
  decideBooking();
  // Split decisions carried their pseudo arc length through the booking.
  if (splitNow > 1)
    for (ExpertDecision &d : result.experts)
      d.arcLen = 0;
  if (keepArrivals)
    keepMemo();
  return result;
}

unsigned TrajectoryScheduler::prepareReplicated(unsigned maxActive) {
  const unsigned top = std::min(maxActive, cfg.numExperts);
  unsigned kept = 0;
  if (!memoOn || record)
    return kept;
  // One token routed to experts 0..A-1: A active experts, replicated.
  std::vector<int32_t> picks(top);
  for (unsigned e = 0; e < top; ++e)
    picks[e] = (int32_t)e;
  for (unsigned a = 1; a <= top; ++a) {
    if (memoAt[a] == ~0u)
      decide(1, nullptr, picks.data(), a); // keepMemo keeps it
    if (memoAt[a] == ~0u)
      break; // past the cap: larger counts do not fit either
    ++kept;
  }
  decide(0, nullptr, picks.data(), 0);
  return kept;
}

// Keeps the links' part of this replicated decision for its active count
// (chooseArcs and the booking depend on nothing else: the holders follow
// from the count, every arc has the same length, and the links' free ticks
// from the arcs booked before).
void TrajectoryScheduler::keepMemo() {
  const size_t na = numActive;
  if (memoAt[na] != ~0u || memo.size() + na > kMemoMaxEntries)
    return;
  memoAt[na] = (uint32_t)memo.size();
  const ExpertDecision *out = result.experts.data();
  for (size_t k = 0; k < na; ++k)
    memo.push_back(arrivals[k] | (uint64_t)out[k].arcStart << 32 |
                   (uint64_t)out[k].cwGap << 40 |
                   (uint64_t)out[k].ccwGap << 48);
}

// A replicated decision from its active count's kept slots: slot k's
// expert is the k-th active one (in order of first appearance, as
// chooseArcs orders them), its holders rule V4's / V6's from the kept
// start, and only the holders' compute is booked (as the bookings do).
FSEDP_CLONES
void TrajectoryScheduler::decideFromMemo(const uint64_t *slots) {
  lastMemo = true;
  const unsigned n = cfg.numChiplets, h = splitNow, seg = n / h;
  const auto [S, dt, ct, sn, ctsn, loaded, dramStep] =
      tickConstants(cfg, splitNow);
  (void)S, (void)dt, (void)loaded;
  const uint64_t pattern = splitPattern(h, seg);
  const uint32_t *act = active.data();
  const uint16_t *tok = tokensOf.data();
  uint64_t *msk = masks.data();
  uint8_t *cnt = counts.data();
  uint32_t *cfree = computeFree.data();
  ExpertDecision *out = result.experts.data();
  const bool exact = exactShare;
  uint32_t startTick = 0, makespan = 0;
  for (size_t k = 0, na = numActive; k < na; ++k, startTick += dramStep) {
    const uint64_t slot = slots[k];
    const uint32_t e = act[k], arrive = (uint32_t)slot;
    const unsigned p = (slot >> 32) & 0xff;
    const uint16_t t = tok[e];
    const uint32_t c = t > 255 ? 255 : t;
    const uint64_t m = pattern << p; // p < seg: no bit wraps
    uint8_t *row = cnt + (size_t)e * n;
    msk[e] = m;
    // Each holder's compute, from the count in a register (not read back).
    uint32_t end = arrive;
    for (unsigned j = 0, q = p; j < h; ++j, q += seg) {
      row[q] = (uint8_t)c;
      end = std::max(end, exact ? holderDoneWith<true>(c, cfree, q, arrive,
                                                       ctsn, ct, sn)
                                : holderDoneWith<false>(c, cfree, q, arrive,
                                                        ctsn, ct, sn));
    }
    makespan = std::max(makespan, end);
    ExpertDecision &d = out[k];
    d.expert = e;
    d.holders = m;
    d.tokens = t;
    d.arcStart = p;
    d.arcLen = 0;
    d.cwGap = (slot >> 40) & 0xff;
    d.ccwGap = (slot >> 48) & 0xff;
    d.split = h;
    d.startTick = startTick;
    d.endTick = end;
  }
  result.makespanTicks = makespan;
}

FSEDP_CLONES
void TrajectoryScheduler::decideBooking() {
#if defined(__x86_64__) && defined(__GNUC__)
  lastNarrow = false;
  if (usesAvx512() && lanes == 32 && narrowTicksFit()) {
    lastNarrow = true;
    // The arrival ticks only where keepMemo reads them.
    if (keepArrivals)
      exactShare ? bookAvx512Narrow<true, true>()
                 : bookAvx512Narrow<false, true>();
    else
      exactShare ? bookAvx512Narrow<true, false>()
                 : bookAvx512Narrow<false, false>();
    return;
  }
  if (usesAvx512()) {
    auto book = [&](auto lanesTag) {
      constexpr unsigned L = decltype(lanesTag)::value;
      if (record)
        exactShare ? bookAvx512<L, true, true>()
                   : bookAvx512<L, false, true>();
      else
        exactShare ? bookAvx512<L, true, false>()
                   : bookAvx512<L, false, false>();
    };
    if (lanes == 16)
      book(std::integral_constant<unsigned, 16>());
    else
      book(std::integral_constant<unsigned, 32>());
    return;
  }
#endif
  switch (table.empty() ? 0 : lanes) {
  case 8:
    bookTabulated<8>();
    break;
  case 16:
    bookTabulated<16>();
    break;
  case 32:
    bookTabulated<32>();
    break;
  case 64:
    bookTabulated<64>();
    break;
  default:
    bookComputed();
    break;
  }
  return;
}
