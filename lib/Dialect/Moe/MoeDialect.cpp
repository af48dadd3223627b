//===- MoeDialect.cpp - The moe dialect and its types ---------------------===//

#include "moesaic/Dialect/Moe/MoeDialect.h"
#include "moesaic/Dialect/Moe/MoeOps.h"
#include "moesaic/Model/ModelDesc.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace moesaic::moe;

#include "Moe/MoeDialect.cpp.inc"
#include "Moe/MoeEnums.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "Moe/MoeTypes.cpp.inc"

void MoeDialect::initialize() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "Moe/MoeTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "Moe/MoeOps.cpp.inc"
      >();
}

LogicalResult RouteType::verify(function_ref<InFlightDiagnostic()> emitError,
                                int64_t experts, int64_t topK) {
  if (experts <= 0)
    return emitError() << "route needs a positive number of experts, got "
                       << experts;
  if (experts > moesaic::kMaxExperts)
    return emitError() << "route has " << experts
                       << " experts, more than the supported "
                       << moesaic::kMaxExperts;
  if (topK <= 0 || topK > experts)
    return emitError() << "route top_k must be in [1, experts=" << experts
                       << "], got " << topK;
  return success();
}

LogicalResult
DispatchedType::verify(function_ref<InFlightDiagnostic()> emitError,
                       int64_t experts, int64_t hidden, Type elementType) {
  if (experts <= 0)
    return emitError() << "dispatched tokens need a positive number of "
                          "experts, got "
                       << experts;
  if (experts > moesaic::kMaxExperts)
    return emitError() << "dispatched tokens go to " << experts
                       << " experts, more than the supported "
                       << moesaic::kMaxExperts;
  if (hidden <= 0)
    return emitError() << "dispatched tokens need a positive hidden size, got "
                       << hidden;
  if (hidden > moesaic::kMaxModelDim)
    return emitError() << "dispatched hidden size " << hidden
                       << " is more than the supported "
                       << moesaic::kMaxModelDim;
  if (!elementType.isIntOrFloat())
    return emitError() << "dispatched element type must be an integer or "
                          "float type, got "
                       << elementType;
  return success();
}
