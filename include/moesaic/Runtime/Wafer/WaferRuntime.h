//===- WaferRuntime.h - Runtime half of the wafer strategies ----*- C++ -*-===//
//
// The StrategyRuntime of `er-mapping` and `wafer-baseline`. Loads the
// layout from the schedule JSON ("wafer" object: WaferLayout plus the
// balancer settings), expands each decode step into tasks (attention on
// every ring member, the ring all-reduces, dispatch, expert compute and
// combine along the layout), feeds the observed expert load to the
// NI-Balancer, and stages its migrations: chunks on cold links in
// (layer, phase) slots (`er-mapping`) or stop-the-world before the next step
// (`wafer-baseline`). Migration transfers are Phase::Migration tasks.
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_WAFER_WAFERRUNTIME_H
#define MOESAIC_RUNTIME_WAFER_WAFERRUNTIME_H

#include "moesaic/Perf/StrategyRuntime.h"
#include "moesaic/Runtime/Dataflow/WaferMigrationInterpreter.h"
#include "moesaic/Runtime/Wafer/NIBalancer.h"
#include "moesaic/Runtime/Wafer/WaferTraffic.h"

#include <memory>

namespace moesaic::wafer {

/// Per-run traffic and migration statistics (summed over emitted steps).
struct WaferStats {
  int64_t steps = 0, moeLayerSteps = 0;
  double ringByteHops = 0, moeByteHops = 0;
  double ringBytes = 0, moeBytes = 0;
  /// Sum over (step, MoE layer) of the busiest link's bytes per phase, and
  /// of the phase's bottleneck link time.
  double ringMaxLinkBytes = 0, moeMaxLinkBytes = 0;
  double ringBottleneckUs = 0, moeBottleneckUs = 0;
  double migrationBytes = 0;
  double stwExposedUs = 0;       ///< Stop-the-world blocks (analytic).
  /// NI: what forced chunks overflow, and moves forced a whole step long
  /// sent stop-the-world (analytic).
  double flushedExposedUs = 0;
  int64_t chunksHidden = 0, chunksFlushed = 0;
};

class WaferRuntime : public perf::StrategyRuntime {
public:
  WaferRuntime(std::string strategy, Staging staging)
      : strategyName(std::move(strategy)), staging(staging) {}
  ~WaferRuntime() override;

  /// er-mapping: trigger, swaps and chunk staging from the schedule's
  /// when/where programs (moe-df-lower-wafer), run by
  /// dataflow::WaferMigrationInterpreter; the same decisions as the
  /// direct NIBalancer (docs/dataflow.md).
  llvm::Error useDataflowDecisions() override;

  llvm::Error load(const llvm::json::Object &schedule,
                   const SystemModel &system,
                   const ModelDesc &model) override;
  perf::TaskId emitStep(const perf::StepContext &ctx, perf::TaskGraph &graph,
                        perf::TaskId start) override;
  double analyticStepUs(const perf::StepContext &ctx) override;
  std::string analyticNote() const override;
  void report(llvm::json::Object &result) const override;

  const WaferLayout &layout() const { return lay; }
  const WaferStats &stats() const { return st; }
  const NIBalancer *balancer() const { return bal; }
  /// No migration decisions after `step` (NIBalancer::freezeAfter).
  void freezeDecisionsAfter(int64_t step) { bal->freezeAfter(step); }

private:
  std::string strategyName;
  Staging staging;
  const SystemModel *sys = nullptr;
  const ModelDesc *mdl = nullptr;
  WaferLayout lay;
  BalancerConfig balCfg;
  /// The balancer the runtime stages with: its own (direct decisions) or
  /// the dataflow interpreter's.
  NIBalancer *bal = nullptr;
  std::unique_ptr<NIBalancer> directBal;
  bool dataflowPath = false;
  std::unique_ptr<dataflow::WaferMigrationInterpreter> dfPath;
  std::vector<int64_t> fillSlot(int64_t step, int64_t moeLayer,
                                SlotPhase phase, const SlotWindow &window);
  llvm::Error loadPrograms(const llvm::json::Object &schedule,
                           std::vector<double> unitBytes);
  std::unique_ptr<DispatchTables> tables;
  WaferStats st;
  int64_t lastObserved = -1;
};

/// Registers the runtimes of `er-mapping` and `wafer-baseline`.
void registerWaferRuntimes();

/// The "wafer" object of a schedule: layout plus balancer settings.
llvm::json::Object scheduleObject(const WaferLayout &layout,
                                  const BalancerConfig &config);
llvm::Expected<BalancerConfig> balancerFromJSON(const llvm::json::Object &obj);

/// The "wafer" object (device indices) of a schedule: either its "wafer"
/// key, or the layer -1 entry's "wafer_rings", "wafer_experts" and
/// "wafer_balancer" (device names) that the hw.wafer_* ops export.
llvm::Expected<llvm::json::Object>
waferObjectFromSchedule(const llvm::json::Object &schedule,
                        const SystemModel &system);

} // namespace moesaic::wafer

#endif
