//===- Baselines.h - Runtimes of ep, tp, eplb and fastermoe -----*- C++ -*-===//
//
// The runtime halves of the baseline strategies (docs/strategies.md):
//  - ep, eplb: tokens go to the devices holding their experts
//    ("expert_placement"); an expert with replicas gets its tokens split
//    round-robin among them;
//  - tp: every device computes its slice ("expert_shards") of every active
//    expert for every token, then a ring all-reduce;
//  - fastermoe: ep plus, per step and layer, the greedy shadowing decision
//    of FasterMoE's roofline model ("shadowing"), with the broadcast of the
//    shadowed experts' weights.
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_STRATEGIES_BASELINES_H
#define MOESAIC_STRATEGIES_BASELINES_H

namespace moesaic {

/// Registers the runtimes "ep", "tp", "eplb" and "fastermoe".
void registerBaselineRuntimes();

} // namespace moesaic

#endif // MOESAIC_STRATEGIES_BASELINES_H
