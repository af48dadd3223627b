//===- FseDpPlan.h - FSE-DP static decisions and runtime tables --*- C++ -*-===//
//
// What the compile half of FSE-DP decides and the runtime half reads: the
// ring embedding (rule V1), and per MoE layer the shard layout (rule V2),
// the chunk size of the streams, the stream buffers, and the tick constants
// of the runtime scheduler (TrajectoryScheduler.h). The passes compute it
// with `planLayer`, record it in `hw.stream_*` ops, and the schedule JSON
// carries `toJSON`'s output under "fse_dp"; the runtime reloads it with
// `planFromJSON`.
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

/// The "fse_dp" object of the schedule JSON (static decisions + tables).
llvm::json::Object toJSON(const Plan &plan);
/// Reads it back, checking it against `system` (ring rule V1 re-verified).
llvm::Expected<Plan> planFromJSON(const llvm::json::Object &object,
                                  const SystemModel &system);

} // namespace moesaic::fsedp

#endif // MOESAIC_RUNTIME_FSEDP_FSEDPPLAN_H
