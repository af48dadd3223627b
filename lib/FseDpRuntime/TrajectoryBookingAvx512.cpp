//===- TrajectoryBookingAvx512.cpp - AVX-512 bookings of a decision -------===//
//
// The bookings `decide` uses on CPUs with AVX-512 (chosen at run time):
// 32-bit ticks in one or two registers for rings of 5 to 16 chiplets, and
// 16-bit units of S ticks in one register for rings of 9 to 16 chiplets
// (AVX-512BW). Same decisions as the portable booking
// (TrajectoryBooking.cpp).
//
//===----------------------------------------------------------------------===//

#include "TrajectorySchedulerImpl.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

using namespace moesaic::fsedp;
using namespace moesaic::fsedp::detail;

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

// The instances decideBooking (TrajectoryBooking.cpp) calls.
template void TrajectoryScheduler::bookAvx512<16, false, false>();
template void TrajectoryScheduler::bookAvx512<16, false, true>();
template void TrajectoryScheduler::bookAvx512<16, true, false>();
template void TrajectoryScheduler::bookAvx512<16, true, true>();
template void TrajectoryScheduler::bookAvx512<32, false, false>();
template void TrajectoryScheduler::bookAvx512<32, false, true>();
template void TrajectoryScheduler::bookAvx512<32, true, false>();
template void TrajectoryScheduler::bookAvx512<32, true, true>();
template void TrajectoryScheduler::bookAvx512Narrow<false, false>();
template void TrajectoryScheduler::bookAvx512Narrow<false, true>();
template void TrajectoryScheduler::bookAvx512Narrow<true, false>();
template void TrajectoryScheduler::bookAvx512Narrow<true, true>();

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
