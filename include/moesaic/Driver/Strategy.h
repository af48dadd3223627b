//===- Strategy.h - Named lowering pipelines --------------------*- C++ -*-===//
//
// A strategy is a named lowering pipeline from `moe` (+ a `hw.system`) to a
// `hw.schedule`, plus the runtime registered under the same name
// (moesaic/Perf/StrategyRuntime.h). `--strategy=<name>` runs it; every
// strategy is also a pass pipeline `moe-strategy-<name>`, so lit tests can
// run it with plain moe-opt flags.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DRIVER_STRATEGY_H
#define MOESAIC_DRIVER_STRATEGY_H

#include "moesaic/Target/SystemModel.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"

#include <functional>
#include <string>
#include <vector>

namespace moesaic {

struct StrategyInfo {
  std::string name;
  /// One line for --list-strategies.
  std::string summary;
  /// The kinds of system it can serve; others are refused with an error.
  std::vector<SystemKind> targets;
  /// Adds the lowering passes (on the module) to `pm`.
  std::function<void(mlir::OpPassManager &pm)> buildPipeline;
  /// Optional: the passes, run after `buildPipeline`'s, that write the
  /// schedule's when/where dataflow program (docs/dataflow.md). An
  /// evaluation adds them only when something reads the program
  /// (`--runtime=dataflow`, `--schedule`, the Python API's schedule): on
  /// large models the program is most of the compile time and memory
  /// (docs/performance.md). The `moe-strategy-<name>` pipeline always runs
  /// them.
  std::function<void(mlir::OpPassManager &pm)> buildDataflowProgram = nullptr;
};

/// Adds `info`'s lowering passes to `pm`, and its dataflow-program passes
/// when `dataflowProgram` is set.
void buildStrategyPipeline(const StrategyInfo &info, mlir::OpPassManager &pm,
                           bool dataflowProgram);

/// Registers a strategy and its `moe-strategy-<name>` pipeline.
void registerStrategy(StrategyInfo info);

/// Every registered strategy, in registration order.
const std::vector<StrategyInfo> &listStrategies();

/// The strategy called `name`, or null.
const StrategyInfo *findStrategy(llvm::StringRef name);

/// "ep, tp, eplb, ..." for error messages.
std::string strategyNames();

/// Whether `info` serves `kind`.
bool servesKind(const StrategyInfo &info, SystemKind kind);

/// The kinds `info` serves, as users write them ("chiplet", "gpu-ndp").
std::vector<std::string> targetNames(const StrategyInfo &info);

/// Registers the baseline strategies (ep, tp, eplb, fastermoe) and their
/// runtimes (lib/Driver/BaselineStrategies.cpp).
void registerBaselineStrategies();

/// Registers fse-dp, expert streaming on chiplets (lib/Driver/FseDpStrategy.cpp).
void registerFseDpStrategy();

/// Registers every strategy of the project; called by registerAllPasses().
void registerAllStrategies();

} // namespace moesaic

#endif // MOESAIC_DRIVER_STRATEGY_H
