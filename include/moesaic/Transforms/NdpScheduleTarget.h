//===- NdpScheduleTarget.h - What the GPU-NDP passes work on ----*- C++ -*-===//
//
// The GPU-NDP passes fill the last `hw.schedule` of the module; they need
// its target as a SystemModel (checked to be a gpu-ndp system) and its
// model as a ModelDesc. `getNdpScheduleTarget` finds them and reports a
// missing or unsuitable piece as one error naming the pass.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_TRANSFORMS_NDPSCHEDULETARGET_H
#define MOESAIC_TRANSFORMS_NDPSCHEDULETARGET_H

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Target/SystemModel.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace moesaic {

struct NdpScheduleTarget {
  mutable hw::ScheduleOp schedule;
  mutable hw::SystemOp systemOp;
  SystemModel system;
  ModelDesc model;

  /// Symbol reference of device `index` of the system.
  mlir::FlatSymbolRefAttr deviceRef(unsigned index) const;
  /// Appends `op` at the end of the schedule body.
  mlir::OpBuilder builderAtEnd() const;
};

/// The schedule `passArg` fills and its gpu-ndp target; fails with an error
/// naming `passArg` when there is no schedule, its system is not a gpu-ndp
/// system, or the model cannot be described.
mlir::FailureOr<NdpScheduleTarget> getNdpScheduleTarget(mlir::ModuleOp module,
                                                        llvm::StringRef passArg);

} // namespace moesaic

#endif // MOESAIC_TRANSFORMS_NDPSCHEDULETARGET_H
