//===- CoarseStreamEmitter.h - FSE-DP MoE layer as busy intervals -*- C++ -*-===//
//
// The coarse task granularity of the FSE-DP runtime (moe-opt
// --task-granularity=coarse, docs/fse-dp.md "Task granularity"): one MoE
// layer's decision (TrajectoryScheduler) as a few tasks per busy resource
// instead of one per shard granule and hop (StreamEmitter.h). Each
// resource's work in the layer is summed over the active experts and split
// into `options.coarseWaves` equal waves (default 6); per wave w:
//   - per ring chiplet, one Load of its share of every shard its DRAM
//     streams in the layer, after the layer's stream buffers are allocated;
//   - per directed ring link, one Transfer of its share of every shard
//     crossing it (rule V3 paths), after wave w of the Load of the link's
//     source chiplet;
//   - per holder chiplet, one Compute of its share of every expert's work
//     on its tokens, after its own wave-w Load and every wave-w Transfer
//     into it.
// Each chiplet's DRAM and compute engine and each link carry exactly the
// bytes and FLOPs the fine emission gives them (FseDpCoarseStreamTest
// checks it), so no resource's work shrinks; links pay their fixed latency
// once per wave instead of once per granule and hop. What changes is the
// overlap: the three stages form a `waves`-deep pipeline instead of one per
// granule (later), and a relay forwards without waiting for the shard to
// reach it, store-and-forward along the arc being dropped (earlier);
// docs/performance.md measures the net difference. About 4 x waves + 2
// tasks per chiplet and layer instead of hundreds to thousands.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_FSEDP_COARSESTREAMEMITTER_H
#define MOESAIC_RUNTIME_FSEDP_COARSESTREAMEMITTER_H

#include "moesaic/Runtime/FseDp/StreamEmitter.h"

namespace moesaic::fsedp {

/// Emits the MoE experts of one layer as per-resource busy intervals.
/// Arguments and result as emitStreamedExperts (StreamEmitter.h);
/// `options.taskBudget` and `options.maxGranules` do not apply;
/// `options.coarseWaves` sets the waves; stats count the waves as granules
/// per shard.
std::vector<perf::TaskId> emitStreamedExpertsCoarse(
    perf::TaskGraph &graph, const SystemModel &system,
    const RingEmbedding &ring, const LayerPlan &plan,
    const MoeLayerDesc &layer, const TrajectoryScheduler &sched,
    const Decision &decision, const std::vector<perf::TaskId> &ready,
    const StreamEmitOptions &options = {}, StreamEmitStats *stats = nullptr);

} // namespace moesaic::fsedp

#endif // MOESAIC_RUNTIME_FSEDP_COARSESTREAMEMITTER_H
