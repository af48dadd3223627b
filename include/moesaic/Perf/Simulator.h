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
#include <memory>
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
  /// When recordTasks: start/end per task id (of the last window run, index
  /// id - its first task; simulate(): the whole graph).
  std::vector<double> taskStart, taskEnd;
  /// Problems found in the graph (tasks on unknown devices, tasks that
  /// never ran); empty for a well-formed graph.
  std::vector<std::string> warnings;

  int64_t peakOnchipBytes() const;
};

namespace detail {
class SimEngine;
} // namespace detail

/// Runs a task graph window by window: each run() executes the tasks a graph
/// holds (TaskGraph::splitBefore) after those of the earlier runs. Tasks of
/// earlier windows that a window's tasks depend on count as done, and the
/// window's tasks are ready no earlier than the end of the previous window.
/// So the result equals one run of the whole graph when each window is cut
/// at a task T that every earlier task precedes and every later task
/// follows (the caller checks; Perf/StepWindows.h does it for decode
/// steps). Statistics accumulate over the windows. Deterministic.
class Simulator {
public:
  explicit Simulator(const SystemModel &system, const SimOptions &options = {});
  ~Simulator();
  Simulator(const Simulator &) = delete;
  Simulator &operator=(const Simulator &) = delete;

  void run(const TaskGraph &window);
  /// When recordTasks: start/end of a task of the last window.
  TaskId windowBase() const;
  double startUs(TaskId id) const;
  double endUs(TaskId id) const;
  /// The result over all windows (task times: of the last window).
  SimResult take();

private:
  SimOptions options;
  std::unique_ptr<detail::SimEngine> engine;
};

/// Runs the simulation of a whole graph. Deterministic.
SimResult simulate(const TaskGraph &graph, const SystemModel &system,
                   const SimOptions &options = {});

} // namespace moesaic::perf

#endif // MOESAIC_PERF_SIMULATOR_H
