//===- StepWindows.cpp - Where a multi-step task graph may be cut ---------===//

#include "moesaic/Perf/StepWindows.h"

#include <cassert>

using namespace moesaic::perf;

void FollowSet::reset(TaskId origin, TaskId from) {
  origin_ = origin;
  from_ = from;
  follows.clear();
}

bool FollowSet::extend(const TaskGraph &graph) {
  bool all = true;
  for (TaskId id = from_ + (TaskId)follows.size(); id < graph.size(); ++id) {
    const Task &t = graph[id];
    bool f = false;
    for (const TaskId *d = graph.depsBegin(t); d != graph.depsEnd(t) && !f;
         ++d)
      f = *d == origin_ || (*d >= from_ && follows[*d - from_]);
    follows.push_back(f);
    all &= f;
  }
  return all;
}

bool moesaic::perf::allPrecede(const TaskGraph &graph, TaskId from,
                               TaskId end, TaskId cut) {
  if (cut < from || cut >= end)
    return false;
  // Backwards from the cut: dependencies always point to earlier tasks, so
  // one descending sweep marks every task the cut depends on.
  std::vector<uint8_t> done(end - from, 0);
  done[cut - from] = 1;
  bool all = true;
  for (TaskId id = end; id-- > from;) {
    if (!done[id - from]) {
      all = false;
      continue;
    }
    const Task &t = graph[id];
    for (const TaskId *d = graph.depsBegin(t); d != graph.depsEnd(t); ++d)
      if (*d >= from && *d < end)
        done[*d - from] = 1;
  }
  if (all)
    return true;
  // The others may only be barriers joining tasks that are done by then (a
  // barrier takes no time and holds nothing, so it is done with its last
  // dependency).
  for (TaskId id = from; id < end; ++id) {
    if (done[id - from])
      continue;
    const Task &t = graph[id];
    if (t.kind != TaskKind::Barrier)
      return false;
    for (const TaskId *d = graph.depsBegin(t); d != graph.depsEnd(t); ++d)
      if (*d >= from && !done[*d - from])
        return false;
    done[id - from] = 1;
  }
  return true;
}

bool moesaic::perf::allFollow(const TaskGraph &graph, TaskId cut,
                              TaskId from) {
  FollowSet set;
  set.reset(cut, from);
  return set.extend(graph);
}
