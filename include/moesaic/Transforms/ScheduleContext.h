//===- ScheduleContext.h - What a schedule-filling pass works on -*- C++ -*-===//
//
// The passes that fill a `hw.schedule` (after moe-create-schedule) all need
// the same things: the schedule being built (the last one in the module),
// its model and system as IR and as plain descriptions, and the
// accelerators as symbol references. `getScheduleContext` finds them and
// reports a missing piece as one error on the module. Passes that look at
// the workload (eplb, ER-Mapping, the GPU-NDP VRAM plan) read it with
// `getPassWorkload`.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_TRANSFORMS_SCHEDULECONTEXT_H
#define MOESAIC_TRANSFORMS_SCHEDULECONTEXT_H

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Dialect/Moe/MoeOps.h"
#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Target/SystemModel.h"
#include "moesaic/Workload/Workload.h"

#include "mlir/IR/BuiltinOps.h"

namespace moesaic {

struct ScheduleContext {
  mutable hw::ScheduleOp schedule;
  hw::SystemOp systemOp;
  moe::ModelOp modelOp;
  SystemModel system;
  ModelDesc model;
  /// The accelerators (SystemModel::acceleratorDevices) as symbols.
  llvm::SmallVector<mlir::Attribute> accelerators;

  /// Symbol reference of device `index` of the system.
  mlir::FlatSymbolRefAttr deviceRef(unsigned index) const;
  mlir::ArrayAttr acceleratorArray() const;
};

/// The schedule `passArg` fills: the last hw.schedule of `module`. Fails
/// with an error naming `passArg` when there is none or its model/system
/// cannot be described.
mlir::FailureOr<ScheduleContext> getScheduleContext(mlir::ModuleOp module,
                                                    llvm::StringRef passArg);

/// The workload a pass observes: `option` when given, else the module's
/// `moesaic.workload` attribute (which --strategy/--compare set from
/// --workload); empty text when neither.
std::string passWorkloadText(mlir::ModuleOp module, llvm::StringRef option);

/// A workload spec and the gating trace it gives for a model.
struct PassWorkload {
  WorkloadSpec spec;
  GatingTrace trace;
};

/// Parses `text` and builds its trace for `model`, with at most `maxSteps`
/// steps when positive; a bad spec or trace is one error on `module`:
/// "<passArg>: workload '<text>': <reason>".
mlir::FailureOr<PassWorkload> getPassWorkload(mlir::ModuleOp module,
                                              llvm::StringRef passArg,
                                              llvm::StringRef text,
                                              const ModelDesc &model,
                                              int64_t maxSteps = 0);

} // namespace moesaic

#endif // MOESAIC_TRANSFORMS_SCHEDULECONTEXT_H
