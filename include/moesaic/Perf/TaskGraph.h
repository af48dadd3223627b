//===- TaskGraph.h - What a schedule does, as tasks with deps ---*- C++ -*-===//
//
// The simulator's input: the work of one or more decode steps as tasks on the
// target's resources, with dependencies. Strategies' runtime parts append
// tasks (StrategyRuntime.h); the simulator (Simulator.h) executes them.
//
// Resources: each device has a compute engine and a memory engine (its
// off-chip interface); each directed link of the SystemModel is a resource.
//  - Compute: occupies the device's compute engine; when `bytes` > 0 it also
//    streams that many bytes from off-chip memory and occupies the memory
//    engine for the same time (roofline: max of the two).
//  - Load: off-chip -> on-chip copy on the device's memory engine.
//  - Transfer: src -> dst over the route of the SystemModel; occupies every
//    link of the route for latency + bytes / slowest-link bandwidth
//    (cut-through), so transfers sharing a link queue behind each other.
//  - Barrier: no resource, zero time; joins dependencies.
// A task may allocate on-chip bytes on its device when it starts and free
// bytes when it ends, which gives the peak on-chip memory per device.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_PERF_TASKGRAPH_H
#define MOESAIC_PERF_TASKGRAPH_H

#include <cassert>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <vector>

namespace moesaic::perf {

using TaskId = uint32_t;
constexpr TaskId kNoTask = ~0u;

enum class TaskKind : uint8_t { Compute, Load, Transfer, Barrier };

/// What a task belongs to, for per-phase statistics.
enum class Phase : uint8_t { Dense, Moe, Migration, Other };

struct Task {
  TaskKind kind = TaskKind::Barrier;
  Phase phase = Phase::Other;
  /// Transfer only: a copy between off-chip memories (moving weights): the
  /// source's memory engine reads the bytes and the destination's writes
  /// them while they cross the route, so both memory engines are held too
  /// and the copy runs at the slowest of the links and the two memories.
  bool memoryCopy = false;
  /// Compute/Load: the device. Transfer: the source device.
  uint32_t device = 0;
  /// Transfer: the destination device.
  uint32_t dst = 0;
  /// Transformer layer (-1: none).
  int32_t layer = -1;
  /// Index into TaskGraph::labels (timeline name), 0 = unnamed.
  uint32_t label = 0;
  double flops = 0;
  /// Compute: off-chip bytes streamed; Load/Transfer: bytes moved.
  double bytes = 0;
  /// Compute throughput used (TFLOP/s); set from the device and dtype by
  /// addCompute.
  double tflops = 0;
  /// On-chip bytes allocated on `device` (dst for transfers) at start, and
  /// freed on that device at the end.
  int64_t allocBytes = 0, freeBytes = 0;
  /// Dependencies: deps[depBegin, depEnd) in TaskGraph::deps.
  uint32_t depBegin = 0, depEnd = 0;
  /// Priority among ready tasks on the same resource: lower first.
  int32_t priority = 0;
};

/// An append-only task DAG (dependencies always point to earlier tasks, so
/// it is acyclic by construction).
///
/// Windows: splitBefore(id) moves the tasks before `id` out into a graph of
/// their own (for the simulator to run while more tasks are appended here),
/// so a graph may hold only its tasks [firstTask(), size()). Ids stay
/// global: a held task may depend on tasks that were split off; indexing one
/// of those is a bug.
class TaskGraph {
public:
  TaskGraph();

  TaskId addCompute(uint32_t device, double flops, double offchipBytes,
                    double tflops, std::initializer_list<TaskId> deps = {});
  TaskId addLoad(uint32_t device, double bytes,
                 std::initializer_list<TaskId> deps = {});
  TaskId addTransfer(uint32_t src, uint32_t dst, double bytes,
                     std::initializer_list<TaskId> deps = {});
  TaskId addBarrier(std::initializer_list<TaskId> deps = {});
  /// Same, with dependencies from a vector.
  TaskId add(Task task, const std::vector<TaskId> &deps);

  /// Sets the context later tasks get: layer, phase, label.
  void setLayer(int32_t layer) { curLayer = layer; }
  void setPhase(Phase phase) { curPhase = phase; }
  /// Interns a label ("expert 12 shard 3") and makes it the current one.
  uint32_t setLabel(const std::string &label);
  /// Makes an interned label (setLabel's result) the current one again.
  void setLabelId(uint32_t id) { curLabel = id; }
  void clearLabel() { curLabel = 0; }

  Task &operator[](TaskId id) {
    assert(id >= base && "task was split off");
    return tasks[id - base];
  }
  const Task &operator[](TaskId id) const {
    assert(id >= base && "task was split off");
    return tasks[id - base];
  }
  /// One past the last task id (tasks split off included).
  size_t size() const { return base + tasks.size(); }
  /// The first task this graph still holds (0 unless split).
  TaskId firstTask() const { return base; }
  /// The held tasks: all()[i] is task firstTask() + i.
  const std::vector<Task> &all() const { return tasks; }
  /// A task's dependencies (global ids; those below firstTask() were split
  /// off).
  const TaskId *depsBegin(const Task &t) const {
    return deps.data() + (t.depBegin - depBase);
  }
  const TaskId *depsEnd(const Task &t) const {
    return deps.data() + (t.depEnd - depBase);
  }
  /// Its label; a split-off window keeps no labels (empty).
  const std::string &labelOf(const Task &t) const {
    return t.label < labels.size() ? labels[t.label] : labels[0];
  }

  /// Every interned label, by id (labelOf(t) is labelNames()[t.label]);
  /// empty in a split-off window.
  const std::vector<std::string> &labelNames() const { return labels; }

  /// Reserves room for this many more tasks and dependencies.
  void reserve(size_t numTasks, size_t numDeps);

  /// Moves the held tasks before `end` (firstTask() <= end <= size()) into
  /// the returned graph, which holds them under the same ids; this graph
  /// then holds [end, size()) and keeps appending after them.
  TaskGraph splitBefore(TaskId end);

private:
  TaskId push(Task task, const TaskId *depBegin, const TaskId *depEnd);

  std::vector<Task> tasks;
  std::vector<TaskId> deps;
  /// Id of tasks[0], and index of deps[0] in the graph's dependency order.
  TaskId base = 0;
  uint32_t depBase = 0;
  std::vector<std::string> labels;
  /// labels[i] -> i, so interning stays O(1) with thousands of labels.
  std::unordered_map<std::string, uint32_t> labelIds;
  int32_t curLayer = -1;
  Phase curPhase = Phase::Other;
  uint32_t curLabel = 0;
};

} // namespace moesaic::perf

#endif // MOESAIC_PERF_TASKGRAPH_H
