//===- WaferPlacement.h - What the wafer passes share -----------*- C++ -*-===//
//
// Helpers of the wafer passes (lib/Transforms/Wafer*.cpp): checking that a
// schedule targets a wafer and the model fits, and writing a WaferLayout
// into the schedule as hw.wafer_rings + hw.wafer_experts.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_TRANSFORMS_WAFERPLACEMENT_H
#define MOESAIC_TRANSFORMS_WAFERPLACEMENT_H

#include "moesaic/Runtime/Wafer/ERMapping.h"
#include "moesaic/Transforms/ScheduleContext.h"

namespace moesaic {

/// The schedule context of a wafer pass, after checking that the target is
/// a wafer mesh, the model has MoE layers, the schedule has no wafer
/// placement yet (`needPlacement` false: that it has one) and the model
/// fits (WaferShape). Emits one error naming `passArg` otherwise.
struct WaferContext {
  ScheduleContext ctx;
  wafer::WaferShape shape;
};
mlir::FailureOr<WaferContext> getWaferContext(mlir::ModuleOp module,
                                              llvm::StringRef passArg,
                                              int64_t ringSize,
                                              bool needPlacement);

/// Appends hw.wafer_rings and hw.wafer_experts for `layout` to the schedule.
void emitWaferLayout(const ScheduleContext &ctx,
                     const wafer::WaferLayout &layout,
                     llvm::ArrayRef<mlir::NamedAttribute> costAttrs = {});

} // namespace moesaic

#endif
