//===- OnnxImporter.h - ONNX -> moe.model -----------------------*- C++ -*-===//
//
// The ONNX frontend: reads an ONNX model (binary protobuf or the ONNX text
// syntax) and produces a `moe.model` in a builtin module. Only shapes and
// data types are read; weights (in-file or external data) never are.
// Recognises MoE layers (fused com.microsoft MoE/QMoE and the decomposed
// forms torch.onnx.export writes), attention blocks and dense FFNs; every
// other node becomes a `moe.compute` with FLOPs and bytes from its shapes.
//
// Errors are reported as one MLIR diagnostic on a location naming the input
// file; warnings (e.g. an expert a torch trace dropped) are stored in the
// model's `warnings` attribute.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_FRONTEND_ONNXIMPORTER_H
#define MOESAIC_FRONTEND_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace moesaic {

/// Options of the ONNX importer (in the manner of onnx-mlir's ImportOptions).
struct OnnxImportOptions {
  /// Symbol name of the moe.model; empty: derived from the file name.
  std::string modelName;
  /// KV-cache length recorded on moe.input (cost of attention).
  int64_t contextLength = 4096;
  /// Run ONNX's own shape inference before the importer's rules.
  bool runOnnxShapeInference = true;
  /// Refuse graphs with more nodes than this (guards time and memory).
  int64_t maxNodes = 5'000'000;
  /// Refuse any single dimension larger than this.
  int64_t maxDim = int64_t(1) << 40;
  /// Print the time of each import phase to stderr (benchmarks).
  bool printTiming = false;
};

/// True if `path` names an ONNX input (`.onnx` or `.onnxtext`).
bool isOnnxPath(llvm::StringRef path);

/// Imports the model in file `path` (`.onnxtext` files use the ONNX text
/// syntax, anything else the binary protobuf). On failure, emits one error
/// diagnostic naming the file and returns null.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxFile(llvm::StringRef path, mlir::MLIRContext *context,
               const OnnxImportOptions &options = {});

/// Imports a serialized ModelProto (or ONNX text if `isText`). `sourceName`
/// names the input in diagnostics and in the model's `source` attribute.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxBytes(llvm::StringRef bytes, llvm::StringRef sourceName,
                mlir::MLIRContext *context,
                const OnnxImportOptions &options = {}, bool isText = false);

/// Imports an already parsed ModelProto.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxModel(const onnx::ModelProto &model, llvm::StringRef sourceName,
                mlir::MLIRContext *context,
                const OnnxImportOptions &options = {});

} // namespace moesaic

#endif // MOESAIC_FRONTEND_ONNXIMPORTER_H
