//===- Timeline.cpp - Chrome/Perfetto trace JSON of a simulated run --------===//
//
// One process per device (pid = device index + 1; threads 1 "compute" and
// 2 "memory"), one process for the links (pid = devices + 1; thread l + 1 per
// directed link l). A task shows as one "X" slice on every resource it held,
// so, since resources are exclusive, slices on one (pid, tid) never overlap.
// Zero-length tasks, barriers and never-ending tasks are left out. The JSON
// text is streamed (llvm::json::OStream), never built as a value tree.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Perf/Timeline.h"

#include <cmath>

using namespace moesaic;
using namespace moesaic::perf;
namespace json = llvm::json;

static const char *kindName(TaskKind k) {
  switch (k) {
  case TaskKind::Compute:
    return "compute";
  case TaskKind::Load:
    return "load";
  case TaskKind::Transfer:
    return "transfer";
  case TaskKind::Barrier:
    return "barrier";
  }
  return "task";
}

static const char *phaseName(Phase p) {
  switch (p) {
  case Phase::Dense:
    return "dense";
  case Phase::Moe:
    return "moe";
  case Phase::Migration:
    return "migration";
  case Phase::Other:
    return "other";
  }
  return "other";
}

Timeline::Timeline(const SystemModel &system) : system(&system) {
  for (const Device &d : system.devices)
    processNames.push_back(d.name);
  processNames.push_back("links");
  for (const Link &link : system.links)
    linkNames.push_back(system.devices[link.src].name + "->" +
                        system.devices[link.dst].name);
}

void Timeline::addTasks(const TaskGraph &graph,
                        llvm::function_ref<double(TaskId)> startOf,
                        llvm::function_ref<double(TaskId)> endOf) {
  const unsigned n = system->numDevices();
  const uint32_t linkPid = n + 1;
  std::vector<unsigned> route;
  for (TaskId id = graph.firstTask(); id < graph.size(); ++id) {
    const Task &t = graph[id];
    double start = startOf(id), dur = endOf(id) - start;
    // Barriers, zero-length tasks and tasks that never end (unreachable
    // destinations, reported in SimResult::warnings) have no slice.
    if (t.kind == TaskKind::Barrier || !(dur > 0) || !std::isfinite(dur) ||
        !std::isfinite(start))
      continue;
    auto slice = [&](uint32_t pid, uint32_t tid) {
      slices.push_back({start, dur, t.flops, t.bytes, id, t.label, t.layer,
                        pid, tid, t.kind, t.phase});
    };
    switch (t.kind) {
    case TaskKind::Compute:
      if (t.device >= n)
        break;
      slice(t.device + 1, 1);
      if (t.bytes > 0)
        slice(t.device + 1, 2);
      break;
    case TaskKind::Load:
      if (t.device < n)
        slice(t.device + 1, 2);
      break;
    case TaskKind::Transfer:
      if (t.device >= n || t.dst >= n)
        break;
      route.clear();
      system->appendRoute(t.device, t.dst, route);
      // The links are held while the bytes cross; the route's latency
      // after that is the message in flight, on no link's row.
      dur -= system->routeLatencyUs(route);
      if (!(dur > 0))
        break;
      for (unsigned l : route)
        slice(linkPid, l + 1);
      if (t.memoryCopy) { // read at the source, written at the destination
        slice(t.device + 1, 2);
        slice(t.dst + 1, 2);
      }
      break;
    case TaskKind::Barrier:
      break;
    }
  }
}

void Timeline::addWindow(const TaskGraph &window, const Simulator &sim) {
  addTasks(
      window, [&](TaskId id) { return sim.startUs(id); },
      [&](TaskId id) { return sim.endUs(id); });
}

// Keys in sorted order, as llvm::json prints an Object.
static void meta(json::OStream &os, const char *what, int64_t pid,
                 int64_t tid, llvm::StringRef prefix, llvm::StringRef name) {
  os.object([&] {
    os.attributeObject("args", [&] {
      os.attribute("name", (prefix + name).str());
    });
    os.attribute("name", what);
    os.attribute("ph", "M");
    os.attribute("pid", pid);
    if (tid >= 0)
      os.attribute("tid", tid);
  });
}

void Timeline::writeEvents(json::OStream &os, int64_t pidOffset,
                           llvm::StringRef processPrefix) const {
  const int64_t devices = (int64_t)processNames.size() - 1;
  const int64_t linkPid = devices + 1 + pidOffset;
  for (int64_t d = 0; d < devices; ++d) {
    meta(os, "process_name", d + 1 + pidOffset, -1, processPrefix,
         processNames[d]);
    meta(os, "thread_name", d + 1 + pidOffset, 1, "", "compute");
    meta(os, "thread_name", d + 1 + pidOffset, 2, "", "memory");
  }
  meta(os, "process_name", linkPid, -1, processPrefix, processNames.back());
  for (size_t l = 0; l < linkNames.size(); ++l)
    meta(os, "thread_name", linkPid, l + 1, "", linkNames[l]);
  for (const Slice &s : slices) {
    llvm::StringRef name = s.label > 0 && s.label < labelNames.size()
                               ? llvm::StringRef(labelNames[s.label])
                               : llvm::StringRef();
    if (name.empty())
      name = kindName(s.kind);
    os.object([&] {
      os.attributeObject("args", [&] {
        if (s.bytes > 0)
          os.attribute("bytes", s.bytes);
        if (s.flops > 0)
          os.attribute("flops", s.flops);
        if (s.layer >= 0)
          os.attribute("layer", (int64_t)s.layer);
        os.attribute("phase", phaseName(s.phase));
        os.attribute("task", (int64_t)s.task);
      });
      os.attribute("cat", kindName(s.kind));
      os.attribute("dur", s.dur);
      os.attribute("name", name);
      os.attribute("ph", "X");
      os.attribute("pid", (int64_t)s.pid + pidOffset);
      os.attribute("tid", (int64_t)s.tid);
      os.attribute("ts", s.ts);
    });
  }
}

void Timeline::write(
    llvm::raw_ostream &out,
    llvm::ArrayRef<std::pair<std::string, const Timeline *>> timelines) {
  json::OStream os(out);
  os.object([&] {
    os.attribute("displayTimeUnit", "ns");
    os.attributeArray("traceEvents", [&] {
      for (size_t i = 0; i < timelines.size(); ++i)
        if (timelines.size() == 1)
          timelines[i].second->writeEvents(os);
        else
          timelines[i].second->writeEvents(os, (int64_t)(1000 * i),
                                           timelines[i].first + ": ");
    });
  });
}

void Timeline::write(llvm::raw_ostream &out) const {
  write(out, {{"", this}});
}

json::Value moesaic::perf::timelineJSON(const TaskGraph &graph,
                                        const SystemModel &system,
                                        const SimResult &result) {
  Timeline timeline(system);
  bool recorded = result.taskStart.size() == graph.size() &&
                  result.taskEnd.size() == graph.size();
  if (recorded)
    timeline.addTasks(
        graph, [&](TaskId id) { return result.taskStart[id]; },
        [&](TaskId id) { return result.taskEnd[id]; });
  timeline.setLabels(graph.labelNames());
  std::string text;
  llvm::raw_string_ostream os(text);
  timeline.write(os);
  os.flush();
  return llvm::cantFail(json::parse(text));
}
