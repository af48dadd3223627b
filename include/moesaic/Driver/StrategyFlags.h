//===- StrategyFlags.h - moe-opt's strategy and report flags ----*- C++ -*-===//
//
// --strategy, --compare, --workload, --report, --report-format, --schedule,
// --timeline and --list-strategies, kept out of MoeOptMain.cpp so the driver
// stays a short sequence of hooks.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DRIVER_STRATEGYFLAGS_H
#define MOESAIC_DRIVER_STRATEGYFLAGS_H

#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace moesaic {

/// Handles --list-strategies; returns the exit code when it did.
std::optional<int> handleStrategyListing(llvm::raw_ostream &os);

/// Checks the flags and, when --strategy or --compare is given, appends the
/// evaluation to `config`'s pipeline. Returns false (after printing one
/// `error:` line) on bad flags.
bool setupStrategyEvaluation(mlir::MlirOptMainConfig &config);

/// Checks that -o (`irPath`), --report, --schedule and --timeline name
/// different files, however spelled (./a.json and a.json, a symlink and
/// its target), that at most one strategy output goes to stdout, and that
/// no strategy output overwrites an input (`inputs`: the model, a hardware
/// file; -o may rewrite the model in place); false after printing one
/// `error:` line.
bool checkOutputsDistinct(llvm::StringRef irPath,
                          llvm::ArrayRef<llvm::StringRef> inputs = {});

/// Whether --report, --schedule or --timeline is `-` (stdout).
bool strategyOutputOnStdout();

/// After a successful MlirOptMain: writes --report, --schedule and
/// --timeline (each atomically). Returns the exit code.
int writeStrategyOutputs();

} // namespace moesaic

#endif // MOESAIC_DRIVER_STRATEGYFLAGS_H
