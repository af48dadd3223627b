//===- StrategyRuntime.cpp - Registry of strategies' runtime parts ---------===//

#include "moesaic/Perf/StrategyRuntime.h"

#include "llvm/ADT/StringMap.h"

#include <mutex>

using namespace moesaic::perf;

namespace {
struct Registry {
  std::mutex lock;
  llvm::StringMap<RuntimeFactory> factories;
};
Registry &registry() {
  static Registry r;
  return r;
}
} // namespace

void moesaic::perf::registerRuntime(llvm::StringRef strategy,
                                    RuntimeFactory factory) {
  Registry &r = registry();
  std::lock_guard<std::mutex> guard(r.lock);
  // Idempotent per name: the first registration wins, so calling a
  // strategy's registration function twice changes nothing.
  r.factories.try_emplace(strategy, std::move(factory));
}

std::unique_ptr<StrategyRuntime>
moesaic::perf::createRuntime(llvm::StringRef strategy) {
  Registry &r = registry();
  RuntimeFactory factory;
  {
    std::lock_guard<std::mutex> guard(r.lock);
    auto it = r.factories.find(strategy);
    if (it == r.factories.end())
      return nullptr;
    factory = it->second;
  }
  return factory ? factory() : nullptr;
}
