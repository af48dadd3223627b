//===- NdpStrategies.h - The GPU-NDP strategies -----------------*- C++ -*-===//
//
// ndp-tp and its baselines ndp-ondemand, ndp-fiddler, ndp-monde
// (docs/gpu-ndp.md): their pipelines (registerStrategy, gpu-ndp systems
// only) and runtimes (moesaic/Runtime/Ndp/NdpRuntimes.h).
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DRIVER_NDPSTRATEGIES_H
#define MOESAIC_DRIVER_NDPSTRATEGIES_H

namespace moesaic {

/// Registers the four GPU-NDP strategies and their runtimes.
void registerNdpStrategies();

} // namespace moesaic

#endif // MOESAIC_DRIVER_NDPSTRATEGIES_H
