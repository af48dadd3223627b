//===- Timeline.cpp - Chrome/Perfetto trace JSON of a simulated run --------===//
//
// One process per device (pid = device index + 1; threads 1 "compute" and
// 2 "memory"), one process for the links (pid = devices + 1; thread l + 1 per
// directed link l). A task shows as one "X" slice on every resource it held,
// so, since resources are exclusive, slices on one (pid, tid) never overlap.
// Zero-length tasks, barriers and never-ending tasks are left out.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Perf/Simulator.h"

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

static json::Object meta(const char *what, int64_t pid, int64_t tid,
                         const std::string &name) {
  json::Object o{{"name", what}, {"ph", "M"}, {"pid", pid},
                 {"args", json::Object{{"name", name}}}};
  if (tid >= 0)
    o["tid"] = tid;
  return o;
}

json::Value moesaic::perf::timelineJSON(const TaskGraph &graph,
                                        const SystemModel &system,
                                        const SimResult &result) {
  json::Array events;
  unsigned n = system.numDevices();
  int64_t linkPid = n + 1;
  for (unsigned d = 0; d < n; ++d) {
    events.push_back(meta("process_name", d + 1, -1, system.devices[d].name));
    events.push_back(meta("thread_name", d + 1, 1, "compute"));
    events.push_back(meta("thread_name", d + 1, 2, "memory"));
  }
  events.push_back(meta("process_name", linkPid, -1, "links"));
  for (size_t l = 0; l < system.links.size(); ++l) {
    const Link &link = system.links[l];
    events.push_back(meta("thread_name", linkPid, l + 1,
                          system.devices[link.src].name + "->" +
                              system.devices[link.dst].name));
  }
  bool recorded = result.taskStart.size() == graph.size() &&
                  result.taskEnd.size() == graph.size();
  std::vector<unsigned> route;
  for (size_t i = 0; recorded && i < graph.size(); ++i) {
    const Task &t = graph[(TaskId)i];
    double start = result.taskStart[i], dur = result.taskEnd[i] - start;
    // Barriers, zero-length tasks and tasks that never end (unreachable
    // destinations, reported in SimResult::warnings) have no slice.
    if (t.kind == TaskKind::Barrier || !(dur > 0) || !std::isfinite(dur) ||
        !std::isfinite(start))
      continue;
    std::string name = graph.labelOf(t);
    if (name.empty())
      name = kindName(t.kind);
    auto slice = [&](int64_t pid, int64_t tid) {
      json::Object args{{"phase", phaseName(t.phase)}, {"task", (int64_t)i}};
      if (t.layer >= 0)
        args["layer"] = t.layer;
      if (t.flops > 0)
        args["flops"] = t.flops;
      if (t.bytes > 0)
        args["bytes"] = t.bytes;
      events.push_back(json::Object{{"name", name},
                                    {"cat", kindName(t.kind)},
                                    {"ph", "X"},
                                    {"ts", start},
                                    {"dur", dur},
                                    {"pid", pid},
                                    {"tid", tid},
                                    {"args", std::move(args)}});
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
      system.appendRoute(t.device, t.dst, route);
      // The links are held while the bytes cross; the route's latency
      // after that is the message in flight, on no link's row.
      dur -= system.routeLatencyUs(route);
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
  return json::Object{{"traceEvents", std::move(events)},
                      {"displayTimeUnit", "ns"}};
}
