//===- Strategy.cpp - Registry of named lowering pipelines ----------------===//

#include "moesaic/Driver/Strategy.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"

#include <mutex>

using namespace mlir;
using namespace moesaic;

static std::vector<StrategyInfo> &registry() {
  static std::vector<StrategyInfo> strategies;
  return strategies;
}

void moesaic::registerStrategy(StrategyInfo info) {
  if (findStrategy(info.name))
    return;
  registry().push_back(info);
  std::string name = info.name;
  PassPipelineRegistration<>(
      "moe-strategy-" + name,
      "Strategy '" + name + "': " + info.summary,
      [name](OpPassManager &pm) {
        // Look the strategy up at build time so the pipeline always matches
        // the registry entry.
        if (const StrategyInfo *s = findStrategy(name))
          buildStrategyPipeline(*s, pm, /*dataflowProgram=*/true);
      });
}

void moesaic::buildStrategyPipeline(const StrategyInfo &info,
                                    OpPassManager &pm, bool dataflowProgram) {
  info.buildPipeline(pm);
  if (dataflowProgram && info.buildDataflowProgram)
    info.buildDataflowProgram(pm);
}

const std::vector<StrategyInfo> &moesaic::listStrategies() {
  return registry();
}

const StrategyInfo *moesaic::findStrategy(llvm::StringRef name) {
  for (const StrategyInfo &s : registry())
    if (s.name == name)
      return &s;
  return nullptr;
}

std::string moesaic::strategyNames() {
  std::vector<std::string> names;
  for (const StrategyInfo &s : registry())
    names.push_back(s.name);
  return llvm::join(names, ", ");
}

bool moesaic::servesKind(const StrategyInfo &info, SystemKind kind) {
  return info.targets.empty() || llvm::is_contained(info.targets, kind);
}

std::vector<std::string> moesaic::targetNames(const StrategyInfo &info) {
  std::vector<std::string> names;
  for (SystemKind k : info.targets)
    names.push_back(toString(k));
  return names;
}
