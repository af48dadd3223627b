//===- ModelInput.h - moe-opt's model inputs: ONNX import, summary -*- C++ -*-===//
//
// The two things moe-opt does with its input before (or instead of) running
// a pipeline: importing an ONNX file into the moe dialect, handed to
// MlirOptMain as an MLIR bytecode buffer so every mlir-opt flag keeps
// working, and printing the report's "model" section (--model-summary).
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DRIVER_MODELINPUT_H
#define MOESAIC_DRIVER_MODELINPUT_H

#include "mlir/IR/DialectRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>
#include <string>

namespace mlir {
class Operation;
} // namespace mlir

namespace moesaic {

/// Opens `path` for moe-opt: an ONNX file (.onnx, .onnxtext) is imported and
/// returned as MLIR bytecode, anything else is read as is. On failure prints
/// one `error:` naming the file to stderr and returns null.
std::unique_ptr<llvm::MemoryBuffer>
openModelInput(llvm::StringRef path, mlir::DialectRegistry &registry);

/// How deeply `root`'s operations nest (root alone: 1), counted without
/// recursion: MLIR's verifier, printer and walks recurse once per level
/// and overflow the stack some thousands of levels down.
unsigned opNestingDepth(mlir::Operation *root);

/// Why MLIR bytecode `input` cannot be handed to MLIR's verifier safely
/// (operations nested deeper than kMaxMlirDepth, InputChecks.h), or
/// nothing (also when it does not parse: the real parse reports that).
/// Text has the cheaper bracket count (mlirNestingProblem); bytecode is
/// parsed once without verification to count.
std::optional<std::string>
bytecodeNestingProblem(llvm::MemoryBufferRef input,
                       const mlir::DialectRegistry &registry);

/// Parses `input` (MLIR text or bytecode), describes its moe.model and
/// prints the report's "model" section as JSON. Returns the exit code.
int printModelSummary(std::unique_ptr<llvm::MemoryBuffer> input,
                      mlir::DialectRegistry &registry, llvm::raw_ostream &os);

} // namespace moesaic

#endif // MOESAIC_DRIVER_MODELINPUT_H
