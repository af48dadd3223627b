//===- Workspace.h - One MLIRContext with captured diagnostics --*- C++ -*-===//
//
// Internal to the Python module. A Workspace owns an MLIRContext with every
// Moesaic dialect registered and a diagnostic handler that records every
// diagnostic into the Diagnostics of the operation in progress instead of
// printing it, so nothing reaches the process's stderr. One Workspace per
// Model and per compile: contexts are never shared between threads.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_PYTHON_WORKSPACE_H
#define MOESAIC_PYTHON_WORKSPACE_H

#include "Compiler.h"
#include "moesaic/Target/SystemModel.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

namespace moesaic::python {

class Workspace {
public:
  Workspace();
  ~Workspace();

  mlir::MLIRContext &context() { return ctx; }

  /// Parses or imports `source` into a module of this context; null (with
  /// the reasons captured) on failure.
  mlir::OwningOpRef<mlir::ModuleOp> load(const ModelSource &source);

  /// Routes this context's diagnostics into `diags` while alive.
  class Capture {
  public:
    Capture(Workspace &ws, Diagnostics &diags);
    ~Capture();

  private:
    Workspace &ws;
    Diagnostics *previous;
  };

  /// Reports an error that has no MLIR location (bad argument, I/O).
  void error(const std::string &message);

private:
  mlir::LogicalResult handle(mlir::Diagnostic &diag);

  mlir::MLIRContext ctx;
  /// Buffers of parsed inputs: the IR may refer to them (bytecode
  /// resources), so they live as long as the context.
  std::vector<std::unique_ptr<llvm::SourceMgr>> sources;
  Diagnostics *current = nullptr;
  mlir::DiagnosticEngine::HandlerID handlerId;
};

/// hardwareJSON()'s text for an already loaded system.
std::string hardwareFactsJSON(const SystemModel &system);

/// "file:line:col" of the first file location within `loc`, or "".
std::string locationText(mlir::Location loc);

} // namespace moesaic::python

#endif // MOESAIC_PYTHON_WORKSPACE_H
