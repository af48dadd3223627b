//===- StreamEmitter.cpp - FSE-DP MoE layer as simulator tasks ------------===//

#include "moesaic/Runtime/FseDp/StreamEmitter.h"

#include "StreamBuffers.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

using namespace moesaic;
using namespace moesaic::fsedp;
using namespace moesaic::perf;

namespace {
/// The last two consumers of a double buffer: a new granule may enter
/// once the granule two before it has been consumed.
struct DoubleBuffer {
  std::array<std::vector<TaskId>, 2> slot;
  unsigned next = 0;
  /// Tasks that must end before the next granule enters.
  const std::vector<TaskId> &waitFor() const { return slot[next]; }
  /// Records the consumers of the granule that just entered.
  void push(std::vector<TaskId> consumers) {
    slot[next] = std::move(consumers);
    next ^= 1;
  }
};
} // namespace

std::vector<TaskId> fsedp::emitStreamedExperts(
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

  // Granules per shard from the task budget.
  std::vector<uint8_t> occ(2 * n);
  int64_t perGranule = 0;
  for (const ExpertDecision &d : decision.experts) {
    TrajectoryScheduler::occupancy(n, d.arcStart, d.arcLen, d.cwGap,
                                   occ.data(), d.split);
    int64_t hops = 0;
    for (uint8_t o : occ)
      hops += o;
    perGranule += n + hops + (int64_t)n * __builtin_popcountll(d.holders);
  }
  int64_t granules = std::min<int64_t>(plan.chunksPerShard,
                                       options.maxGranules);
  if (perGranule > 0)
    granules = std::max<int64_t>(
        1, std::min<int64_t>(granules, options.taskBudget / perGranule));
  const double granuleBytes = (double)plan.shardBytes / granules;
  const double flopsPerTokenGranule =
      plan.expertFlopsPerToken / n / granules;
  if (stats)
    stats->granulesPerShard = granules;

  // Stream buffers: allocated when the layer starts on each chiplet.
  const int64_t bufferBytes = plan.bufferBytes;
  const std::string buffersLabel = "L" + std::to_string(layer.index) + " stream buffers";
  StreamBuffers buffers =
      allocateStreamBuffers(graph, phys, ready, bufferBytes, buffersLabel);
  const std::vector<TaskId> &start = buffers.start;
  std::vector<std::vector<TaskId>> &touched = buffers.touched;

  auto add = [&](Task t, const std::vector<TaskId> &deps) {
    return options.add ? options.add(t, deps) : graph.add(t, deps);
  };
  std::vector<DoubleBuffer> ownBuf(n);
  std::vector<unsigned> cwLeg, ccwLeg;
  std::vector<TaskId> deps;
  // Rule V5: granules in the order each chiplet's DRAM takes them, which
  // is also their priority on every resource. Interleaved: granule g of
  // every expert (in the decision's order) before granule g + 1, so all
  // streams advance together and their shards spread over the links;
  // sequential: expert by expert. Each home's double buffer follows this
  // order.
  const int64_t numDecided = decision.experts.size();
  std::vector<uint32_t> labels(numDecided); // interned once per expert
  for (int64_t i = 0; i < numDecided; ++i)
    labels[i] = graph.setLabel("L" + std::to_string(layer.index) +
                               " expert " +
                               std::to_string(decision.experts[i].expert) +
                               " stream");
  for (int64_t step = 0; step < numDecided * granules; ++step) {
    int64_t order = plan.interleavedLoads ? step % numDecided
                                          : step / granules;
    const ExpertDecision &d = decision.experts[order];
    graph.setLabelId(labels[order]);
    int32_t priority = (int32_t)step;
    for (unsigned h = 0; h < n; ++h) {
      TrajectoryScheduler::shardPath(n, d.arcStart, d.arcLen, d.cwGap, h,
                                     cwLeg, ccwLeg, d.split);
      bool homeHolds = d.holders >> h & 1;
      if (cwLeg.empty() && ccwLeg.empty() && !homeHolds)
        continue; // nobody needs this shard (cannot happen with holders)
      // Load the granule into the home's own double buffer.
      deps.assign({start[h]});
      deps.insert(deps.end(), ownBuf[h].waitFor().begin(),
                  ownBuf[h].waitFor().end());
      Task load;
      load.kind = TaskKind::Load;
      load.device = phys[h];
      load.bytes = granuleBytes;
      load.priority = priority;
      TaskId loaded = add(load, deps);
      touched[h].push_back(loaded);
      std::vector<TaskId> ownConsumers;
      auto computeAt = [&](unsigned p, TaskId after) -> TaskId {
        unsigned tokens = sched.tokensAt(d, p);
        Task compute;
        compute.kind = TaskKind::Compute;
        compute.device = phys[p];
        compute.flops = tokens * flopsPerTokenGranule;
        compute.tflops = system.devices[phys[p]].peakFor(layer.actType);
        compute.priority = priority;
        TaskId c = add(compute, {after});
        touched[p].push_back(c);
        return c;
      };
      if (homeHolds)
        ownConsumers.push_back(computeAt(h, loaded));
      // Each leg: hop by hop, computing wherever the granule meets tokens.
      // The granule leaves the home's buffer with the first hop of each
      // leg; relays forward store-and-forward, their queues bounded by
      // the links' serialisation (docs/fse-dp.md, "Simulation").
      for (int dir = 0; dir < 2; ++dir) {
        const std::vector<unsigned> &leg = dir == 0 ? cwLeg : ccwLeg;
        unsigned at = h;
        TaskId have = loaded;
        for (size_t i = 0; i < leg.size(); ++i) {
          unsigned to = leg[i];
          Task t;
          t.kind = TaskKind::Transfer;
          t.device = phys[at];
          t.dst = phys[to];
          t.bytes = granuleBytes;
          t.priority = priority;
          TaskId moved = add(t, {have});
          touched[at].push_back(moved);
          touched[to].push_back(moved);
          if (i == 0)
            ownConsumers.push_back(moved);
          if (d.holders >> to & 1)
            computeAt(to, moved);
          if (stats) {
            ++stats->transfers;
            stats->byteHops += granuleBytes;
          }
          have = moved;
          at = to;
        }
      }
      if (ownConsumers.empty())
        ownConsumers.push_back(loaded);
      ownBuf[h].push(std::move(ownConsumers));
    }
  }

  // Buffers freed when the chiplet's last stream task ends.
  releaseStreamBuffers(graph, phys, buffers, bufferBytes, buffersLabel, done);
  return done;
}
