//===- TrajectoryScheduler.cpp - FSE-DP per-batch trajectory choice -------===//
//
// The scheduler's ring geometry (occupancy, shard paths, rule V4's and V6's
// holder tables), its construction (every table sized and filled up front),
// `decide` over its phases (TrajectoryOrdering.cpp gathers and orders,
// TrajectoryBooking.cpp and TrajectoryBookingAvx512.cpp book), and the
// replicated decisions kept per active count.
//
//===----------------------------------------------------------------------===//

#include "TrajectorySchedulerImpl.h"

#include <algorithm>
#include <cassert>
#include <cstring>

using namespace moesaic::fsedp;
using namespace moesaic::fsedp::detail;

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
