//===- CoarseStreamEmitter.cpp - FSE-DP MoE layer as busy intervals -------===//

#include "moesaic/Runtime/FseDp/CoarseStreamEmitter.h"

#include "StreamBuffers.h"

#include <algorithm>
#include <string>

using namespace moesaic;
using namespace moesaic::fsedp;
using namespace moesaic::perf;

std::vector<TaskId> fsedp::emitStreamedExpertsCoarse(
    TaskGraph &graph, const SystemModel &system, const RingEmbedding &ring,
    const LayerPlan &plan, const MoeLayerDesc &layer,
    const TrajectoryScheduler &sched, const Decision &decision,
    const std::vector<TaskId> &ready, const StreamEmitOptions &options,
    StreamEmitStats *stats) {
  const unsigned n = ring.size();
  const std::vector<unsigned> &phys = ring.logicalToPhysical;
  std::vector<TaskId> done(ready);
  graph.setLayer(layer.index);
  graph.setPhase(Phase::Moe);
  if (stats)
    stats->granulesPerShard = std::max(1u, options.coarseWaves);

  // What each resource carries in the layer: the same shard paths and
  // holder work as the fine emission, summed.
  std::vector<double> loadShards(n, 0), linkShards(2 * n, 0), flops(n, 0);
  std::vector<unsigned> cwLeg, ccwLeg;
  for (const ExpertDecision &d : decision.experts) {
    for (unsigned h = 0; h < n; ++h) {
      TrajectoryScheduler::shardPath(n, d.arcStart, d.arcLen, d.cwGap, h,
                                     cwLeg, ccwLeg, d.split);
      bool homeHolds = d.holders >> h & 1;
      if (cwLeg.empty() && ccwLeg.empty() && !homeHolds)
        continue;
      loadShards[h] += 1;
      // Link l < n: p -> p+1 (clockwise); n + p: p -> p-1.
      unsigned at = h;
      for (unsigned to : cwLeg) {
        linkShards[at] += 1;
        at = to;
      }
      at = h;
      for (unsigned to : ccwLeg) {
        linkShards[n + at] += 1;
        at = to;
      }
    }
    // A holder computes on the shards it receives: all of them, or its
    // segment's 1 / split of them (rule V6).
    for (unsigned p = 0; p < n; ++p)
      if (d.holders >> p & 1)
        flops[p] += sched.tokensAt(d, p) * plan.expertFlopsPerToken / d.split;
  }

  const int64_t bufferBytes = plan.bufferBytes;
  const std::string prefix = "L" + std::to_string(layer.index);
  const std::string buffersLabel = prefix + " stream buffers";
  StreamBuffers buffers =
      allocateStreamBuffers(graph, phys, ready, bufferBytes, buffersLabel);
  const std::vector<TaskId> &start = buffers.start;
  std::vector<std::vector<TaskId>> &touched = buffers.touched;
  auto add = [&](Task t, const std::vector<TaskId> &deps) {
    return options.add ? options.add(t, deps) : graph.add(t, deps);
  };

  graph.setLabel(prefix + " expert streams (coarse)");
  // Each resource's work in `waves` equal parts, wave w of a link after
  // wave w of its source's DRAM and wave w of a compute after wave w of
  // its inputs, so the three stages overlap as a `waves`-deep pipeline.
  const unsigned waves = std::max(1u, options.coarseWaves);
  const double shardBytes = (double)plan.shardBytes / waves;
  std::vector<TaskId> loaded(n);
  std::vector<std::vector<TaskId>> arriving(n);
  std::vector<TaskId> deps;
  for (unsigned w = 0; w < waves; ++w) {
    for (unsigned p = 0; p < n; ++p) {
      loaded[p] = start[p];
      if (loadShards[p] == 0)
        continue;
      Task load;
      load.kind = TaskKind::Load;
      load.device = phys[p];
      load.bytes = loadShards[p] * shardBytes;
      load.priority = (int32_t)w;
      loaded[p] = add(load, {start[p]});
      touched[p].push_back(loaded[p]);
    }
    for (unsigned p = 0; p < n; ++p)
      arriving[p].clear();
    for (unsigned l = 0; l < 2 * n; ++l) {
      if (linkShards[l] == 0)
        continue;
      unsigned from = l % n;
      unsigned to = l < n ? (from + 1) % n : (from + n - 1) % n;
      Task t;
      t.kind = TaskKind::Transfer;
      t.device = phys[from];
      t.dst = phys[to];
      t.bytes = linkShards[l] * shardBytes;
      t.priority = (int32_t)w;
      TaskId moved = add(t, {loaded[from]});
      touched[from].push_back(moved);
      touched[to].push_back(moved);
      arriving[to].push_back(moved);
      if (stats) {
        stats->transfers += 1;
        stats->byteHops += t.bytes;
      }
    }
    for (unsigned p = 0; p < n; ++p) {
      if (flops[p] == 0)
        continue;
      deps = arriving[p];
      deps.push_back(loaded[p]);
      Task compute;
      compute.kind = TaskKind::Compute;
      compute.device = phys[p];
      compute.flops = flops[p] / waves;
      compute.tflops = system.devices[phys[p]].peakFor(layer.actType);
      compute.priority = (int32_t)w;
      touched[p].push_back(add(compute, deps));
    }
  }

  releaseStreamBuffers(graph, phys, buffers, bufferBytes, buffersLabel, done);
  return done;
}
