//===- StepWindows.h - Where a multi-step task graph may be cut -*- C++ -*-===//
//
// A 64-step evaluation of a large model is millions of tasks. When one
// step's tasks all finish before the next step's can start, the simulator
// can run the graph step by step (Simulator::run per window) with the same
// result as one run, holding one step's tasks at a time instead of all of
// them. These checks say when that is so; docs/performance-model.md
// ("Windows") explains the rule.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_PERF_STEPWINDOWS_H
#define MOESAIC_PERF_STEPWINDOWS_H

#include "moesaic/Perf/TaskGraph.h"

#include <vector>

namespace moesaic::perf {

/// Tracks which held tasks follow `origin` (the task the current window
/// started after): a task follows it when one of its dependencies is
/// `origin` or a held task that follows it.
class FollowSet {
public:
  /// Starts over at `origin`, with the held tasks from `from` on.
  void reset(TaskId origin, TaskId from);
  /// Adds the tasks [next, graph.size()) appended since; false when one of
  /// them does not follow the origin.
  bool extend(const TaskGraph &graph);

private:
  TaskId origin_ = 0, from_ = 0;
  std::vector<uint8_t> follows; // index: id - from_
};

/// Whether `cut` (a held task in [from, end)) ends every held task in
/// [from, end): each of them precedes it (is a dependency of it, directly
/// or through others in the range), or is a barrier joining only tasks that
/// do (it takes no time, so it is done by then too).
bool allPrecede(const TaskGraph &graph, TaskId from, TaskId end, TaskId cut);

/// Whether every task in [from, graph.size()) follows `cut` (depends on it,
/// directly or through others in the range).
bool allFollow(const TaskGraph &graph, TaskId cut, TaskId from);

} // namespace moesaic::perf

#endif // MOESAIC_PERF_STEPWINDOWS_H
