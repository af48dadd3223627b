//===- Passes.h - Moesaic's passes ------------------------------*- C++ -*-===//
//
// Declarations of every pass (generated from dialects/Transforms/Passes.td)
// and their registration.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_TRANSFORMS_PASSES_H
#define MOESAIC_TRANSFORMS_PASSES_H

#include "moesaic/Dialect/Df/DfOps.h"
#include "moesaic/Dialect/Hw/HwDialect.h"
#include "moesaic/Dialect/Moe/MoeDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace moesaic {

#define GEN_PASS_DECL
#include "Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "Transforms/Passes.h.inc"

} // namespace moesaic

#endif // MOESAIC_TRANSFORMS_PASSES_H
