//===- InitAll.h - Register everything Moesaic provides ---------*- C++ -*-===//
//
// moe-opt and the Python module call these so that both register exactly
// the same dialects, passes and strategies.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_INITALL_H
#define MOESAIC_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace moesaic {

/// The moe and hw dialects.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Every pass and pass pipeline (idempotent).
void registerAllPasses();

} // namespace moesaic

#endif // MOESAIC_INITALL_H
