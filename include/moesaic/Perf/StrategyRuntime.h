//===- StrategyRuntime.h - A strategy's runtime part ------------*- C++ -*-===//
//
// The runtime half of a static-plus-runtime schedule. A strategy's compile
// half (its lowering pipeline, moesaic/Driver/Strategy.h) fixes placements
// and tables in a `hw.schedule`, exported as schedule JSON (`--schedule`);
// its runtime half loads that JSON and, per decode step, turns the actual
// gating into tasks for the simulator, making the per-batch decisions a
// runtime scheduler on the hardware would make.
//
// Runtimes register by strategy name; no MLIR dependency, so the same code
// serves the simulator, the Python module and a controller.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_PERF_STRATEGYRUNTIME_H
#define MOESAIC_PERF_STRATEGYRUNTIME_H

#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Perf/TaskGraph.h"
#include "moesaic/Target/SystemModel.h"
#include "moesaic/Workload/Workload.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace moesaic::perf {

/// What a runtime sees when it expands one decode step.
struct StepContext {
  const SystemModel &system;
  const ModelDesc &model;
  const GatingTrace &trace;
  int64_t step = 0;
  /// KV-cache length each token attends to.
  int64_t context = 4096;
};

/// The analytic estimate of the step a runtime's emitStep last emitted, so
/// that analyticStepUs for the same step need not emit it again (a step is
/// deterministic given its trace and index, which key the cache).
class StepAnalyticCache {
public:
  void set(const StepContext &ctx, double us) {
    trace = &ctx.trace;
    step = ctx.step;
    value = us;
  }
  /// The cached estimate of `ctx`'s step, if that is the one set last.
  const double *find(const StepContext &ctx) const {
    return trace == &ctx.trace && step == ctx.step ? &value : nullptr;
  }

private:
  const GatingTrace *trace = nullptr;
  int64_t step = -1;
  double value = 0;
};

class StrategyRuntime {
public:
  virtual ~StrategyRuntime() = default;

  /// Take the per-step decisions from the schedule's when/where programs
  /// (its layers' "dataflow" objects, run by the dataflow interpreters of
  /// lib/Runtime/Dataflow) instead of the direct runtime scheduler
  /// (docs/dataflow.md). Called before `load`; runtimes without such a
  /// path refuse.
  virtual llvm::Error useDataflowDecisions() {
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "its runtime has no dataflow decision path (docs/dataflow.md lists "
        "the strategies whose schedules carry a when/where program)");
  }

  /// Emit coarse simulator tasks: one per (layer, resource) busy interval
  /// instead of one per chunk transfer and compute, for models whose fine
  /// task graph is too large to simulate quickly (docs/performance.md).
  /// Called before `load`. Returns false (the default) when the runtime has
  /// a single granularity, which then runs as "fine"; the report records
  /// which ran (results[].task_granularity).
  virtual bool useCoarseTasks() { return false; }
  /// Reads the static schedule (the JSON `exportSchedule` writes) once.
  virtual llvm::Error load(const llvm::json::Object &schedule,
                           const SystemModel &system,
                           const ModelDesc &model) = 0;

  /// Appends the tasks of one decode step, all depending (transitively) on
  /// `start`; returns the task that ends the step.
  virtual TaskId emitStep(const StepContext &ctx, TaskGraph &graph,
                          TaskId start) = 0;

  /// Closed-form estimate of one step's latency (us), reported beside the
  /// simulated one as analytic_latency_us. Where the two differ by more
  /// than 5 %, `analyticNote` says why (contention the formula ignores...).
  virtual double analyticStepUs(const StepContext &ctx) = 0;
  virtual std::string analyticNote() const { return ""; }

  /// On-chip bytes the static allocation reserves per device (stream
  /// buffers, resident experts); the simulator adds dynamic allocations.
  virtual int64_t staticOnchipBytes() const { return 0; }

  /// Called after all steps, for GPU systems: per device (indexed like
  /// SystemModel::devices), the bytes the strategy keeps in each GPU's VRAM
  /// for the steps that ran (the weights it places there, the KV cache of
  /// the largest batch at the workload's context, expert caches at their
  /// peak), 0 for other devices. Empty: not accounted (the report then
  /// shows on-chip SRAM alone).
  virtual std::vector<int64_t> vramBytes() const { return {}; }

  /// The per-batch decision for MoE layer `moeLayer` (an index into
  /// ModelDesc::moeLayers) of step `ctx.step` alone, without emitting
  /// tasks: what a controller computes from the gating before it issues
  /// work (which replica or device serves each (token, expert) pair, which
  /// experts to shadow, ...). Leaves what emitStep emits unchanged. Returns
  /// false when the runtime has no decision step separable from emitting
  /// its tasks (the default). Used by bench/runtime_decision.cpp to time
  /// the decision apart from the task emission.
  virtual bool decideLayer(const StepContext &ctx, size_t moeLayer) {
    return false;
  }

  /// Called after all steps: strategy-specific fields for the report's
  /// result entry (e.g. "ndp_balance", "trajectories").
  virtual void report(llvm::json::Object &result) const {}
};

using RuntimeFactory = std::function<std::unique_ptr<StrategyRuntime>()>;

/// Registers the runtime of `strategy` (call from the strategy's
/// registration function; idempotent per name).
void registerRuntime(llvm::StringRef strategy, RuntimeFactory factory);

/// A new runtime for `strategy`, or null if none is registered.
std::unique_ptr<StrategyRuntime> createRuntime(llvm::StringRef strategy);

} // namespace moesaic::perf

#endif // MOESAIC_PERF_STRATEGYRUNTIME_H
