//===- MoeModelDesc.h - moe.model -> ModelDesc ------------------*- C++ -*-===//
//
// Reads a `moe.model` into the plain description the performance model and
// the report use (moesaic/Model/ModelDesc.h), and the report's "model"
// section from it.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DIALECT_MOE_MOEMODELDESC_H
#define MOESAIC_DIALECT_MOE_MOEMODELDESC_H

#include "moesaic/Dialect/Moe/MoeOps.h"
#include "moesaic/Model/ModelDesc.h"

namespace moesaic::moe {

/// Describes `model`. Fails (with a diagnostic on the op) on IR the cost
/// model cannot read, e.g. an `moe.experts` without its router.
mlir::FailureOr<ModelDesc> describeModel(ModelOp model);

/// The first moe.model in `module`, if any.
ModelOp findModel(mlir::Operation *module);

/// The data type name the cost model uses for an MLIR type ("bf16", "int4").
std::string dtypeName(mlir::Type type);

} // namespace moesaic::moe

#endif // MOESAIC_DIALECT_MOE_MOEMODELDESC_H
