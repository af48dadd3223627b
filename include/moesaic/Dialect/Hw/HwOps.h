//===- HwOps.h - Operations of the hw dialect -------------------*- C++ -*-===//

#ifndef MOESAIC_DIALECT_HW_HWOPS_H
#define MOESAIC_DIALECT_HW_HWOPS_H

#include "moesaic/Dialect/Hw/HwDialect.h"
#include "moesaic/Dialect/Hw/HwInterfaces.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/IR/SymbolTable.h"

#include "Hw/HwEnums.h.inc"

#define GET_OP_CLASSES
#include "Hw/HwOps.h.inc"

namespace moesaic::hw::detail {
/// The checks of a schedule's streaming ops against each other and the
/// target (HwStreamOps.cpp): one hw.stream_ring, a valid ring embedding,
/// shards homed in the ring's order on the target's devices, and every
/// hw.stream_schedule reading its layer's shards with buffers of one chunk
/// that fit each home's SRAM. Made once per schedule by its region
/// verifier.
mlir::LogicalResult verifyStreamLayers(ScheduleOp schedule);
} // namespace moesaic::hw::detail

#endif // MOESAIC_DIALECT_HW_HWOPS_H
