//===- MoeOps.h - Types and operations of the moe dialect -------*- C++ -*-===//

#ifndef MOESAIC_DIALECT_MOE_MOEOPS_H
#define MOESAIC_DIALECT_MOE_MOEOPS_H

#include "moesaic/Dialect/Moe/MoeDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Moe/MoeEnums.h.inc"

#define GET_TYPEDEF_CLASSES
#include "Moe/MoeTypes.h.inc"

#define GET_OP_CLASSES
#include "Moe/MoeOps.h.inc"

#endif // MOESAIC_DIALECT_MOE_MOEOPS_H
