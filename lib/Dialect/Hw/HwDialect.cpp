//===- HwDialect.cpp - The hw dialect -------------------------------------===//

#include "moesaic/Dialect/Hw/HwDialect.h"
#include "moesaic/Dialect/Hw/HwOps.h"

using namespace mlir;
using namespace moesaic::hw;

#include "Hw/HwDialect.cpp.inc"
#include "Hw/HwEnums.cpp.inc"

void HwDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "Hw/HwOps.cpp.inc"
      >();
}
