//===- TrajectoryOrdering.cpp - Gathering and ordering a decision ---------===//
//
// The first phases of `TrajectoryScheduler::decide`: clearing what the
// previous decision touched, gathering each active expert's holders and
// token counts from the batch's gating, and choosing each expert's arc
// (rule V3) and its place in the streaming order.
//
//===----------------------------------------------------------------------===//

#include "TrajectorySchedulerImpl.h"

#include <algorithm>
#include <cstring>

using namespace moesaic::fsedp;
using namespace moesaic::fsedp::detail;

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

