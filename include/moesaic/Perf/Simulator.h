//===- Simulator.h - Event-driven execution of a task graph -----*- C++ -*-===//
//
// Executes a TaskGraph on a SystemModel: a task starts when its dependencies
// have finished and every resource it needs is free (non-preemptive list
// scheduling, ready tasks in order of ready time, then priority, then id),
// and holds those resources for its duration. Records what the report and
// the timeline need. See docs/performance-model.md for the formulas.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_PERF_SIMULATOR_H
#define MOESAIC_PERF_SIMULATOR_H

#include "moesaic/Perf/TaskGraph.h"
#include "moesaic/Target/SystemModel.h"

#include "llvm/Support/JSON.h"

#include <map>
#include <string>
#include <vector>

namespace moesaic::perf {

/// Duration in microseconds of `task` on `system` when it has its resources
/// to itself.
double taskDurationUs(const Task &task, const SystemModel &system);

struct SimOptions {
  /// Keep per-task start/end times (needed for the timeline).
  bool recordTasks = false;
};

struct LinkStats {
  double bytes = 0;
  double busyUs = 0;
};

struct DeviceStats {
  double computeBusyUs = 0;
  double memoryBusyUs = 0;
  double flops = 0;
  double offchipBytes = 0;
  int64_t peakOnchipBytes = 0;
};

struct LayerStats {
  double startUs = 0, endUs = 0;
  double moeStartUs = 0, moeEndUs = 0;
  bool seen = false, moeSeen = false;
};

struct SimResult {
  double makespanUs = 0;
  /// Per device (SystemModel index) and per directed link.
  std::vector<DeviceStats> devices;
  std::vector<LinkStats> links;
  /// Per layer index: when its first task started and last ended.
  std::map<int32_t, LayerStats> layers;
  /// Sum over transfers of bytes x hops.
  double byteHops = 0;
  double commBytes = 0;
  /// Busy time of phase-tagged work, summed over resources.
  double moeComputeUs = 0, moeCommUs = 0, migrationUs = 0;
  uint64_t events = 0;
  /// When recordTasks: start/end per task id.
  std::vector<double> taskStart, taskEnd;
  /// Problems found in the graph (tasks on unknown devices, tasks that
  /// never ran); empty for a well-formed graph.
  std::vector<std::string> warnings;

  int64_t peakOnchipBytes() const;
};

/// Runs the simulation. Deterministic.
SimResult simulate(const TaskGraph &graph, const SystemModel &system,
                   const SimOptions &options = {});

/// Chrome/Perfetto trace JSON of a recorded run: one process per device
/// (threads "compute" and "memory") and one for the links (a thread per
/// directed link); slices never overlap on one thread.
llvm::json::Value timelineJSON(const TaskGraph &graph,
                               const SystemModel &system,
                               const SimResult &result);

} // namespace moesaic::perf

#endif // MOESAIC_PERF_SIMULATOR_H
