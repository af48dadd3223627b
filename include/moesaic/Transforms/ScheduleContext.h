//===- ScheduleContext.h - What a schedule-filling pass works on -*- C++ -*-===//
//
// The passes that fill a `hw.schedule` (after moe-create-schedule) all need
// the same things: the schedule being built (the last one in the module),
// its model and system as IR and as plain descriptions, and the
// accelerators as symbol references. `getScheduleContext` finds them and
// reports a missing piece as one error on the module.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_TRANSFORMS_SCHEDULECONTEXT_H
#define MOESAIC_TRANSFORMS_SCHEDULECONTEXT_H

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Dialect/Moe/MoeOps.h"
#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Target/SystemModel.h"

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

} // namespace moesaic

#endif // MOESAIC_TRANSFORMS_SCHEDULECONTEXT_H
