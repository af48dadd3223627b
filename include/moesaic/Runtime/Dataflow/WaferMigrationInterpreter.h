//===- WaferMigrationInterpreter.h - er-mapping migrations as when/where -*- C++ -*-===//
//
// Runs the programs moe-df-lower-wafer writes (one trigger program per MoE
// layer, one staging program) and makes the NI-Balancer's decisions: the
// same moves and chunk placements as wafer::NIBalancer::observe and
// ::fillSlot (the direct path). What comes from where (docs/dataflow.md,
// "er-mapping"):
//   - from the graph: each expert unit's load over the window (the gating
//     `where` and the shard fan-out), each die's load (the placement
//     `select`), whether the layer triggers (a die's threshold `when`
//     fired), each chunk's links (the `route` where) and when a link can
//     take no more chunks in the slot (its threshold `when`);
//   - plain code: the threshold values (least count above trigger x the
//     window's mean; 1 + the chunks a link's spare bytes hold, 1 if the
//     link is hot), the hot-link test (load > cold_fraction x the phase's
//     busiest link), the route latency check, the booking of each chunk on
//     the slot's memory and link timeline (NIBalancer's SlotTimeline: a
//     chunk must end within its two memories' idle windows), the window /
//     cooldown bookkeeping and the greedy swap search
//     (NIBalancer::planSwaps).
// The moves' state (pending chunks, landing, flushing) lives in an
// NIBalancer the interpreter owns.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_DATAFLOW_WAFERMIGRATIONINTERPRETER_H
#define MOESAIC_RUNTIME_DATAFLOW_WAFERMIGRATIONINTERPRETER_H

#include "moesaic/Runtime/Dataflow/Program.h"
#include "moesaic/Runtime/Wafer/NIBalancer.h"

#include <deque>
#include <memory>

namespace moesaic::dataflow {

/// One MoE layer's gating of one batch: token t picks
/// experts[t*topK .. t*topK+topK) (negative ids: dropped).
struct LayerGating {
  const int32_t *experts = nullptr;
  unsigned tokens = 0, topK = 0;
};

class WaferMigrationInterpreter {
public:
  /// `triggers[l]`: the trigger program of MoE layer l (in MoE layer
  /// order); `staging`: the staging program. Checks their parameters
  /// against the layout and the system.
  static llvm::Expected<std::unique_ptr<WaferMigrationInterpreter>>
  create(std::vector<Program> triggers, Program staging,
         wafer::BalancerConfig config, const SystemModel &system,
         const wafer::WaferLayout &layout,
         std::vector<double> unitBytesPerLayer);

  /// NIBalancer::observe from the gatings of one step (one per MoE layer):
  /// the moves decided now.
  std::vector<int64_t> observe(int64_t step,
                               const std::vector<LayerGating> &gating);
  /// NIBalancer::fillSlot: the chunks placed. Fails when the pending
  /// moves' chunks differ in size (a link's capacity is counted in chunks).
  llvm::Expected<std::vector<int64_t>>
  fillSlot(int64_t step, int64_t moeLayer, wafer::SlotPhase phase,
           const wafer::SlotWindow &window);

  /// Whether layer l's trigger fired in the last observe().
  bool triggered(size_t l) const { return fired[l]; }
  const wafer::NIBalancer &balancer() const { return bal; }
  wafer::NIBalancer &balancer() { return bal; }

private:
  struct Trigger {
    Program prog;
    std::unique_ptr<Executor> exec;
    uint32_t tokens = 0, dispatchBase = 0, unitBase = 0;
    uint32_t selectNode = 0;
    std::vector<uint32_t> dieNode; // threshold when of die position d
    std::deque<std::vector<int32_t>> window;
    unsigned topK = 0;
  };
  WaferMigrationInterpreter(wafer::BalancerConfig config,
                            const SystemModel &system,
                            const wafer::WaferLayout &layout,
                            std::vector<double> unitBytes);
  void runBatch(Trigger &t, const int32_t *experts, unsigned tokens,
                unsigned topK, bool armed, int64_t total);

  const SystemModel &sys;
  wafer::NIBalancer bal;
  wafer::BalancerConfig cfg;
  int64_t numExperts = 0, shards = 1;
  std::vector<int32_t> diePos; // device -> accelerator position
  std::vector<std::unique_ptr<Trigger>> triggers;
  std::vector<bool> fired;
  // Staging.
  Program stagingProg;
  std::unique_ptr<Executor> stagingExec;
  uint32_t chunksValue = 0, openValue = 0;
  std::vector<uint32_t> blockedNode; // [link]
  std::vector<int32_t> routeTable;
};

} // namespace moesaic::dataflow

#endif // MOESAIC_RUNTIME_DATAFLOW_WAFERMIGRATIONINTERPRETER_H
