//===- HwInterfaces.h - Interfaces of the hw dialect ------------*- C++ -*-===//
//
// ScheduleEntryOpInterface (dialects/Hw/HwInterfaces.td): how a schedule op
// writes itself into the schedule JSON.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DIALECT_HW_HWINTERFACES_H
#define MOESAIC_DIALECT_HW_HWINTERFACES_H

#include "mlir/IR/OpDefinition.h"
#include "llvm/Support/JSON.h"

#include "Hw/HwInterfaces.h.inc"

#endif // MOESAIC_DIALECT_HW_HWINTERFACES_H
