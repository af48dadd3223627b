//===- moe-opt.cpp - The Moesaic compiler driver --------------------------===//
//
// mlir-opt for Mixture-of-Experts models: registers the project's dialects,
// passes and strategies, then hands over to the driver library.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Driver/MoeOptMain.h"
#include "moesaic/InitAll.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  moesaic::registerAllDialects(registry);
  moesaic::registerAllPasses();
  return moesaic::moeOptMain(argc, argv, registry);
}
