//===- FuzzCommon.h - Shared pieces of the libFuzzer targets ----*- C++ -*-===//
//
// The fuzz targets feed untrusted bytes to the compiler's entry points. An
// input may be rejected (that is the expected outcome for almost all of
// them); what must never happen is a crash, a sanitizer finding, or an
// accepted input whose result breaks an invariant (checked with
// fuzzInvariant, which aborts so libFuzzer records the input).
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_TEST_FUZZ_FUZZCOMMON_H
#define MOESAIC_TEST_FUZZ_FUZZCOMMON_H

#include "moesaic/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace moesaic::fuzz {

/// Aborts with a message: an invariant of accepted input was broken.
[[noreturn]] inline void fail(const char *what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}
inline void fuzzInvariant(bool ok, const char *what) {
  if (!ok)
    fail(what);
}

/// An MLIR context with every Moesaic dialect loaded. Attributes and types
/// interned by one input stay in a context forever, so the context is
/// rebuilt every `kRecycle` inputs to keep memory bounded over 10^6 runs.
/// `registerDialects` fills each new context's registry (default: every
/// Moesaic dialect and pass, moesaic/InitAll.h).
class ContextPool {
public:
  using RegisterFn = void (*)(mlir::DialectRegistry &);
  explicit ContextPool(RegisterFn registerDialects = registerEverything)
      : registerDialects(registerDialects) {}

  static void registerEverything(mlir::DialectRegistry &registry) {
    static bool passes = [] {
      registerAllPasses();
      return true;
    }();
    (void)passes;
    registerAllDialects(registry);
  }

  mlir::MLIRContext &get() {
    if (!context || ++uses > kRecycle) {
      mlir::DialectRegistry registry;
      registerDialects(registry);
      context = std::make_unique<mlir::MLIRContext>(
          registry, mlir::MLIRContext::Threading::DISABLED);
      context->loadAllAvailableDialects();
      // Rejections are the normal case: keep them quiet.
      context->getDiagEngine().registerHandler(
          [](mlir::Diagnostic &) { return mlir::success(); });
      uses = 0;
    }
    return *context;
  }

private:
  static constexpr int kRecycle = 2000;
  RegisterFn registerDialects;
  std::unique_ptr<mlir::MLIRContext> context;
  int uses = 0;
};

/// Runs `pipeline` (textual, on builtin.module) with the verifier after each
/// pass. A pipeline failure is a rejection; a module that a successful
/// pipeline leaves invalid is a bug.
inline void runPipeline(mlir::ModuleOp module, llvm::StringRef pipeline) {
  mlir::PassManager pm(module->getContext());
  pm.enableVerifier(true);
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  if (mlir::failed(mlir::parsePassPipeline(pipeline, pm, errorStream)))
    fail("the fuzz pipeline does not parse");
  if (mlir::succeeded(pm.run(module)))
    fuzzInvariant(mlir::succeeded(mlir::verify(module)),
                  "a successful pipeline left invalid IR");
}

/// The strategy pipeline every accepted model goes through: attach a
/// chiplet preset, then lower with expert parallelism.
inline constexpr const char *kDefaultPipeline =
    "builtin.module(moe-attach-target{hw=edge-chiplet-4},moe-strategy-ep)";

} // namespace moesaic::fuzz

#endif // MOESAIC_TEST_FUZZ_FUZZCOMMON_H
