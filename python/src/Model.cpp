//===- Model.cpp - A loaded module with its own context -------------------===//

#include "Workspace.h"
#include "moesaic/Dialect/Moe/MoeModelDesc.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace moesaic;
using namespace moesaic::python;

struct Model::Impl {
  std::unique_ptr<Workspace> ws = std::make_unique<Workspace>();
  OwningOpRef<ModuleOp> module;
  std::string name;
};

Model::Model(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Model::~Model() = default;

ModelSource moesaic::python::sourceForPath(const std::string &path) {
  llvm::StringRef ext = llvm::sys::path::extension(path);
  ModelSource source;
  source.kind = (ext == ".onnx" || ext == ".onnxtext") ? ModelSource::OnnxFile
                                                       : ModelSource::MlirFile;
  source.data = path;
  source.name = path;
  return source;
}

bool moesaic::python::haveOnnx() {
#ifdef MOESAIC_PYTHON_HAVE_ONNX
  return true;
#else
  return false;
#endif
}

std::unique_ptr<Model> Model::load(const ModelSource &source,
                                   Diagnostics &diags) {
  auto impl = std::make_unique<Impl>();
  Workspace::Capture capture(*impl->ws, diags);
  impl->module = impl->ws->load(source);
  if (!impl->module) {
    if (!diags.hasErrors())
      impl->ws->error("'" + source.name + "': could not be loaded");
    return nullptr;
  }
  impl->name = source.name;
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

std::string Model::text(bool debugInfo) const {
  std::string out;
  llvm::raw_string_ostream os(out);
  OpPrintingFlags flags;
  if (debugInfo)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  impl->module->print(os, flags);
  return out;
}

std::string Model::bytecode() const {
  std::string out;
  llvm::raw_string_ostream os(out);
  // Writing a verified module to memory cannot fail.
  (void)writeBytecodeToFile(impl->module->getOperation(), os);
  return out;
}

std::optional<std::string> Model::summaryJSON(Diagnostics &diags) const {
  Workspace::Capture capture(*impl->ws, diags);
  moe::ModelOp model = moe::findModel(*impl->module);
  if (!model) {
    impl->ws->error("'" + impl->name + "' holds no moe.model");
    return std::nullopt;
  }
  FailureOr<ModelDesc> desc = moe::describeModel(model);
  if (failed(desc))
    return std::nullopt;
  return llvm::formatv("{0}", llvm::json::Value(modelSummary(*desc))).str();
}

const std::string &Model::sourceName() const { return impl->name; }
