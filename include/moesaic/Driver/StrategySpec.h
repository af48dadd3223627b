//===- StrategySpec.h - A strategy name with pass options -------*- C++ -*-===//
//
// `--strategy`, `--compare` and the Python API take a strategy as its name
// (`fse-dp`) or as its name with options for its passes, in MLIR's pipeline
// syntax: `fse-dp{holders=single loads=sequential}`. Each `key=value` goes
// to every pass of the strategy's pipeline that declares an option `key`
// (an option no pass declares is an error naming the ones they do), so one
// --compare can put variants of a strategy side by side:
// `--compare=fse-dp,fse-dp{holders=single},tp`.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DRIVER_STRATEGYSPEC_H
#define MOESAIC_DRIVER_STRATEGYSPEC_H

#include "moesaic/Driver/Strategy.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace moesaic {

struct StrategySpec {
  std::string text;    ///< as written, trimmed: `fse-dp{holders=single}`
  std::string name;    ///< the registered strategy: `fse-dp`
  std::string options; ///< between the braces: `holders=single`
  const StrategyInfo *info = nullptr;
};

/// One option of a strategy's passes: what `name{key=value ...}` may set.
struct StrategyOption {
  std::string name;
  std::string value; ///< its default, as the pass prints it
  llvm::SmallVector<std::string> passes; ///< the passes that take it
};

/// The options of `info`'s lowering passes, sorted by name (where passes
/// disagree on a default, the first pass's is shown). Passes must be
/// registered.
std::vector<StrategyOption> strategyOptions(const StrategyInfo &info);

/// Parses `name` or `name{key=value ...}`: the name must be registered and
/// every option must be taken by one of its pipeline's passes with a value
/// that option accepts. Errors name the strategy and the option.
llvm::Expected<StrategySpec> parseStrategySpec(llvm::StringRef text);

/// Splits a --compare list at the commas outside braces (a pass option may
/// hold a comma-separated list).
llvm::SmallVector<std::string> splitStrategyList(llvm::StringRef list);

/// Adds `spec`'s lowering passes to `pm` (and its dataflow-program passes
/// when `dataflowProgram` is set) with its options applied.
llvm::Error buildStrategySpecPipeline(const StrategySpec &spec,
                                      mlir::OpPassManager &pm,
                                      bool dataflowProgram);

} // namespace moesaic

#endif // MOESAIC_DRIVER_STRATEGYSPEC_H
