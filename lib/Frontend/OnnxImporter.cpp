//===- OnnxImporter.cpp - The ONNX frontend's public entry points ---------===//

#include "moesaic/Frontend/OnnxImporter.h"
#include "moesaic/Support/InputChecks.h"

#include "ModelEmitter.h"
#include "OnnxGraph.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace moesaic;

namespace moesaic::onnxfe {
llvm::Expected<Graph> buildGraphFromBytes(llvm::StringRef bytes, bool isText,
                                          const OnnxImportOptions &options);
} // namespace moesaic::onnxfe

bool moesaic::isOnnxPath(llvm::StringRef path) {
  return path.ends_with_insensitive(".onnx") ||
         path.ends_with_insensitive(".onnxtext");
}

void moesaic::onnxfe::phaseTime(bool enabled, const char *phase,
                                std::chrono::steady_clock::time_point &start) {
  auto now = std::chrono::steady_clock::now();
  if (enabled)
    llvm::errs() << "onnx-import: " << phase << ": "
                 << std::chrono::duration<double, std::milli>(now - start).count()
                 << " ms\n";
  start = now;
}

static OwningOpRef<ModuleOp> report(MLIRContext *context,
                                    llvm::StringRef source, llvm::Error err) {
  std::string msg = llvm::toString(std::move(err));
  emitError(FileLineColLoc::get(context, source, 0, 0)) << msg;
  return nullptr;
}

static OwningOpRef<ModuleOp> finish(llvm::Expected<onnxfe::Graph> graph,
                                    llvm::StringRef source,
                                    MLIRContext *context,
                                    const OnnxImportOptions &options) {
  if (!graph)
    return report(context, source, graph.takeError());
  auto start = std::chrono::steady_clock::now();
  llvm::Expected<OwningOpRef<ModuleOp>> module =
      onnxfe::emitModel(*graph, source, options, context);
  if (!module)
    return report(context, source, module.takeError());
  onnxfe::phaseTime(options.printTiming, "recognition and emission", start);
  LogicalResult verified = verify(**module);
  onnxfe::phaseTime(options.printTiming, "verification", start);
  if (failed(verified)) {
    emitError(FileLineColLoc::get(context, source, 0, 0))
        << "the imported model does not verify (an importer bug; see the "
           "diagnostic above)";
    return nullptr;
  }
  return std::move(*module);
}

OwningOpRef<ModuleOp>
moesaic::importOnnxBytes(llvm::StringRef bytes, llvm::StringRef sourceName,
                         MLIRContext *context,
                         const OnnxImportOptions &options, bool isText) {
  return finish(onnxfe::buildGraphFromBytes(bytes, isText, options),
                sourceName, context, options);
}

OwningOpRef<ModuleOp>
moesaic::importOnnxModel(const onnx::ModelProto &model,
                         llvm::StringRef sourceName, MLIRContext *context,
                         const OnnxImportOptions &options) {
  return finish(onnxfe::buildGraph(model, options), sourceName, context,
                options);
}

OwningOpRef<ModuleOp> moesaic::importOnnxFile(llvm::StringRef path,
                                              MLIRContext *context,
                                              const OnnxImportOptions &options) {
  if (path != "-")
    if (std::optional<std::string> why = notARegularFile(path)) {
      emitError(FileLineColLoc::get(context, path, 0, 0))
          << "cannot read the file: " << *why;
      return nullptr;
    }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(FileLineColLoc::get(context, path, 0, 0))
        << "cannot read the file: " << buffer.getError().message();
    return nullptr;
  }
  bool isText = path.ends_with_insensitive(".onnxtext");
  return importOnnxBytes((*buffer)->getBuffer(), path, context, options,
                         isText);
}
