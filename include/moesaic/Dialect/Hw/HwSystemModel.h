//===- HwSystemModel.h - hw.system <-> SystemModel --------------*- C++ -*-===//
//
// The bridge between the IR and the target model: `buildSystemModel` reads a
// `hw.system` into the C++ class every analysis queries (reporting problems
// as diagnostics on the offending op), and `emitSystem` writes a model back
// as IR, keeping topology shorthands as `hw.topology` ops.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DIALECT_HW_HWSYSTEMMODEL_H
#define MOESAIC_DIALECT_HW_HWSYSTEMMODEL_H

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Target/SystemModel.h"

#include "mlir/IR/Builders.h"
#include "mlir/Support/LogicalResult.h"

namespace moesaic::hw {

/// Builds and finalizes the target model of `system`. Emits an error on the
/// offending op and fails when the system is inconsistent.
mlir::FailureOr<SystemModel> buildSystemModel(SystemOp system);

/// The checks of buildSystemModel without building the route tables (the
/// hw.system verifier: O(links), where the tables cost O(devices^2)).
mlir::LogicalResult verifySystemModel(SystemOp system);

/// Emits `model` as a hw.system at the builder's insertion point. Symbol
/// names are the model's device names; the system's symbol is the model's
/// name with '-' turned into '_'.
SystemOp emitSystem(mlir::OpBuilder &builder, mlir::Location loc,
                    const SystemModel &model);

/// The symbol a system named `name` gets in IR.
std::string systemSymbolName(llvm::StringRef name);

/// The first hw.system in `module`, if any.
SystemOp findSystem(mlir::Operation *module);

} // namespace moesaic::hw

#endif // MOESAIC_DIALECT_HW_HWSYSTEMMODEL_H
