//===- MoeDialect.h - The moe dialect ---------------------------*- C++ -*-===//

#ifndef MOESAIC_DIALECT_MOE_MOEDIALECT_H
#define MOESAIC_DIALECT_MOE_MOEDIALECT_H

#include "mlir/IR/Dialect.h"

#include "Moe/MoeDialect.h.inc"

#endif // MOESAIC_DIALECT_MOE_MOEDIALECT_H
