//===- TrajectoryScheduler.h - FSE-DP per-batch trajectory choice -*- C++ -*-===//
//
// The lightweight runtime scheduler of expert streaming. Given one batch's
// gating (which logical chiplet holds each token, which experts each token
// picks), it decides for every active expert
//   - its trajectory: the logical arc [start, start+len] (rule V3) covering
//     exactly the chiplets holding its tokens, leaving the largest empty gap
//     of the ring unvisited; ties between equal gaps and the odd gap shard's
//     direction go to the option that finishes earlier given the links
//     already booked (link balance, complementary directions);
//   - the order experts stream in (longest stream first: Johnson's rule for
//     the DRAM-load -> D2D-stream flow shop, so loads of later experts hide
//     under streams of earlier ones);
//   - a booking of every directed ring link in time ticks (one chunk per
//     `linkTicksPerChunk` ticks at most) and of each holder's compute.
//
// All state lives in buffers sized at construction: `decide` allocates
// nothing (except bookings in record mode, and the kept link bookings of a
// replicated decision's active count the first time it occurs). Occupancy and busy ticks of each
// (start, len, parity) are tabulated up front for rings of up to 32
// chiplets, so a booking is a fixed-width, branch-free vector update of the
// links' free ticks (with AVX-512, chosen at run time, for rings of 5-16
// chiplets: the free ticks stay in registers; rings of 9-16 chiplets book in
// 16-bit units of S ticks, one register, when the decision's ticks fit, with
// AVX-512BW). No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_FSEDP_TRAJECTORYSCHEDULER_H
#define MOESAIC_RUNTIME_FSEDP_TRAJECTORYSCHEDULER_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace moesaic::fsedp {

/// The per-layer runtime table the scheduler works from (sized by the
/// compiler; see ShardPlan.h).
struct SchedulerConfig {
  unsigned numChiplets = 0;        ///< N, logical ring size (1..64).
  unsigned numExperts = 0;
  uint32_t chunksPerShard = 1;     ///< S
  uint32_t linkTicksPerChunk = 16; ///< one chunk over one D2D hop
  uint32_t dramTicksPerChunk = 16; ///< one chunk from a chiplet's DRAM
  /// Compute of one token on one chunk of one shard (>= 0).
  uint32_t computeTicksPerTokenChunk = 0;
  /// Rule V6: with replicated tokens, an expert may have several holders
  /// that split its shards (splitFactors); false: one holder (V4 alone).
  /// Rings of up to 32 chiplets (tabulated) only.
  bool splitHolders = false;
};

/// One active expert's decision.
struct ExpertDecision {
  uint32_t expert = 0;
  uint64_t holders = 0;   ///< logical positions holding its tokens
  uint16_t tokens = 0;    ///< routed tokens in the batch
  uint8_t arcStart = 0, arcLen = 0;
  uint8_t cwGap = 0;      ///< shards outside the arc entering at its start
  uint8_t ccwGap = 0;     ///< ... entering at its end
  /// Rule V6 (replicated tokens): the ring is cut into `split` segments of
  /// N / split chiplets; holder j sits at arcStart + j N / split (arcLen
  /// 0) and receives only its segment's shards, cwGap of them clockwise
  /// and ccwGap counter-clockwise, and computes a partial output. 1: every
  /// holder receives every shard.
  uint8_t split = 1;
  uint32_t startTick = 0; ///< first DRAM chunk load
  uint32_t endTick = 0;   ///< last chunk computed at the last holder
};

/// One booked interval of a directed ring link (record mode only).
struct LinkBooking {
  uint32_t expert = 0;
  uint32_t link = 0;      ///< 0..N-1: p -> p+1; N..2N-1: p -> p-1
  uint32_t startTick = 0, endTick = 0;
  uint32_t chunks = 0;    ///< shard chunks crossing in the interval
};

struct Decision {
  /// Active experts in streaming order.
  std::vector<ExpertDecision> experts;
  uint32_t makespanTicks = 0;
};

class TrajectoryScheduler {
public:
  explicit TrajectoryScheduler(const SchedulerConfig &config);

  const SchedulerConfig &config() const { return cfg; }

  /// Decides one batch: token t sits on logical chiplet tokenPos[t] and
  /// picks experts[t*topK .. t*topK+topK) (negative ids are ignored, ids
  /// must be below numExperts). With tokenPos null every chiplet holds every
  /// token (after a tensor-parallel dense layer) and the scheduler picks one
  /// holder per active expert, spreading them evenly around the ring (rule
  /// V4). The returned reference stays valid until the next call.
  const Decision &decide(unsigned numTokens, const uint16_t *tokenPos,
                         const int32_t *experts, unsigned topK);

  /// The slots 0..m-1 of a cycle in an order where each is as far as
  /// possible from those before it (ties: farthest from the previous one):
  /// 0, 8, 4, 12, 2, 10, 6, 14, ... for m = 16.
  static std::vector<unsigned> spreadOrder(unsigned m);

