//===- TrajectorySchedulerImpl.h - Shared internals of the scheduler -*- C++ -*-===//
//
// What the trajectory scheduler's source files share (private to
// lib/FseDpRuntime): the clone attribute of `decide`'s phases, the tick
// constants every booking derives from the configuration, rule V6's holder
// pattern and the holders' compute booking.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_LIB_FSEDPRUNTIME_TRAJECTORYSCHEDULERIMPL_H
#define MOESAIC_LIB_FSEDPRUNTIME_TRAJECTORYSCHEDULERIMPL_H

#include "moesaic/Runtime/FseDp/TrajectoryScheduler.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

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

namespace moesaic::fsedp::detail {

/// Bytes after the token counts (a row of up to 16 is cleared with one
/// store).
inline constexpr size_t kCountsSlack = 64;

/// Rule V6's holders of an expert whose first holder is 0: one per segment
/// of `seg` chiplets, `h` of them (shifted by the first holder's position).
inline uint64_t splitPattern(unsigned h, unsigned seg) {
  uint64_t pattern = 0;
  for (unsigned j = 0; j < h; ++j)
    pattern |= uint64_t(1) << (j * seg);
  return pattern;
}

/// The tick constants every booking derives from the configuration.
struct TickConstants {
  uint32_t S;        ///< chunks per shard
  uint32_t dt;       ///< DRAM ticks per chunk
  uint32_t ct;       ///< compute ticks per token and chunk
  uint32_t sn, ctsn; ///< S x N, ct x S x N (a holder's share and work)
  uint32_t loaded;   ///< from an expert's first load to its last chunk's
  uint32_t dramStep; ///< from one expert's first load to the next's
};

/// `split`: rule V6's factor of the decision (a holder computes on N /
/// split shards).
inline TickConstants tickConstants(const SchedulerConfig &c,
                                   unsigned split) {
  const uint32_t S = c.chunksPerShard, dt = c.dramTicksPerChunk;
  const uint32_t ct = c.computeTicksPerTokenChunk,
                 sn = S * (c.numChiplets / split);
  return {S, dt, ct, sn, ct * sn, dt + (S - 1) * dt, S * dt};
}

// Holder p's compute of one expert on its `tokens` there: it starts when
// the holder is free and the stream has arrived, and lasts its tokens'
// work; its share of the stream is `tokens x ct` (Exact: no division) or
// work / (S x N). Returns its end, at or after `arrive`.
template <bool Exact>
inline __attribute__((always_inline)) uint32_t
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
inline __attribute__((always_inline)) uint32_t
holderDone(const uint8_t *c, uint32_t *cfree, unsigned p, uint32_t arrive,
           uint32_t ctsn, uint32_t ct, uint32_t sn) {
  return holderDoneWith<Exact>(c[p], cfree, p, arrive, ctsn, ct, sn);
}

// The latest end of every holder in `m` (non-empty), at least `arrive`.
template <bool Exact>
inline __attribute__((always_inline)) uint32_t
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

} // namespace moesaic::fsedp::detail

#endif // MOESAIC_LIB_FSEDPRUNTIME_TRAJECTORYSCHEDULERIMPL_H
