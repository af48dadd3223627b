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
};

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

/// Registers every strategy of the project; called by registerAllPasses().
void registerAllStrategies();

} // namespace moesaic

#endif // MOESAIC_DRIVER_STRATEGY_H
