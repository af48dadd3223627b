//===- ModelEmitter.h - Recognised graph -> moe.model -----------*- C++ -*-===//

#ifndef MOESAIC_LIB_FRONTEND_MODELEMITTER_H
#define MOESAIC_LIB_FRONTEND_MODELEMITTER_H

#include "OnnxGraph.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace moesaic::onnxfe {

/// Recognises the blocks of `graph` and emits its moe.model. Errors (an
/// unsupported MoE variant, no hidden-state input) come back as text.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
emitModel(Graph &graph, llvm::StringRef sourceName,
          const OnnxImportOptions &options, mlir::MLIRContext *context);

} // namespace moesaic::onnxfe

#endif // MOESAIC_LIB_FRONTEND_MODELEMITTER_H
