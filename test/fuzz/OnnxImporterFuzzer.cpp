//===- OnnxImporterFuzzer.cpp - Fuzz the ONNX importer --------------------===//
//
// bytes -> importOnnxBytes (binary protobuf; ONNX shape inference on) ->
// verify -> attach a preset and lower with the `ep` strategy. Every imported
// module must verify; rejections must be diagnostics, not crashes.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "moesaic/Frontend/OnnxImporter.h"

#include <cstddef>
#include <cstdint>

using namespace moesaic;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz::ContextPool pool;
  mlir::MLIRContext &context = pool.get();
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  OnnxImportOptions options;
  // A bounded graph keeps each execution short; the limits themselves are
  // what the importer enforces on any input.
  options.maxNodes = 20000;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      importOnnxBytes(bytes, "fuzz.onnx", &context, options);
  if (!module)
    return 0;
  fuzz::fuzzInvariant(mlir::succeeded(mlir::verify(*module)),
                      "the importer returned a module that does not verify");
  fuzz::runPipeline(*module, fuzz::kDefaultPipeline);
  return 0;
}