  /// Rule V4's holders on a ring of n: entry [(min(m, n) - 1) * n + i mod n]
  /// is the logical chiplet of the i-th of m active experts (spreadOrder(m)
  /// [i] x n / m for m <= n, spreadOrder(n)[i mod n] beyond). Shared by the
  /// scheduler and the dataflow interpreter.
  static std::vector<uint8_t> replicatedHolders(unsigned n);
  /// Rule V6's split factor of a decision with A active experts and
  /// replicated tokens: entry [min(A, 2N) - 1] (all 1 unless
  /// config.splitHolders and N <= 32). The smallest divisor h <= N/2 of N
  /// for which, with the holders V4 gives on a ring of N/h (repeated in
  /// every segment), no directed link carries more shard ticks over the
  /// layer than each DRAM channel loads (A x S x dram ticks); else the h
  /// whose busiest link carries the least.
  static std::vector<uint8_t> splitFactors(const SchedulerConfig &config);
  /// The holder of the i-th of m active experts in that table.
  static unsigned replicatedHolder(const std::vector<uint8_t> &table,
                                   unsigned n, size_t m, size_t i) {
    return table[(std::min<size_t>(m, n) - 1) * n + i % n];
  }

  /// Tokens of expert decision `i` (in order) held by logical chiplet `p`.
  unsigned tokensAt(const ExpertDecision &d, unsigned p) const {
    return counts[(size_t)d.expert * cfg.numChiplets + p];
  }

  /// Keep every link booking of the next decisions (for tests).
  void setRecord(bool on) { record = on; }
  const std::vector<LinkBooking> &bookings() const { return booked; }

  /// Replicated tokens: the links' part of a decision (each slot's holder,
  /// gaps and arrival tick) depends on the active count alone, so the
  /// scheduler keeps it per active count once computed and later decisions
  /// with that count book only the holders' compute from it (same
  /// decisions). At most kMemoMaxEntries slots over all active counts
  /// (E x (E + 1) / 2 for E experts when every count occurs); beyond that,
  /// decisions of new counts are computed in full. On by default; off:
  /// every decision is computed in full (for tests and benchmarks).
  void setMemo(bool on) { memoOn = on; }
  /// Keeps, ahead of the first batch, the links' part of every replicated
  /// decision with 1 to min(maxActive, E) active experts (each computed
  /// once, as the first decision of that count would be, from a synthetic
  /// gating: the kept slots depend on the count alone), so that every later
  /// replicated decision with such a count books only the holders' compute.
  /// For a controller that must meet its per-batch deadline from the first
  /// batch: maxActive = min(E, batch x top-k) bounds what can occur. Counts
  /// already kept are skipped; stops at kMemoMaxEntries. Does nothing with
  /// keeping off or in record mode. Returns the counts kept afterwards among
  /// 1..maxActive. Leaves the scheduler as after a decision with no tokens.
  unsigned prepareReplicated(unsigned maxActive);
  /// Slots kept so far.
  size_t memoEntries() const { return memo.size(); }
  static constexpr size_t kMemoMaxEntries = size_t(1) << 19; // 4 MiB
  /// Whether the last `decide` came from the kept slots.
  bool usedMemo() const { return lastMemo; }

  /// Books with the portable code even where the CPU has AVX-512 (for
  /// tests comparing both; the decisions are identical).
  void setPortable(bool on) { avx512 = !on && cpuHasAvx512(); }
  /// Whether `decide` uses the AVX-512 booking: rings of 5 to 16 chiplets
  /// (16 or 32 lanes) on a CPU with AVX-512F. Smaller rings (8 lanes) are
  /// not faster with it.
  bool usesAvx512() const {
    return avx512 && !table.empty() && (lanes == 16 || lanes == 32);
  }
  /// Whether the last `decide` booked with 16-bit ticks (AVX-512BW, rings
  /// of 9 to 16 chiplets, outside record mode, when no tick of the decision
  /// can exceed 65535; same decisions as 32-bit ticks).
  bool usedNarrowTicks() const { return lastNarrow; }
  /// Whether this CPU can book with 16-bit ticks at all.
  static bool narrowTicksAvailable() {
    return cpuHasAvx512() && cpuHasAvx512bw();
  }

  /// Shard chunks-per-chunk-slot crossing each directed link for an arc:
  /// out[l] for l in [0, 2N) (rule V3), in shard units.
  /// With split > 1 (rule V6, len 0): the union of the split segments'
  /// streams, each converging on its holder start + j N / split.
  static void occupancy(unsigned n, unsigned start, unsigned len,
                        unsigned cwGap, uint8_t *out, unsigned split = 1);

