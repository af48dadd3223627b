//===- FseDpInterpreter.h - fse-dp decisions from a when/where program -*- C++ -*-===//
//
// Runs the `df.program` that moe-df-lower-fsedp writes for an fse-dp layer
// on one batch's gating and returns the same fsedp::Decision as
// fsedp::TrajectoryScheduler::decide. Which parts come from the when/where
// graph and which not (docs/dataflow.md, "What is and is not when/where"):
//   - from the graph: which experts are active and the order they become
//     active (`when` threshold 1 per expert, behind the gating `where`),
//     the tokens of each (expert, chiplet) (the dispatch edges), the
//     holders (the `ready` `when` nodes that fire once the tokens and all
//     N*S shard chunks routed by the trajectory `where` have arrived);
//   - plain code over the graph's outputs: each expert's arc length (largest
//     empty gap of the ring, rule V3) and the streaming order (longest
//     stream first, stable over the activation order);
//   - delegated to TrajectoryScheduler::decide (greedy link booking, not a
//     when/where computation): the choice between equal gaps, the odd gap
//     shard's direction (arcStart, cwGap, ccwGap), start/end ticks, the
//     makespan. The trajectory `where` routes by the arc so chosen.
// Replicated tokens (tokenPos null, rule V4) are not expressed.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_DATAFLOW_FSEDPINTERPRETER_H
#define MOESAIC_RUNTIME_DATAFLOW_FSEDPINTERPRETER_H

#include "moesaic/Runtime/Dataflow/Program.h"
#include "moesaic/Runtime/FseDp/TrajectoryScheduler.h"

#include <memory>

namespace moesaic::dataflow {

class FseDpInterpreter {
public:
  /// Checks that `program` is an fse-dp layer program (params chiplets,
  /// experts, chunks matching `config`; ports tokens.p, shards.e.s,
  /// outputs active and ready).
  static llvm::Expected<std::unique_ptr<FseDpInterpreter>>
  create(Program program, const fsedp::SchedulerConfig &config);

  /// Decides one batch (tokenPos must not be null). The reference stays
  /// valid until the next call.
  const fsedp::Decision &decide(unsigned numTokens, const uint16_t *tokenPos,
                                const int32_t *experts, unsigned topK);

  /// (expert, chiplet) pairs whose `ready` node fired in the last decision,
  /// in firing order.
  const std::vector<std::pair<uint32_t, uint32_t>> &readyPairs() const {
    return ready;
  }

private:
  FseDpInterpreter(Program program, const fsedp::SchedulerConfig &config);

  Program prog;
  fsedp::SchedulerConfig cfg;
  fsedp::TrajectoryScheduler delegate;
  std::unique_ptr<Executor> exec;
  std::vector<uint32_t> tokenInput;     // [p] -> value
  std::vector<uint32_t> shardInput;     // [e*N+s] -> value
  uint32_t dispatchBase = 0;            // value of output 0 of the dispatch
  std::vector<uint32_t> trajectoryNode; // [e]
  uint32_t activeNode = 0, readyNode = 0;
  std::vector<int64_t> nodeExpert, nodeChiplet; // labels by node
  std::vector<uint32_t> delegateIndex;          // [e] -> index in delegate
  std::vector<uint64_t> readyMask;
  std::vector<std::pair<uint32_t, uint32_t>> ready;
  std::vector<unsigned> cwLeg, ccwLeg;
  fsedp::Decision result;
};

} // namespace moesaic::dataflow

#endif // MOESAIC_RUNTIME_DATAFLOW_FSEDPINTERPRETER_H
