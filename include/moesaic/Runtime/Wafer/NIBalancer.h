//===- NIBalancer.h - Expert migration staged on cold links -----*- C++ -*-===//
//
// The runtime balancer of the wafer strategies. It observes the expert load
// of every MoE layer step by step; when a layer's die imbalance over the
// last `window` steps exceeds `trigger`, it decides migrations (greedy
// swaps of expert units between the hottest and the coldest die). Both
// wafer strategies share this trigger and these decisions; they differ only
// in staging:
//  - StopTheWorld (wafer-baseline): every move of a decision is sent at
//    once before the next step; the transfer time is exposed.
//  - NonInvasive (NI-Balancer): each move is cut into chunks that are
//    placed into (step, layer, phase) slots whose links on the chunk's route
//    are cold in that phase and have spare capacity for the phase's
//    duration, and where the source's and destination's memories are idle
//    long enough (a copy reads one HBM and writes the other; at decode they
//    stream weights most of the time: MigrationWindows.h); a move's new
//    placement takes effect once all its chunks have landed. A move still
//    pending after `horizon` steps is forced: its chunks left go in the
//    next step's slots where its route is cold, those that fit first and
//    at least an even share of the slots left each, whether or not they
//    fit (what overflows the memories' idle windows is exposed).
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_WAFER_NIBALANCER_H
#define MOESAIC_RUNTIME_WAFER_NIBALANCER_H

#include "moesaic/Runtime/Wafer/WaferLayout.h"

#include <cstdint>
#include <deque>
#include <vector>

namespace moesaic::wafer {

enum class Staging { StopTheWorld, NonInvasive };
enum class SlotPhase : uint8_t { Ring = 0, Moe = 1 };

struct BalancerConfig {
  int64_t window = 4;       ///< Steps of observed load a decision uses.
  double trigger = 1.3;     ///< Busiest die / mean die load that triggers.
  int64_t maxSwaps = 4;     ///< Swaps per layer per decision.
  int64_t cooldown = 4;     ///< Steps between decisions of one layer.
  int64_t chunks = 8;       ///< Chunks per move.
  /// A link is hot in a phase when its load exceeds this fraction of the
  /// phase's busiest link; chunks only use links that are not hot.
  double coldFraction = 0.5;
  int64_t horizon = 8;      ///< Steps before a pending move is forced.
  /// Share of a slot that chunks may fill: of a cold link's capacity over
  /// the slot (its bandwidth x the slot's duration, the slot's own bytes
  /// included), and of each memory's idle window (a chunk must end within
  /// this fraction of it: SlotTimeline). The quarter left idle absorbs
  /// what the per-link sums and the analytic windows miss (routes that
  /// cross, transfers that start earlier than estimated). A rule of the
  /// runtime, not a schedule setting.
  double fillFraction = 0.75;
  /// The largest copy the runtime issues: the chunks of one move placed
  /// in one slot one after another go as copies of up to this many bytes
  /// (fewer gaps between them than one copy per chunk; the planning keeps
  /// the smaller chunks, which fit the short windows). Measured:
  /// docs/wafer.md, "NI-Balancer". A rule of the runtime, not a schedule
  /// setting.
  double maxCopyBytes = 4.0 * (1 << 20);
  Staging staging = Staging::NonInvasive;
};

/// The settings the NI-Balancer pass writes by default: chunks of at most
/// `chunkTargetBytes` (so one chunk holds a link for a few microseconds and
/// never blocks the phase's own transfers for long).
BalancerConfig defaultBalancerConfig(const ModelDesc &model,
                                     const WaferLayout &layout,
                                     double chunkTargetBytes = 1.0 * (1 << 20));

/// When a device's off-chip memory is idle in a migration slot (us from
/// the slot's start): from `fromUs` (its own work done) to `untilUs` (its
/// next work starts).
struct MemoryWindow {
  double fromUs = 0, untilUs = 0;
};

/// What one (step, layer, phase) slot offers migration chunks.
struct SlotWindow {
  /// The slot's own bytes per directed link: a link is hot when above
  /// coldFraction x the busiest, and chunks avoid hot links.
  std::vector<double> linkLoad;
  /// How long the slot lasts on the links (us): a cold link takes chunks up
  /// to fillFraction x this x its bandwidth, minus its own load.
  double durationUs = 0;
  /// Per device: when its off-chip memory is idle in the slot (a copy
  /// reads the source's and writes the destination's).
  std::vector<MemoryWindow> memory;
};

/// A migration slot's resources over time, as the simulator holds them: a
/// chunk copies from its source's memory over its route into its
/// destination's memory, holding all of them at once from the moment all
/// are free. Chunks are placed one after another; each must end within
/// `fillFraction` of its two memories' idle windows (the rest is margin for
/// what the windows' estimates miss). Links are free once they have carried
/// the slot's own traffic (it goes first).
class SlotTimeline {
public:
  SlotTimeline(const SystemModel &system, double fillFraction,
               const std::vector<double> &linkLoad,
               const std::vector<MemoryWindow> &mem);
  /// Books a chunk of `bytes` from `from` to `to` over `route` if it ends
  /// in time; false (nothing booked) otherwise.
  bool place(unsigned from, unsigned to, const std::vector<unsigned> &route,
             double bytes);
  /// Books the chunk whether or not it ends in time (a forced chunk).
  void force(unsigned from, unsigned to, const std::vector<unsigned> &route,
             double bytes);
  /// When `device`'s memory is free of the chunks booked so far.
  double memoryFreeUs(unsigned device) const { return memFree[device]; }

private:
  double endOf(unsigned from, unsigned to, const std::vector<unsigned> &route,
               double bytes) const;
  void book(unsigned from, unsigned to, const std::vector<unsigned> &route,
            double end);

