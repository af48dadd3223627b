//===- FseDpInterpreter.h - fse-dp decisions from a when/where program -*- C++ -*-===//
//
// Runs the `df.program` that moe-df-lower-fsedp writes for an fse-dp layer
// on one batch's gating and returns the same fsedp::Decision as the direct
// runtime scheduler (fsedp::TrajectoryScheduler::decide), without calling
// it. Which parts come from the when/where graph and which are plain code
// over its outputs (docs/dataflow.md, "Execution and what is (not)
// when/where"):
//   - from the graph: which experts are active and the order they become
//     active (`when` threshold 1 per expert behind the gating `where`), the
//     tokens of each (expert, chiplet) (the dispatch edges), the holders
//     (the `ready` `when` nodes that fire once the tokens and all N*S shard
//     chunks routed by the trajectory `where` have arrived), each expert's
//     link occupancy (the per-link `when` accumulators behind the `links`
//     wheres, one firing per shard crossing), and with replicated tokens
//     (rule V4) the activation order and token totals (the
//     `tokens.replicated` port and `active.replicated`);
//   - plain code over the graph's outputs: the arc (largest empty gap among
//     the holders, rule V3, and the second candidate when two gaps are
//     equal), the streaming order (longest stream first, stable over the
//     activation order), the V4 holder of each expert (spread over the
//     ring by activation rank), rule V6's split holders (the split factor
//     of the batch, the holders one per ring segment, and each shard's
//     route to its segment's holder: a holder that receives one segment's
//     shards is not what the `ready` nodes wait for, all N*S chunks, so
//     split holders come from plain code and fire no `ready`), and the
//     tick booking (max-plus arithmetic
//     over link and compute free times: the choice between equal gaps, the
//     odd gap shard's direction, start/end ticks and the makespan).
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_DATAFLOW_FSEDPINTERPRETER_H
#define MOESAIC_RUNTIME_DATAFLOW_FSEDPINTERPRETER_H

#include "moesaic/Runtime/Dataflow/Program.h"
// For the shared SchedulerConfig / Decision types only.
#include "moesaic/Runtime/FseDp/TrajectoryScheduler.h"

#include <memory>

namespace moesaic::dataflow {

class FseDpInterpreter {
public:
  /// Checks that `program` is an fse-dp layer program (params chiplets,
  /// experts, chunks matching `config`; ports tokens.p, tokens.replicated,
  /// shards.e.s; trajectory and links wheres per expert; outputs active,
  /// ready, active.replicated and links).
  static llvm::Expected<std::unique_ptr<FseDpInterpreter>>
  create(Program program, const fsedp::SchedulerConfig &config);

  /// Decides one batch: token t sits on logical chiplet tokenPos[t], or
  /// with tokenPos null on every chiplet (rule V4: one holder per expert).
  /// The reference stays valid until the next call.
  const fsedp::Decision &decide(unsigned numTokens, const uint16_t *tokenPos,
                                const int32_t *experts, unsigned topK);

  /// (expert, chiplet) pairs whose `ready` node fired in the last decision,
  /// in firing order.
  const std::vector<std::pair<uint32_t, uint32_t>> &readyPairs() const {
    return ready;
  }

  /// Tokens of expert `e` held by logical chiplet `p` in the last decision
  /// (the dispatch edge's count, saturated at 255 as the scheduler's
  /// per-holder counts are).
  unsigned tokensAt(uint32_t e, unsigned p) const {
    uint32_t c = exec->count(dispatchBase + e * cfg.numChiplets + p);
    return c > 255 ? 255 : c;
  }

private:
  FseDpInterpreter(Program program, const fsedp::SchedulerConfig &config);

  /// Sets the trajectory and links routes of expert `e` for an arc.
  void route(uint32_t e, unsigned start, unsigned len, unsigned cwGap);
  /// ... for rule V6's split holders start + j N / split: each shard to
  /// its segment's holder.
  void routeSplit(uint32_t e, unsigned start, unsigned split,
                  unsigned cwGap);
  /// Busy ticks of every directed link for an arc (the static V3 tables).
  void arcWork(unsigned start, unsigned len, unsigned cwGap, uint32_t *w,
               unsigned split = 1);

  /// One active expert between the graph's outputs and the booking.
  struct Item {
    uint32_t expert;
    uint64_t holders;   ///< chiplets with dispatched tokens
    uint32_t tokens;
    uint8_t start, len; ///< arc over the largest empty gap (first found)
    uint8_t tieStart;   ///< start of an equal second gap, 0xff if none
    uint8_t key;        ///< longest link stream, the streaming order key
  };

  Program prog;
  fsedp::SchedulerConfig cfg;
  std::vector<Item> items, sorted;
  std::vector<unsigned> bucket;
  std::unique_ptr<Executor> exec;
  std::vector<uint32_t> tokenInput;     // [p] -> value
  std::vector<uint8_t> v4Holder;        // TrajectoryScheduler::replicatedHolders
  std::vector<uint8_t> splitOf;         // TrajectoryScheduler::splitFactors
  std::vector<std::vector<uint8_t>> segHolders; // [h]: replicatedHolders(N/h)
  uint32_t replicatedInput = 0;         // value of tokens.replicated
  uint32_t replicatedBase = 0;          // value of output 0 of its dispatch
  std::vector<uint32_t> shardInput;     // [e*N+s] -> value
  uint32_t dispatchBase = 0;            // value of output 0 of the dispatch
  std::vector<uint32_t> trajectoryNode; // [e]
  std::vector<uint32_t> linksNode;      // [e*2+dir]
  std::vector<uint32_t> laneValue;      // [l] -> link `when` output value
  uint32_t activeNode = 0, readyNode = 0, replicatedActiveNode = 0;
  std::vector<int64_t> nodeExpert, nodeChiplet; // labels by node
  std::vector<int32_t> identity;                // [e] = e: one pick per row
  std::vector<std::pair<uint32_t, uint32_t>> ready;
  std::vector<uint32_t> linkFree, computeFree, probe, laneBefore;
  fsedp::Decision result;
};

} // namespace moesaic::dataflow

#endif // MOESAIC_RUNTIME_DATAFLOW_FSEDPINTERPRETER_H
