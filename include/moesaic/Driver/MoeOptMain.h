//===- MoeOptMain.h - The moe-opt driver ------------------------*- C++ -*-===//
//
// moe-opt is mlir-opt plus Moesaic's flags (--hw, --strategy, --compare,
// --workload, --report, --schedule, --timeline, --list-hw,
// --list-strategies) and ONNX input. The tool's main() only registers and
// calls this.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DRIVER_MOEOPTMAIN_H
#define MOESAIC_DRIVER_MOEOPTMAIN_H

#include "mlir/IR/DialectRegistry.h"

namespace moesaic {

/// Runs moe-opt; returns the process exit code.
int moeOptMain(int argc, char **argv, mlir::DialectRegistry &registry);

} // namespace moesaic

#endif // MOESAIC_DRIVER_MOEOPTMAIN_H
