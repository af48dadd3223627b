//===- EplbPlacement.h - DeepSeek EPLB's replication and packing -*- C++ -*-===//
//
// The EPLB "global" policy (used for decoding): replicate the experts with the
// highest load per replica, then pack the replicas onto devices heaviest
// first, each onto the least-loaded device with a free slot that does not
// hold that expert yet (every device has the same number of slots). Shared by
// the moe-eplb-balance pass (static placement) and the eplb runtime
// (periodic rebalancing). No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_STRATEGIES_EPLBPLACEMENT_H
#define MOESAIC_STRATEGIES_EPLBPLACEMENT_H

#include <cstdint>
#include <vector>

namespace moesaic {

/// Default redundant replicas: one per device, rounded up so that experts +
/// replicas divide evenly over the devices.
int64_t eplbDefaultRedundant(int64_t numExperts, int64_t numDevices);

/// For each expert, the (sorted) positions in [0, numDevices) of the devices
/// holding it. Requires (load.size() + redundant) % numDevices == 0.
std::vector<std::vector<int64_t>>
eplbPlacement(const std::vector<int64_t> &load, int64_t numDevices,
              int64_t redundant);

/// Where each of eplbPlacement's packs goes when the placement is
/// recomputed: the packs are only a partition, so a deployment puts each
/// on the device that already holds most of its replicas (greedy on the
/// replicas a pack and a device share, most first; ties to the lower pack,
/// then the lower device; packs sharing nothing fill the free devices in
/// order) and moves only the rest. `placed`: eplbPlacement's result;
/// `current[e]`: positions in [0, numDevices) now holding expert e.
/// Returns the position of each pack.
std::vector<int64_t>
eplbMatchPacks(const std::vector<std::vector<int64_t>> &placed,
               const std::vector<std::vector<int64_t>> &current,
               int64_t numDevices);

} // namespace moesaic

#endif // MOESAIC_STRATEGIES_EPLBPLACEMENT_H
