//===- Timeline.h - Chrome/Perfetto trace of a simulated run ----*- C++ -*-===//
//
// The per-task timeline of a simulated run (`--timeline`, Python's
// Result.timeline()), recorded window by window as the simulator runs them
// and kept as compact slices (about 60 bytes each) until it is written out
// as Chrome/Perfetto trace JSON text. One process per device (threads
// "compute" and "memory") and one for the links (a thread per directed
// link); a task shows as one "X" slice on every resource it held, so slices
// on one thread never overlap. Barriers, zero-length and never-ending tasks
// have no slice.
//
// Building the trace as an llvm::json::Value tree instead cost about 1.6 KB
// per slice: 2.9 GB for one decode step of OLMoE-1B-7B on 8 chiplets.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_PERF_TIMELINE_H
#define MOESAIC_PERF_TIMELINE_H

#include "moesaic/Perf/Simulator.h"
#include "moesaic/Perf/TaskGraph.h"
#include "moesaic/Target/SystemModel.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <utility>
#include <vector>

namespace moesaic::perf {

class Timeline {
public:
  /// Names the processes and threads after `system`'s devices and links.
  explicit Timeline(const SystemModel &system);

  /// Adds a slice for every held task of `graph` (ids firstTask() ..
  /// size()) that ran from start(id) to end(id). Task labels are kept as
  /// `graph`'s label ids: setLabels() names them.
  void addTasks(const TaskGraph &graph,
                llvm::function_ref<double(TaskId)> start,
                llvm::function_ref<double(TaskId)> end);
  /// The same for the tasks a simulator ran last (Simulator::run).
  void addWindow(const TaskGraph &window, const Simulator &sim);
  /// Names the label ids of the tasks added: labels[id] (a split-off
  /// window keeps none, so the graph the tasks were emitted into gives
  /// them once every window has run).
  void setLabels(std::vector<std::string> labels) {
    labelNames = std::move(labels);
  }
  /// Drops every slice (an evaluation that starts over).
  void clear() { slices.clear(); }

  size_t numSlices() const { return slices.size(); }

  /// Writes the trace events, metadata first, into an open JSON array:
  /// process ids offset by `pidOffset`, process names prefixed by
  /// `processPrefix`.
  void writeEvents(llvm::json::OStream &os, int64_t pidOffset = 0,
                   llvm::StringRef processPrefix = "") const;
  /// Writes {"displayTimeUnit": "ns", "traceEvents": [...]} for several
  /// timelines side by side: the i-th with process ids offset by 1000 x i
  /// and process names prefixed "<name>: " (one timeline: as it is).
  static void
  write(llvm::raw_ostream &os,
        llvm::ArrayRef<std::pair<std::string, const Timeline *>> timelines);
  /// One timeline's document.
  void write(llvm::raw_ostream &os) const;

private:
  struct Slice {
    double ts, dur, flops, bytes;
    uint32_t task, label;
    int32_t layer;
    uint32_t pid, tid;
    TaskKind kind;
    Phase phase;
  };
  std::vector<std::string> processNames; ///< per device, then "links"
  std::vector<std::string> linkNames;
  std::vector<Slice> slices;
  std::vector<std::string> labelNames;
  /// What addTasks needs of the system: routes and their latency.
  const SystemModel *system;
};

/// Chrome/Perfetto trace JSON of a whole recorded run (`simulate` with
/// recordTasks), as a JSON value: for tests and small graphs.
llvm::json::Value timelineJSON(const TaskGraph &graph,
                               const SystemModel &system,
                               const SimResult &result);

} // namespace moesaic::perf

#endif // MOESAIC_PERF_TIMELINE_H
