//===- DfOps.h - when/where dataflow dialect ---------------------*- C++ -*-===//
//
// The `df` dialect (dialects/Df/*.td, docs/dataflow.md): programs of `where`
// routing nodes and `when` threshold nodes.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DIALECT_DF_DFOPS_H
#define MOESAIC_DIALECT_DF_DFOPS_H

#include "moesaic/Dialect/Hw/HwInterfaces.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"

#include "llvm/Support/JSON.h"

#include "Df/DfDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "Df/DfTypes.h.inc"

#define GET_OP_CLASSES
#include "Df/DfOps.h.inc"

namespace moesaic::df {
/// The program as JSON (docs/dataflow.md, "JSON form"): what
/// ProgramOp::exportTo writes under "dataflow" and what the interpreter
/// (moesaic/Runtime/Dataflow/Interpreter.h) loads.
llvm::json::Object programToJson(ProgramOp program);

/// The name of layer `layer`'s fse-dp program ("fsedp.layer<L>"), which the
/// layer's df.program or df.program_ref carries.
std::string fseDpProgramName(int64_t layer);

/// Builds at `b`'s insertion point the program of one fse-dp layer on a ring
/// of `chiplets`, `experts` experts, `chunks` chunks per shard (the form
/// moe-df-lower-fsedp documents).
ProgramOp buildFseDpProgram(mlir::OpBuilder &b, mlir::Location loc,
                            int64_t layer, int64_t chiplets, int64_t experts,
                            int64_t chunks);
} // namespace moesaic::df

#endif // MOESAIC_DIALECT_DF_DFOPS_H
