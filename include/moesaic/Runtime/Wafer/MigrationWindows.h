//===- MigrationWindows.h - A layer's migration slots ------------*- C++ -*-===//
//
// NI-Balancer's chunks copy expert weights from one die's HBM into
// another's, so they hide only where both memories are idle. At decode the
// HBM streams weights almost all the time: the ring phase's attention, the
// shared experts, the routed experts. `migrationSlots` estimates, for one
// MoE layer, what its two slots offer (times in us from the end of the
// ring compute):
//  - before the experts (SlotPhase::Ring): links loaded with the
//    all-reduces and the dispatch; each die's memory idle from 0 until it
//    is needed again: its shared-expert share right after the all-reduces,
//    else its routed experts once its dispatch has arrived;
//  - after the experts (SlotPhase::Moe): links loaded with the combine (the
//    dispatch is over); each die's memory idle from the end of its own expert work
//    to the end of the busiest die's plus the combine (the next layer's
//    ring compute waits for every combine; the combine holds links, not
//    memories).
// A die's dispatch arrives when the latest of its incoming flows is in,
// each done once the busiest link on its route has drained its dispatch
// bytes, plus the route's latency. The estimates are analytic; the
// balancer's fill fraction leaves room for what they miss. No MLIR
// dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_WAFER_MIGRATIONWINDOWS_H
#define MOESAIC_RUNTIME_WAFER_MIGRATIONWINDOWS_H

#include "moesaic/Runtime/Wafer/NIBalancer.h"
#include "moesaic/Runtime/Wafer/WaferTraffic.h"

#include <vector>

namespace moesaic::wafer {

struct LayerSlots {
  SlotWindow before, after;
};

/// `ringLoad`/`ringUs`: the all-reduces' bytes per link and time;
/// `moeFlows`: the layer's all-to-all as moeFlows gives it (dispatch and
/// combine alternating); `sharedUs`/`routedUs`: per device, the time of
/// its shared-expert share and of its routed experts (0: none).
LayerSlots migrationSlots(const SystemModel &system, const LinkLoad &ringLoad,
                          double ringUs, const std::vector<Flow> &moeFlows,
                          const std::vector<double> &sharedUs,
                          const std::vector<double> &routedUs);

} // namespace moesaic::wafer

#endif