  const SystemModel &sys;
  std::vector<double> memFree, memUntil, linkFree;
};

/// One expert unit moving between dies.
struct Move {
  int64_t moeLayer = 0, unit = 0;
  unsigned from = 0, to = 0;
  double bytes = 0;
  int64_t decidedStep = 0;
  /// The other half of a swap (-1: a move into a free slot); the two take
  /// effect once both have landed.
  int64_t partner = -1;
};

/// A piece of a move placed into a slot.
struct Chunk {
  int64_t move = 0;         ///< Index into NIBalancer::moves().
  double bytes = 0;
  int64_t step = -1, moeLayer = -1;
  SlotPhase phase = SlotPhase::Ring;
  /// Sent after the horizon: stop-the-world (flushAll, moeLayer -1) or
  /// forced into a slot (fillForced).
  bool flushed = false;
};

class NIBalancer {
public:
  NIBalancer(BalancerConfig config, const SystemModel &system,
             const WaferLayout &layout, size_t numMoeLayers,
             std::vector<double> unitBytesPerLayer);

  /// Records the expert loads of `step` (per MoE layer, tokens per expert)
  /// and decides migrations for layers whose imbalance exceeds the trigger.
  /// Returns the indices of the moves decided now.
  std::vector<int64_t> observe(int64_t step,
                               const std::vector<std::vector<int32_t>> &load);

  /// Stop-the-world staging: sends every pending move now; returns the
  /// exposed time (us) and lands the moves.
  double flushAll(int64_t step);
  /// NonInvasive, at the start of `step`: the pending moves decided
  /// `horizon` or more steps ago are forced (forcedMoves): fillForced sends
  /// their chunks in this step's slots. A move forced at an earlier step
  /// and not done yet (its route was hot in every slot since) is sent
  /// stop-the-world first, between the steps, where no phase traffic is;
  /// returns that exposed time (0 when there is none) and lands it.
  double forceExpired(int64_t step);
  /// NonInvasive, before fillSlot: the forced moves' chunks. Each forced
  /// move whose route has no link hot in the slot first places the chunks
  /// that fit by fillSlot's rules, then, up to its even share of the
  /// step's slots left (this one included: 2 per MoE layer, filled in
  /// order; the last slot takes every chunk left), the others whether or
  /// not they fit, booked on the slot's timeline (a move whose route was
  /// hot stays forced into the next step);
  /// the analytic time they overflow the memories' idle windows (the
  /// busiest memory's) is added to exposedUs(). `window` is updated for
  /// fillSlot: their bytes join its links' load and each memory's idle
  /// window starts after them. Returns indices into chunks() (flushed =
  /// true); moves whose last chunk landed take effect.
  std::vector<int64_t> fillForced(int64_t step, int64_t moeLayer,
                                  SlotPhase phase, SlotWindow &window);

  /// NonInvasive: fills one slot. Pending moves in decision order take
  /// chunks while every link of the route is cold and has spare bytes
  /// (spareBytes) and the chunk, booked on the slot's timeline
  /// (SlotTimeline), ends within its two memories' idle windows. Returns
  /// indices into chunks() of the chunks placed; moves whose last chunk
  /// landed take effect.
  std::vector<int64_t> fillSlot(int64_t step, int64_t moeLayer,
                                SlotPhase phase, const SlotWindow &window);

