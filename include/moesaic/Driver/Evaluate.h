//===- Evaluate.h - Lower, simulate and report strategies -------*- C++ -*-===//
//
// The evaluation behind `--strategy`, `--compare` and moesaic.compile():
// for each strategy, lower the module with its pipeline (on a clone, or in
// place for a single --strategy), export the hw.schedule as schedule JSON,
// load it into the strategy's runtime, expand every step of the workload's
// gating trace into one task graph, simulate it, and fill the report
// (schema "moesaic.report/1", ../../../docs/strategies.md lists the fields).
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DRIVER_EVALUATE_H
#define MOESAIC_DRIVER_EVALUATE_H

#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Target/SystemModel.h"
#include "moesaic/Workload/Workload.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace moesaic::perf {
class Timeline;
} // namespace moesaic::perf

namespace moesaic {

struct EvaluateOptions {
  std::vector<std::string> strategies;
  WorkloadSpec workload;
  /// Keep per-task times and build the Chrome trace of each strategy.
  bool recordTimeline = false;
  /// With a single strategy: lower the module itself (the output IR shows
  /// the schedule) instead of a clone.
  bool lowerInPlace = false;
  /// Where runtimes take their per-step decisions: "direct" (the runtime
  /// scheduler) or "dataflow" (the schedule's when/where programs).
  std::string runtime = "direct";
  /// Build the strategies' when/where dataflow programs
  /// (StrategyInfo::buildDataflowProgram) even with the direct runtime:
  /// the schedule JSON or the lowered IR is read by someone. moe-opt sets
  /// it for --schedule; --runtime=dataflow always builds them.
  bool dataflowPrograms = true;
  /// Simulator task granularity of the runtimes that offer several
  /// (StrategyRuntime::useCoarseTasks): "fine" or "coarse".
  std::string taskGranularity = "fine";
};

/// One strategy's outcome.
struct StrategyOutcome {
  std::string strategy;
  llvm::json::Object schedule;
  /// The report's results[] entry.
  llvm::json::Object result;
  /// The simulated run's per-task timeline, when asked for.
  std::shared_ptr<perf::Timeline> timeline;
  /// How many windows the simulator ran the steps in (1: the whole graph
  /// at once; Perf/StepWindows.h).
  size_t simulatorWindows = 0;
};

/// What an evaluation produced, for the caller to write out.
struct EvaluationSink {
  llvm::json::Object report;
  std::vector<StrategyOutcome> outcomes;
  bool done = false;

  /// The schedule file's content: the schedule of a single strategy, or
  /// {"schema": "moesaic.schedules/1", "schedules": [...]} for several.
  llvm::json::Value scheduleJSON() const;
  /// Writes the timeline file's content: one strategy's Chrome trace, or
  /// all of them side by side (process ids offset by 1000 per strategy,
  /// process names prefixed with the strategy). Streamed: a timeline of
  /// millions of slices is never held as a JSON value.
  void writeTimeline(llvm::raw_ostream &os) const;
};

/// Runs a strategy's exported schedule through its runtime and the
/// simulator over `trace`. No MLIR involved. With `pipelined`, the
/// simulator runs the steps already emitted on a second thread while the
/// runtime emits the next (the results are the same either way). Without
/// `windowed`, the steps are simulated as one graph, never cut into
/// windows (the reference the windowed results equal; tests). Fails when
/// the runtime is missing, the schedule is malformed, the simulator reports a malformed
/// graph, or (internal check) the simulated latency beats its lower bound.
llvm::Expected<StrategyOutcome>
evaluateSchedule(const llvm::json::Object &schedule, const SystemModel &system,
                 const ModelDesc &model, const WorkloadSpec &workload,
                 const GatingTrace &trace, bool recordTimeline,
                 llvm::StringRef runtime = "direct",
                 llvm::StringRef taskGranularity = "fine",
                 bool pipelined = false, bool windowed = true);
/// The same, taking the schedule over instead of copying it into the
/// outcome (a schedule with when/where programs is large).
llvm::Expected<StrategyOutcome>
evaluateSchedule(llvm::json::Object &&schedule, const SystemModel &system,
                 const ModelDesc &model, const WorkloadSpec &workload,
                 const GatingTrace &trace, bool recordTimeline,
                 llvm::StringRef runtime = "direct",
                 llvm::StringRef taskGranularity = "fine",
                 bool pipelined = false, bool windowed = true);

/// The report: model, hardware, workload (as `trace` has it), results,
/// speedup vs the first.
llvm::json::Object buildReport(const ModelDesc &model,
                               const SystemModel &system,
                               const WorkloadSpec &workload,
                               const GatingTrace &trace,
                               const std::vector<StrategyOutcome> &outcomes);

/// A readable table of a report (`--report-format=text`).
std::string reportText(const llvm::json::Object &report);

/// Runs `pm` on `op` (with the caller's instrumentation).
using PipelineRunner =
    llvm::function_ref<mlir::LogicalResult(mlir::OpPassManager &,
                                           mlir::Operation *)>;

/// Lowers and evaluates every strategy of `options` on `module` (one
/// moe.model and one hw.system); errors are diagnostics on the module.
mlir::LogicalResult evaluateStrategies(mlir::ModuleOp module,
                                       const EvaluateOptions &options,
                                       EvaluationSink &sink,
                                       PipelineRunner runPipeline);

/// The same as the last pass of a pipeline: lowers through dynamic
/// pipelines (Pass::runPipeline), so --mlir-timing, --mlir-print-ir-* and
/// --verify-each apply to the strategies' passes too. `sink` must outlive
/// the pass manager's run.
std::unique_ptr<mlir::Pass>
createEvaluateStrategiesPass(EvaluateOptions options, EvaluationSink *sink);

/// Standalone (Python module): a fresh PassManager per strategy.
mlir::LogicalResult evaluateModule(mlir::ModuleOp module,
                                   const EvaluateOptions &options,
                                   EvaluationSink &sink);

} // namespace moesaic

#endif // MOESAIC_DRIVER_EVALUATE_H
