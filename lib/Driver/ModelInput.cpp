//===- ModelInput.cpp - moe-opt's model inputs: ONNX import, summary ------===//

#include "moesaic/Driver/ModelInput.h"
#include "moesaic/Support/InputChecks.h"
#include "moesaic/Dialect/Moe/MoeModelDesc.h"
#ifdef MOESAIC_HAVE_ONNX
#include "moesaic/Frontend/OnnxImporter.h"
#endif

#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"

#include <algorithm>
#include <chrono>

using namespace mlir;
using namespace moesaic;

static llvm::cl::opt<bool> importTiming(
    "onnx-import-timing", llvm::cl::Hidden,
    llvm::cl::desc("Print the time of each ONNX import phase to stderr"));

static bool isOnnxInput(llvm::StringRef path) {
  return path.ends_with_insensitive(".onnx") ||
         path.ends_with_insensitive(".onnxtext");
}

unsigned moesaic::opNestingDepth(Operation *root) {
  unsigned deepest = 0;
  llvm::SmallVector<std::pair<Operation *, unsigned>> work = {{root, 1}};
  while (!work.empty()) {
    auto [op, depth] = work.pop_back_val();
    deepest = std::max(deepest, depth);
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (Operation &inner : block)
          work.push_back({&inner, depth + 1});
  }
  return deepest;
}

std::optional<std::string>
moesaic::bytecodeNestingProblem(llvm::MemoryBufferRef input,
                                const DialectRegistry &registry) {
  MLIRContext context(registry);
  context.allowUnregisteredDialects();
  // The real parse reports this one's errors.
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) {
    return success();
  });
  Block block;
  ParserConfig config(&context, /*verifyAfterParse=*/false);
  if (failed(readBytecodeFile(input, &block, config)))
    return std::nullopt;
  unsigned depth = 0;
  for (Operation &op : block)
    depth = std::max(depth, opNestingDepth(&op));
  if (depth <= kMaxMlirDepth)
    return std::nullopt;
  return "operations nested " + std::to_string(depth) +
         " deep, more than " + std::to_string(kMaxMlirDepth);
}

std::unique_ptr<llvm::MemoryBuffer>
moesaic::openModelInput(llvm::StringRef path, DialectRegistry &registry) {
  // Standard input is read as mlir-opt reads it; a named FIFO or device
  // would block or never end.
  if (path != "-")
    if (std::optional<std::string> why = notARegularFile(path)) {
      llvm::WithColor::error(llvm::errs(), "moe-opt")
          << "cannot read '" << path << "': " << *why << "\n";
      return nullptr;
    }
  if (!isOnnxInput(path)) {
    std::string error;
    std::unique_ptr<llvm::MemoryBuffer> input = openInputFile(path, &error);
    if (!input) {
      llvm::WithColor::error(llvm::errs(), "moe-opt") << error << "\n";
      return nullptr;
    }
    // MLIR's parser (text) and verifier recurse once per level: refuse
    // what would overflow the stack before they start.
    std::optional<std::string> why = mlirNestingProblem(input->getBuffer());
    if (!why && isMlirBytecode(input->getBuffer()))
      why = bytecodeNestingProblem(*input, registry);
    if (why) {
      llvm::WithColor::error(llvm::errs(), "moe-opt")
          << (path == "-" ? llvm::StringRef("<stdin>") : path) << ": "
          << *why << "; no model nests that deep\n";
      return nullptr;
    }
    return input;
  }
#ifdef MOESAIC_HAVE_ONNX
  MLIRContext context(registry);
  // One line per diagnostic: "moe-opt: error: <file>: <reason>".
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    llvm::raw_ostream &os =
        diag.getSeverity() == DiagnosticSeverity::Error
            ? llvm::WithColor::error(llvm::errs(), "moe-opt")
            : llvm::WithColor::warning(llvm::errs(), "moe-opt");
    os << path << ": " << diag.str() << "\n";
    return success();
  });
  OnnxImportOptions options;
  options.printTiming = importTiming;
  auto start = std::chrono::steady_clock::now();
  OwningOpRef<ModuleOp> module = importOnnxFile(path, &context, options);
  if (!module)
    return nullptr;
  if (moe::ModelOp model = moe::findModel(*module))
    if (auto warnings = model->getAttrOfType<ArrayAttr>("warnings"))
      for (Attribute w : warnings)
        llvm::WithColor::warning(llvm::errs(), "moe-opt")
            << path << ": " << cast<StringAttr>(w).getValue() << "\n";
  std::string bytes;
  llvm::raw_string_ostream os(bytes);
  if (failed(writeBytecodeToFile(*module, os))) {
    llvm::WithColor::error(llvm::errs(), "moe-opt")
        << path << ": cannot serialise the imported model\n";
    return nullptr;
  }
  os.flush();
  if (importTiming)
    llvm::errs() << "onnx-import: total with bytecode: "
                 << std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count()
                 << " ms\n";
  return llvm::MemoryBuffer::getMemBufferCopy(bytes, path);
#else
  llvm::WithColor::error(llvm::errs(), "moe-opt")
      << path << ": this moe-opt was built without ONNX support "
      << "(MOESAIC_ENABLE_ONNX=OFF)\n";
  return nullptr;
#endif
}

int moesaic::printModelSummary(std::unique_ptr<llvm::MemoryBuffer> input,
                               DialectRegistry &registry,
                               llvm::raw_ostream &os) {
  MLIRContext context(registry);
  std::string name = input->getBufferIdentifier().str();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  moe::ModelOp model = moe::findModel(*module);
  if (!model) {
    llvm::WithColor::error(llvm::errs(), "moe-opt")
        << name << ": no moe.model to summarise\n";
    return 1;
  }
  FailureOr<ModelDesc> desc = moe::describeModel(model);
  if (failed(desc))
    return 1;
  os << llvm::formatv("{0:2}", llvm::json::Value(modelSummary(*desc))) << "\n";
  return 0;
}
