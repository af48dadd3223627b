//===- Workspace.cpp - One MLIRContext with captured diagnostics ----------===//

#include "Workspace.h"
#include "moesaic/InitAll.h"
#include "moesaic/Driver/ModelInput.h"
#include "moesaic/Support/InputChecks.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#ifdef MOESAIC_PYTHON_HAVE_ONNX
#include "moesaic/Frontend/OnnxImporter.h"
#endif

using namespace mlir;
using namespace moesaic;
using namespace moesaic::python;

static DialectRegistry makeRegistry() {
  DialectRegistry registry;
  registerAllDialects(registry);
  return registry;
}

// Threading is disabled: a context serves one compile on one thread, and
// several compiles on several Python threads each have their own.
Workspace::Workspace() : ctx(makeRegistry(), MLIRContext::Threading::DISABLED) {
  ctx.loadAllAvailableDialects();
  // Diagnostics name their location; a dump of the op (a whole module for
  // a pipeline failure) as a note would drown the message.
  ctx.printOpOnDiagnostic(false);
  handlerId = ctx.getDiagEngine().registerHandler(
      [this](mlir::Diagnostic &diag) { return handle(diag); });
}

Workspace::~Workspace() { ctx.getDiagEngine().eraseHandler(handlerId); }

Workspace::Capture::Capture(Workspace &ws, Diagnostics &diags)
    : ws(ws), previous(ws.current) {
  ws.current = &diags;
}

Workspace::Capture::~Capture() { ws.current = previous; }

std::string moesaic::python::locationText(Location loc) {
  if (auto file = loc->findInstanceOf<FileLineColLoc>()) {
    std::string out = file.getFilename().str();
    if (file.getLine() > 0) {
      out += ":" + std::to_string(file.getLine());
      if (file.getColumn() > 0)
        out += ":" + std::to_string(file.getColumn());
    }
    return out;
  }
  if (auto name = loc->findInstanceOf<NameLoc>())
    return name.getName().str();
  return "";
}

static const char *severityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Remark:
    return "remark";
  case DiagnosticSeverity::Note:
    return "note";
  }
  return "error";
}

LogicalResult Workspace::handle(mlir::Diagnostic &diag) {
  // Diagnostics outside any capture (none are expected) are still consumed:
  // the default handler would print them on stderr.
  if (!current)
    return success();
  current->add(severityName(diag.getSeverity()),
               locationText(diag.getLocation()), diag.str());
  auto notes = diag.getNotes();
  for (mlir::Diagnostic &note : notes) {
    std::string loc = locationText(note.getLocation());
    current->entries.back().text +=
        "\n" + (loc.empty() ? "" : loc + ": ") + "note: " + note.str();
  }
  return success();
}

void Workspace::error(const std::string &message) {
  if (current)
    current->add("error", "", message);
}

OwningOpRef<ModuleOp> Workspace::load(const ModelSource &source) {
  switch (source.kind) {
  case ModelSource::MlirText:
  case ModelSource::MlirFile: {
    std::unique_ptr<llvm::MemoryBuffer> buffer;
    if (source.kind == ModelSource::MlirFile) {
      if (std::optional<std::string> why = notARegularFile(source.data)) {
        error("cannot read '" + source.data + "': " + *why);
        return nullptr;
      }
      std::string message;
      buffer = openInputFile(source.data, &message);
      if (!buffer) {
        error("cannot read '" + source.data + "': " + message);
        return nullptr;
      }
    } else {
      buffer = llvm::MemoryBuffer::getMemBufferCopy(source.data, source.name);
    }
    if (std::optional<std::string> why =
            mlirNestingProblem(buffer->getBuffer())) {
      error("'" + source.name + "': " + *why + "; no model nests that deep");
      return nullptr;
    }
    sources.push_back(std::make_unique<llvm::SourceMgr>());
    sources.back()->AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
    // Verified after the nesting is counted: the verifier recurses once
    // per level (text deeper than that was refused above; bytecode has no
    // brackets to count).
    ParserConfig config(&ctx, /*verifyAfterParse=*/false);
    OwningOpRef<ModuleOp> module =
        parseSourceFile<ModuleOp>(*sources.back(), config);
    unsigned depth = module ? opNestingDepth(*module) : 0;
    if (depth > kMaxMlirDepth) {
      error("'" + source.name + "': operations nested " +
            std::to_string(depth) + " deep, more than " +
            std::to_string(kMaxMlirDepth) + "; no model nests that deep");
      return nullptr;
    }
    if (module && failed(verify(*module)))
      module = nullptr;
    if (!module && current && !current->hasErrors())
      error("'" + source.name + "': not a valid MLIR module");
    return module;
  }
  case ModelSource::OnnxFile:
  case ModelSource::OnnxBytes:
#ifdef MOESAIC_PYTHON_HAVE_ONNX
    if (source.kind == ModelSource::OnnxFile)
      return importOnnxFile(source.data, &ctx);
    return importOnnxBytes(source.data, source.name, &ctx);
#else
    error("'" + source.name +
          "': this build has no ONNX frontend (configured with "
          "MOESAIC_ENABLE_ONNX=OFF)");
    return nullptr;
#endif
  }
  return nullptr;
}
