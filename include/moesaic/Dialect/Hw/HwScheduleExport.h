//===- HwScheduleExport.h - hw.schedule -> schedule JSON --------*- C++ -*-===//
//
// The static schedule as JSON (schema "moesaic.schedule/1"), what
// `--schedule` writes and what a strategy's runtime loads
// (moesaic/Perf/StrategyRuntime.h):
//
//   { "schema": "moesaic.schedule/1", "strategy": "ep", "model": "tiny_moe",
//     "target": "edge-chiplet-4", "symbol": "ep_plan",
//     "layers": [ { "index": 0,
//                   "dense": [ {"what": "attention", "devices": ["c0", ...],
//                               "mode": "data"} ],
//                   "expert_placement": [["c0"], ["c1", "c3"], ...],
//                   "expert_shards": {"devices": [...], "shard_bytes": N},
//                   ... } ] }
//
// Each op of the schedule body writes its own keys through
// ScheduleEntryOpInterface; an op without the interface is an error, so a
// family's new op cannot be silently dropped from the runtime's input.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DIALECT_HW_HWSCHEDULEEXPORT_H
#define MOESAIC_DIALECT_HW_HWSCHEDULEEXPORT_H

#include "moesaic/Dialect/Hw/HwOps.h"

#include "llvm/Support/JSON.h"

namespace moesaic::hw {

/// Exports `schedule`; emits an error on the offending op and fails when a
/// body op does not implement ScheduleEntryOpInterface.
mlir::FailureOr<llvm::json::Object> exportSchedule(ScheduleOp schedule);

/// The device names of a list of device symbol references.
llvm::json::Array deviceNames(mlir::ArrayAttr devices);

/// The schedule of `strategy` in `module` (the last one if several), or null.
ScheduleOp findSchedule(mlir::Operation *module, llvm::StringRef strategy);

} // namespace moesaic::hw

#endif // MOESAIC_DIALECT_HW_HWSCHEDULEEXPORT_H
