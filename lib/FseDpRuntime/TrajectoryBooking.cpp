//===- TrajectoryBooking.cpp - Booking a decision's links and compute -----===//
//
// The last phase of `TrajectoryScheduler::decide`: each expert's links and
// its holders' compute booked in streaming order, with tabulated rows
// (portable vectors, rings of up to 32 chiplets) or occupancy computed per
// arc (larger rings), and the dispatch to the AVX-512 bookings
// (TrajectoryBookingAvx512.cpp) where the CPU has them.
//
//===----------------------------------------------------------------------===//

#include "TrajectorySchedulerImpl.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

using namespace moesaic::fsedp;
using namespace moesaic::fsedp::detail;

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
