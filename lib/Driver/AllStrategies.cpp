//===- AllStrategies.cpp - Register every strategy of the project ---------===//
//
// One line per strategy family: each family's registration function adds
// its pipelines (registerStrategy) and runtimes (perf::registerRuntime).
//
//===----------------------------------------------------------------------===//

#include "moesaic/Driver/Strategy.h"

#include <mutex>

void moesaic::registerAllStrategies() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerBaselineStrategies();
  });
}
