//===- HwDialect.h - The hw dialect -----------------------------*- C++ -*-===//

#ifndef MOESAIC_DIALECT_HW_HWDIALECT_H
#define MOESAIC_DIALECT_HW_HWDIALECT_H

#include "mlir/IR/Dialect.h"

#include "Hw/HwDialect.h.inc"

#endif // MOESAIC_DIALECT_HW_HWDIALECT_H
