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

namespace moesaic {

/// Opens `path` for moe-opt: an ONNX file (.onnx, .onnxtext) is imported and
/// returned as MLIR bytecode, anything else is read as is. On failure prints
/// one `error:` naming the file to stderr and returns null.
std::unique_ptr<llvm::MemoryBuffer>
openModelInput(llvm::StringRef path, mlir::DialectRegistry &registry);

/// Parses `input` (MLIR text or bytecode), describes its moe.model and
/// prints the report's "model" section as JSON. Returns the exit code.
int printModelSummary(std::unique_ptr<llvm::MemoryBuffer> input,
                      mlir::DialectRegistry &registry, llvm::raw_ostream &os);

} // namespace moesaic

#endif // MOESAIC_DRIVER_MODELINPUT_H
