//===- LowerForBench.h - A strategy's schedule for a benchmark --*- C++ -*-===//
//
// Setup shared by the benchmarks that need a real schedule (not timed):
// parse a moe.model, attach a hardware preset, lower it with a strategy's
// own pipeline (evaluateModule, one step) and keep the exported schedule
// JSON with the system, model description and a gating trace.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_BENCH_LOWERFORBENCH_H
#define MOESAIC_BENCH_LOWERFORBENCH_H

#include "moesaic/Dialect/Moe/MoeModelDesc.h"
#include "moesaic/Driver/Evaluate.h"
#include "moesaic/InitAll.h"
#include "moesaic/Target/HardwareFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

#include <string>

namespace moesaic::bench {

struct Lowered {
  std::string error; // empty on success
  llvm::json::Object schedule;
  SystemModel system;
  ModelDesc model;
  GatingTrace trace;
};

/// Lowers `modelText` (a moe.model) for `hw` with `strategy`; the trace has
/// `steps` steps of `batch` tokens (uniform gating, seed 0).
inline Lowered lowerForBench(const std::string &modelText,
                             const std::string &hw,
                             const std::string &strategy, int64_t batch,
                             int64_t steps) {
  Lowered s;
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // A strategy that does not fit a configuration reports an error; keep
  // it out of the benchmark output (it is reported as skipped).
  std::string firstDiagnostic;
  mlir::ScopedDiagnosticHandler quiet(&context, [&](mlir::Diagnostic &d) {
    if (firstDiagnostic.empty() && d.getSeverity() == mlir::DiagnosticSeverity::Error)
      firstDiagnostic = d.str();
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(modelText, &context);
  if (!module) {
    s.error = "the benchmark's model does not parse: " + firstDiagnostic;
    return s;
  }
  mlir::PassManager attach(&context);
  if (failed(mlir::parsePassPipeline(
          "moe-attach-target{hw=" + hw + "}", attach)) ||
      failed(attach.run(*module))) {
    s.error = "cannot attach " + hw;
    return s;
  }
  auto spec = [&](int64_t n) {
    return parseWorkloadSpec(
        llvm::formatv("batch={0},steps={1},seed=0", batch, n).str());
  };
  llvm::Expected<WorkloadSpec> workload = spec(steps);
  llvm::Expected<WorkloadSpec> oneStep = spec(1);
  llvm::Expected<SystemModel> system = loadHardware(hw);
  mlir::FailureOr<ModelDesc> model =
      moe::describeModel(moe::findModel(module->getOperation()));
  if (!workload || !oneStep || !system || failed(model)) {
    llvm::consumeError(workload.takeError());
    llvm::consumeError(oneStep.takeError());
    llvm::consumeError(system.takeError());
    s.error = "bad workload, hardware or model";
    return s;
  }
  EvaluateOptions options;
  options.strategies = {strategy};
  options.workload = *oneStep; // one step is enough to get the schedule
  EvaluationSink sink;
  if (failed(evaluateModule(*module, options, sink)) || sink.outcomes.empty()) {
    s.error = "the strategy does not lower this configuration: " +
              firstDiagnostic;
    return s;
  }
  s.schedule = sink.outcomes.front().schedule;
  s.system = std::move(*system);
  s.model = std::move(*model);
  llvm::Expected<GatingTrace> trace = makeTrace(*workload, s.model);
  if (!trace) {
    s.error = llvm::toString(trace.takeError());
    return s;
  }
  s.trace = std::move(*trace);
  return s;
}

} // namespace moesaic::bench

#endif // MOESAIC_BENCH_LOWERFORBENCH_H