  /// The pieces of observe(), for a controller that computes the trigger
  /// itself (the when/where interpreter, docs/dataflow.md):
  /// records layer `l`'s load of one step (keeps the last `window`);
  void record(size_t l, const std::vector<int32_t> &load);
  /// whether layer `l` may decide at `step` (window full, cooldown over,
  /// decisions not frozen);
  bool due(size_t l, int64_t step) const;
  /// No decisions after `step` (loads are still recorded): a benchmark's
  /// last steps let every decided move land before its run ends.
  void freezeAfter(int64_t step) { lastDecidingStep = step; }
  /// per-unit load over the window, in shard units (the tokens of the
  /// unit's expert: 1/shards of each token's work, times shards);
  std::vector<double> windowUnitLoad(size_t l) const;
  /// busiest die > trigger x mean die (under the decided placement);
  bool triggered(size_t l, const std::vector<double> &unitLoad) const;
  /// the greedy swaps once triggered; returns the moves decided.
  std::vector<int64_t> planSwaps(size_t l, int64_t step,
                                 const std::vector<double> &unitLoad);

  /// A move whose chunks are not all placed yet.
  struct PendingMove {
    int64_t move;
    int64_t chunksLeft;
    double chunkBytes;
  };
  const std::deque<PendingMove> &pendingMoves() const { return pending; }
  /// Moves past the horizon whose chunks fillForced has not all sent yet.
  const std::deque<PendingMove> &forcedMoves() const { return forced; }
  /// Spare bytes of every link during a phase of `durationUs` with this
  /// load (what fillSlot lets chunks use): fillFraction of its capacity
  /// over the phase minus the load, at least 0.
  std::vector<double> spareBytes(const std::vector<double> &linkLoad,
                                 double durationUs) const;
  /// Places counts[i] chunks of pending move i into the slot (fillSlot's
  /// last step): moves whose last chunk landed take effect. Returns
  /// indices into chunks().
  std::vector<int64_t> placeChunks(int64_t step, int64_t moeLayer,
                                   SlotPhase phase,
                                   const std::vector<int64_t> &counts);

  /// Which links are hot in a phase with this load.
  std::vector<bool> hotLinks(const std::vector<double> &linkLoad) const;

  /// The placement each MoE layer currently serves from (moves land here).
  const std::vector<unsigned> &placement(size_t moeLayer) const {
    return current[moeLayer];
  }
  /// The placement the decisions aim at (current + every decided move).
  const std::vector<unsigned> &decided(size_t moeLayer) const {
    return target[moeLayer];
  }

  const std::vector<Move> &moves() const { return allMoves; }
  const std::vector<Chunk> &chunks() const { return allChunks; }
  bool idle() const { return pending.empty() && forced.empty(); }
  /// Time (us) the decided moves take stop-the-world, summed over decisions.
  double stopTheWorldUs() const { return stwUs; }
  double exposedUs() const { return exposed; }
  int64_t decisions() const { return numDecisions; }
  const BalancerConfig &config() const { return cfg; }

  /// Time (us) to send `moves` all at once: the busiest link or memory
  /// (each copy reads its source's and writes its destination's), plus
  /// the longest route latency.
  double sendTogetherUs(const std::vector<int64_t> &moveIds) const;
  /// The same for (move, bytes) pairs: parts of moves.
  double copyTogetherUs(
      const std::vector<std::pair<int64_t, double>> &sends) const;

private:
  void land(int64_t move);
  /// `placed` more chunks of `p` went out: it lands when none is left,
  /// else it is kept (in `keep`) with the rest (fillForced, placeChunks).
  void advance(PendingMove p, int64_t placed, std::deque<PendingMove> &keep);
  /// Sends `moves` stop-the-world at the start of `step` (flushAll,
  /// forceExpired): returns the exposed time; lands them and empties it.
  double sendNow(int64_t step, std::deque<PendingMove> &moves);

  BalancerConfig cfg;
  const SystemModel &sys;
  int64_t shards = 1, unitsPerDie = 1;
  std::vector<double> unitBytes;
  std::vector<std::vector<unsigned>> current, target;
  std::vector<std::deque<std::vector<int32_t>>> history;
  std::vector<int64_t> lastDecision;
  int64_t lastDecidingStep = INT64_MAX;
  std::vector<Move> allMoves;
  std::vector<bool> arrived; ///< Per move: all its bytes are in.
  std::vector<Chunk> allChunks;
  std::vector<double> dieLoads(size_t l,
                               const std::vector<double> &unitLoad) const;
  double meanDieLoad(const std::vector<double> &dieLoad) const;

  /// Pending moves: id and bytes not yet placed; those past the horizon.
  std::deque<PendingMove> pending, forced;
  double stwUs = 0, exposed = 0;
  int64_t numDecisions = 0;
};

} // namespace moesaic::wafer

#endif
