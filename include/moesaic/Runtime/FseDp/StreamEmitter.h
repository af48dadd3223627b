//===- StreamEmitter.h - FSE-DP MoE layer as simulator tasks ----*- C++ -*-===//
//
// Turns one MoE layer's runtime decision (TrajectoryScheduler) into tasks
// for the simulator (moesaic/Perf/TaskGraph.h), the way the hardware runs
// it:
//   - at the layer's start every ring chiplet allocates its stream buffers
//     (kStreamBuffers x chunk bytes, sized at compile time) and frees them
//     when its last stream task ends;
//   - per expert in the decided order, per shard home, per granule: a Load
//     from the home chiplet's DRAM; D2D Transfers hop by hop along the
//     shard's arc legs (rule V3); a Compute on every holder the granule
//     reaches, for that holder's tokens (tokens never move);
//   - double buffering: a chiplet loads granule k of its own shards only
//     after granule k-2 has left it (and been computed there), so DRAM
//     runs at most two granules ahead of the links; relays forward
//     store-and-forward, their queues bounded by link serialisation.
// A granule is `chunksPerGranule` hardware chunks: the simulator moves a
// granule per task (bounding the task count), the hardware streams it
// through its chunk buffers; docs/fse-dp.md discusses the approximation.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_FSEDP_STREAMEMITTER_H
#define MOESAIC_RUNTIME_FSEDP_STREAMEMITTER_H

#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Perf/TaskGraph.h"
#include "moesaic/Runtime/FseDp/FseDpPlan.h"
#include "moesaic/Runtime/FseDp/TrajectoryScheduler.h"
#include "moesaic/Target/SystemModel.h"

#include <functional>
#include <vector>

namespace moesaic::fsedp {

struct StreamEmitOptions {
  /// Adds a Load/Transfer/Compute task (e.g. a strategy emitter that
  /// records analytic stages); null: TaskGraph::add.
  std::function<perf::TaskId(perf::Task, const std::vector<perf::TaskId> &)>
      add;
  /// Upper bound on stream tasks per layer; granules per shard shrink to
  /// stay under it (at least one granule per shard).
  int64_t taskBudget = 24000;
  /// Granules per shard never exceed this.
  int64_t maxGranules = 8;
  /// Coarse emission only (CoarseStreamEmitter.h): each resource's busy
  /// interval is split into this many pipelined waves. The fill and drain
  /// of the waves are what coarse adds over fine; 6 keeps coarse within
  /// 9 % of fine on the 150 fse_dp_compare rows (geomean 1.043) with 13x
  /// fewer tasks (docs/fse-dp.md, "Task granularity").
  unsigned coarseWaves = 6;
};

struct StreamEmitStats {
  int64_t granulesPerShard = 0;
  int64_t transfers = 0;
  double byteHops = 0;
};

/// Emits the MoE experts of one layer. `ready[d]` (per SystemModel device)
/// is the task after which device d may start; returns per device the task
/// ending its part of the layer (its last compute, and its buffers freed).
/// `tokensAt(i, p)` come from `sched` (the decision it last returned).
std::vector<perf::TaskId>
emitStreamedExperts(perf::TaskGraph &graph, const SystemModel &system,
                    const RingEmbedding &ring, const LayerPlan &plan,
                    const MoeLayerDesc &layer,
                    const TrajectoryScheduler &sched, const Decision &decision,
                    const std::vector<perf::TaskId> &ready,
                    const StreamEmitOptions &options = {},
                    StreamEmitStats *stats = nullptr);

} // namespace moesaic::fsedp

#endif // MOESAIC_RUNTIME_FSEDP_STREAMEMITTER_H