  /// The logical positions the stream of the shard homed at `home` visits
  /// in order for an arc (rule V3), split into its clockwise and
  /// counter-clockwise legs (each excluding `home`). With split > 1 (rule
  /// V6, len 0) the shard goes to its segment's holder only.
  static void shardPath(unsigned n, unsigned start, unsigned len,
                        unsigned cwGap, unsigned home,
                        std::vector<unsigned> &cwLeg,
                        std::vector<unsigned> &ccwLeg, unsigned split = 1);

private:
  void clearPrevious();
  void decideFromMemo(const uint64_t *slots);
  void keepMemo();
  void gather(unsigned numTokens, const uint16_t *tokenPos,
              const int32_t *experts, unsigned topK);
  void chooseArcs(bool replicated);
  void decideBooking();
  template <unsigned Lanes> void bookTabulated();
  template <unsigned Lanes, bool Exact, bool Rec> void bookAvx512();
  template <bool Exact, bool Keep> void bookAvx512Narrow();
  bool narrowTicksFit() const;
  static bool cpuHasAvx512();
  static bool cpuHasAvx512bw();
  void bookComputed();
  const uint8_t *occ(unsigned start, unsigned len, unsigned cwGap);
  uint32_t tryBook(const uint8_t *o, uint32_t t0, bool commit,
                   uint32_t expert);

  SchedulerConfig cfg;
  bool record = false;
  bool avx512 = false; ///< book with AVX-512 (CPU has it, not disabled)
  bool avx512bw = false; ///< ... and 16-bit ticks may be used (AVX-512BW)
  bool lastNarrow = false;
  /// counts x compute x S x N never wraps 32 bits, so a holder's compute
  /// share (work / (S x N)) is counts x compute without a division.
  bool exactShare = false;
  /// Row stride of `work` and size of `linkFree`: 2N rounded up to 8, 16,
  /// 32 or 64 lanes when tabulated (padding lanes have no work), else 2N.
  unsigned lanes = 0;
  std::vector<uint8_t> table;    // [start][len][parity][2N] when N <= 32
  std::vector<uint32_t> work;    // [start][len][parity][lanes] busy ticks
  std::vector<uint32_t> busy;    // same layout: ~0 where work (16, 32 lanes)
  /// 16-bit booking (32 lanes: rings of 9 to 16 chiplets, when every busy
  /// tick fits in 16-bit units of S ticks): per arc (start x N + len) its
  /// work rows of both parities in units, then their busy masks, and its
  /// constants; and the largest busy units of an arc of each length (any
  /// start, either parity), the bound that decides whether a decision fits.
  struct NarrowArc {
    uint32_t fill = 0;  ///< pipeline fill ticks
    uint16_t cwEntry = 0, ccwEntry = 0; ///< entry links (lanes)
    uint16_t gaps[2] = {}; ///< cwGap | ccwGap << 8 with parity 0 and 1
  };
  std::vector<uint16_t> rows16;
  std::vector<NarrowArc> narrowArcs;
  std::vector<uint32_t> rowMaxUnits;
  std::vector<uint32_t> fillTicks; // [len] pipeline fill of an arc
  std::vector<uint32_t> arcEntries; // [start][len] entry links (2 bytes)
  std::vector<uint8_t> scratch;  // 2N, when computed on the fly
  std::vector<uint32_t> scratchWork;
  std::vector<uint32_t> linkFree;
  std::vector<uint32_t> computeFree;
  std::vector<uint8_t> counts;   // [expert][N] tokens
  std::vector<uint64_t> masks;   // [expert]
  std::vector<uint16_t> tokensOf;
  std::vector<uint32_t> active;  // numExperts + 1 slots (branch-free append)
  size_t numActive = 0;
  std::vector<uint32_t> arcs;     // packed per active expert
  uint64_t arcUnits = 0; ///< data-parallel: the arcs' rowMaxUnits, summed
  std::vector<uint32_t> multi;    // active experts with several holders
  std::vector<uint32_t> bucket;
  Decision result;
  std::vector<LinkBooking> booked;
  std::vector<uint8_t> v4Holder; // replicatedHolders(N)
  /// Rule V6: split factor per active count (splitFactors), the divisors
  /// tabulated as pseudo arc lengths N + k (stride `K` = N + their count),
  /// and V4's table on each segment ring.
  std::vector<uint8_t> splitOf;
  std::vector<uint8_t> splitLenOf; // [A - 1]: pseudo length, 0 unsplit
  std::vector<uint8_t> splitDivisors;            // [k] = h
  std::vector<std::vector<uint8_t>> segHolders;  // [k]: replicatedHolders(N/h)
  std::vector<uint32_t> gapOfLen;                // [len]: shards outside
  /// Arrival tick of each slot's stream at its holders (every booking;
  /// the 16-bit one for replicated decisions only, which keepMemo reads).
  std::vector<uint32_t> arrivals;
  /// Replicated decisions kept per active count A: memoAt[A] is the offset
  /// of its A slots in `memo` (~0: none), each arrival | start << 32 |
  /// cwGap << 40 | ccwGap << 48.
  std::vector<uint32_t> memoAt;
  std::vector<uint64_t> memo;
  bool memoOn = true, lastMemo = false;
  bool keepArrivals = false; ///< this decision is kept (keepMemo)
  unsigned K = 0;
  unsigned splitNow = 1;  ///< split factor of the current decision
  unsigned replicatedLen = 0xff; ///< pseudo length of a replicated decision
};

} // namespace moesaic::fsedp

#endif // MOESAIC_RUNTIME_FSEDP_TRAJECTORYSCHEDULER_H
