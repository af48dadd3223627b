//===- InitAll.cpp - Register everything Moesaic provides -----------------===//

#include "moesaic/InitAll.h"
#include "moesaic/Dialect/Hw/HwDialect.h"
#include "moesaic/Dialect/Moe/MoeDialect.h"
#include "moesaic/Driver/Strategy.h"
#include "moesaic/Transforms/Passes.h"

#include <mutex>

void moesaic::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<moe::MoeDialect, hw::HwDialect>();
}

void moesaic::registerAllPasses() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerMoesaicPasses();
    registerAllStrategies();
  });
}
