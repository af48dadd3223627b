//===- NdpRuntimes.h - Runtimes of the GPU-NDP strategies -------*- C++ -*-===//
//
// The runtime halves (moesaic/Perf/StrategyRuntime.h) of `ndp-tp` and of
// the three baselines `ndp-ondemand`, `ndp-fiddler`, `ndp-monde`. Each
// turns one decode step's gating into tasks on the GPU, the PCIe link, the
// host CPU and the NDP units. docs/gpu-ndp.md describes them.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_NDP_NDPRUNTIMES_H
#define MOESAIC_RUNTIME_NDP_NDPRUNTIMES_H

#include "moesaic/Perf/StrategyRuntime.h"

#include "llvm/ADT/StringRef.h"

#include <memory>

namespace moesaic::ndp {

/// The runtime of a GPU-NDP strategy, or null for another name.
std::unique_ptr<perf::StrategyRuntime> createNdpRuntime(llvm::StringRef name);

/// Registers the four runtimes with perf::registerRuntime.
void registerNdpRuntimes();

} // namespace moesaic::ndp

#endif // MOESAIC_RUNTIME_NDP_NDPRUNTIMES_H
