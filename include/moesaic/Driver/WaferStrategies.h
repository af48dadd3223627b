//===- WaferStrategies.h - er-mapping and wafer-baseline --------*- C++ -*-===//

#ifndef MOESAIC_DRIVER_WAFERSTRATEGIES_H
#define MOESAIC_DRIVER_WAFERSTRATEGIES_H

namespace moesaic {
/// Registers the wafer strategies (`er-mapping`, `wafer-baseline`) and
/// their runtimes.
void registerWaferStrategies();
} // namespace moesaic

#endif
