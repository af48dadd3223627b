//===- FseDpPlan.h - FSE-DP static decisions and runtime tables --*- C++ -*-===//
//
// What the compile half of FSE-DP decides and the runtime half reads: the
// ring embedding (rule V1), and per MoE layer the shard layout (rule V2),
// the chunk size of the streams, the stream buffers, and the tick constants
// of the runtime scheduler (TrajectoryScheduler.h). The passes compute it
// with `planLayer` and record it in `hw.stream_*` ops, which export it
// into the schedule JSON (`--schedule`); the runtime reloads it with
// `planFromSchedule`.
//
// Shard granularity rule (docs/fse-dp.md, "Buffer sizing"):
//   shard  = ceil(expert_bytes / N)                (one slice per chiplet)
//   budget = floor(onchip_bytes * buffer_fraction) (stream buffers' share)
//   chunk_max = budget / kStreamBuffers            (SRAM bound)
//   chunk_min = kMinChunkHops * link latency * link bandwidth
//                                                   (latency amortisation)
//   chunk  = min(shard, chunk_max, max(chunk_min, ceil(shard / (2N))))
// `kStreamBuffers` = 6 slots per chiplet: its own shard's load and each of
// the two ring directions' incoming stream, each double buffered. A layer
// whose min(shard, chunk_min) chunk does not fit is refused, naming the
// layer and the shortfall.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_FSEDP_FSEDPPLAN_H
#define MOESAIC_RUNTIME_FSEDP_FSEDPPLAN_H

#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Runtime/FseDp/RingEmbedding.h"
#include "moesaic/Runtime/FseDp/TrajectoryScheduler.h"
#include "moesaic/Target/SystemModel.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moesaic::fsedp {

/// Stream buffer slots per chiplet: own load x2, clockwise in x2,
/// counter-clockwise in x2.
constexpr int64_t kStreamBuffers = 6;
/// A chunk's transfer lasts at least this many link latencies.
constexpr int64_t kMinChunkHops = 16;
/// Ticks of one chunk crossing one D2D hop.
constexpr uint32_t kLinkTicksPerChunk = 16;
/// Rule V5's load orders as the IR (`hw.stream_schedule ... loads`), the
/// pass option and the schedule JSON spell them.
constexpr llvm::StringLiteral kLoadsInterleaved = "interleaved";
constexpr llvm::StringLiteral kLoadsSequential = "sequential";
inline bool isLoadOrder(llvm::StringRef s) {
  return s == kLoadsInterleaved || s == kLoadsSequential;
}
/// Rule V6's holder policies for replicated tokens (`hw.stream_schedule
/// ... holders`, the pass option, the schedule JSON): `split` lets the
/// runtime cut the ring into segments whose holders share an expert's
/// shards; `single` keeps one holder per expert (rule V4 alone).
constexpr llvm::StringLiteral kHoldersSplit = "split";
constexpr llvm::StringLiteral kHoldersSingle = "single";
inline bool isHolderPolicy(llvm::StringRef s) {
  return s == kHoldersSplit || s == kHoldersSingle;
}

struct ShardRule {
  /// Share of each chiplet's SRAM given to stream buffers.
  double bufferFraction = 0.5;
};

/// One MoE layer's static FSE-DP decisions.
struct LayerPlan {
  int64_t layer = 0;            ///< transformer layer index
  int64_t numExperts = 0;
  int64_t expertBytes = 0;
  int64_t shardBytes = 0;       ///< per chiplet, per expert
  int64_t chunkBytes = 0;
  int64_t chunksPerShard = 0;
  int64_t bufferBytes = 0;      ///< kStreamBuffers * chunkBytes
  double expertFlopsPerToken = 0;
  /// Runtime scheduler constants.
  uint32_t linkTicksPerChunk = kLinkTicksPerChunk;
  uint32_t dramTicksPerChunk = kLinkTicksPerChunk;
  uint32_t computeTicksPerTokenChunk = 0;
  /// Microseconds per tick (one chunk over one hop / kLinkTicksPerChunk).
  double usPerTick = 0;
  /// Rule V5: each chiplet's DRAM takes granule g of every active expert
  /// (in the decision's order) before granule g + 1; false: expert by
  /// expert.
  bool interleavedLoads = true;
  /// Rule V6: with replicated tokens, experts may be split over several
  /// holders (SchedulerConfig::splitHolders).
  bool splitHolders = true;

  SchedulerConfig schedulerConfig(unsigned numChiplets) const;
};

struct Plan {
  RingEmbedding ring;
  /// Device names of the ring, for the JSON (logical order).
  std::vector<std::string> chiplets;
  double bufferFraction = 0.5;
  std::vector<LayerPlan> layers;
  /// Max over layers of bufferBytes.
  int64_t streamBufferBytes() const;
};

/// Sizes one layer's shards and stream buffers on `system` (rule above).
/// Errors name the layer and the shortfall in bytes.
llvm::Expected<LayerPlan> planLayer(const MoeLayerDesc &layer,
                                    const SystemModel &system,
                                    const RingEmbedding &ring,
                                    const ShardRule &rule = {});

/// The whole plan of a model on a chiplet system.
llvm::Expected<Plan> planModel(const ModelDesc &model,
                               const SystemModel &system,
                               const ShardRule &rule = {});

/// Empty when a decision of `experts` experts of `chunks` chunks per shard
/// on a ring of `chiplets`, at `linkTicks` / `dramTicks` / `computeTicks`
/// per chunk, stays below 2^32 ticks (TrajectoryScheduler's ticks are
/// 32-bit: past that they would wrap and streams end before they start);
/// else what is wrong, with the bound. Checked where a plan is born
/// (planLayer, planFromSchedule) and by hw.stream_schedule's verifier.
std::string tickRangeProblem(int64_t experts, int64_t chunks,
                             long double linkTicks, long double dramTicks,
                             long double computeTicks, unsigned chiplets);

/// The FSE-DP entries of a schedule JSON's "layers" array, with the keys
/// the hw.stream_* ops export: {"index": -1, "stream_ring": {"rule",
/// "order"}} and per MoE layer {"index": L, "stream_shards": {...},
/// "stream_schedule": {...}} (docs/fse-dp.md, "Schedule JSON").
llvm::json::Array scheduleLayers(const Plan &plan);

/// Reads the plan back from a schedule JSON object (its "layers" array),
/// re-verifying the ring (rule V1) on `system` and matching every MoE layer
/// of `model`. Errors name the layer and the key.
llvm::Expected<Plan> planFromSchedule(const llvm::json::Object &schedule,
                                      const SystemModel &system,
                                      const ModelDesc &model);

} // namespace moesaic::fsedp

#endif // MOESAIC_RUNTIME_FSEDP_FSEDPPLAN_H
