//===- TaskGraph.cpp - Append-only task DAG --------------------------------===//

#include "moesaic/Perf/TaskGraph.h"
#include "HugePages.h"

#include <cassert>

using namespace moesaic::perf;

TaskGraph::TaskGraph() { labels.emplace_back(); }

void TaskGraph::reserve(size_t numTasks, size_t numDeps) {
  size_t oldTasks = tasks.capacity(), oldDeps = deps.capacity();
  tasks.reserve(tasks.size() + numTasks);
  deps.reserve(deps.size() + numDeps);
  // Only fresh storage (the part past size() is not touched yet) gets huge
  // pages (HugePages.h).
  if (tasks.capacity() != oldTasks)
    adviseHugePages(tasks.data() + tasks.size(),
                    (tasks.capacity() - tasks.size()) * sizeof(Task));
  if (deps.capacity() != oldDeps)
    adviseHugePages(deps.data() + deps.size(),
                    (deps.capacity() - deps.size()) * sizeof(TaskId));
}

uint32_t TaskGraph::setLabel(const std::string &label) {
  if (label.empty())
    return curLabel = 0;
  auto [it, fresh] = labelIds.try_emplace(label, (uint32_t)labels.size());
  if (fresh)
    labels.push_back(label);
  return curLabel = it->second;
}

TaskGraph TaskGraph::splitBefore(TaskId end) {
  assert(end >= base && end <= size() && "split point outside the graph");
  size_t count = end - base;
  size_t depCount =
      count == tasks.size() ? deps.size() : tasks[count].depBegin - depBase;
  TaskGraph window;
  window.base = base;
  window.depBase = depBase;
  window.tasks.assign(tasks.begin(), tasks.begin() + count);
  window.deps.assign(deps.begin(), deps.begin() + depCount);
  tasks.erase(tasks.begin(), tasks.begin() + count);
  deps.erase(deps.begin(), deps.begin() + depCount);
  base = end;
  depBase += (uint32_t)depCount;
  return window;
}

TaskId TaskGraph::push(Task task, const TaskId *depBegin,
                       const TaskId *depEnd) {
  TaskId id = (TaskId)size();
  task.layer = task.layer == -1 ? curLayer : task.layer;
  task.phase = task.phase == Phase::Other ? curPhase : task.phase;
  task.label = task.label == 0 ? curLabel : task.label;
  task.depBegin = depBase + (uint32_t)deps.size();
  for (const TaskId *d = depBegin; d != depEnd; ++d) {
    if (*d == kNoTask)
      continue;
    // Dependencies always point backwards: the graph is acyclic by
    // construction.
    assert(*d < id && "dependency on a task that does not exist yet");
    deps.push_back(*d);
  }
  task.depEnd = depBase + (uint32_t)deps.size();
  tasks.push_back(task);
  return id;
}

TaskId TaskGraph::addCompute(uint32_t device, double flops,
                             double offchipBytes, double tflops,
                             std::initializer_list<TaskId> d) {
  Task t;
  t.kind = TaskKind::Compute;
  t.device = device;
  t.dst = device;
  t.flops = flops;
  t.bytes = offchipBytes;
  t.tflops = tflops;
  return push(t, d.begin(), d.end());
}

TaskId TaskGraph::addLoad(uint32_t device, double bytes,
                          std::initializer_list<TaskId> d) {
  Task t;
  t.kind = TaskKind::Load;
  t.device = device;
  t.dst = device;
  t.bytes = bytes;
  return push(t, d.begin(), d.end());
}

TaskId TaskGraph::addTransfer(uint32_t src, uint32_t dst, double bytes,
                              std::initializer_list<TaskId> d) {
  Task t;
  t.kind = TaskKind::Transfer;
  t.device = src;
  t.dst = dst;
  t.bytes = bytes;
  return push(t, d.begin(), d.end());
}

TaskId TaskGraph::addBarrier(std::initializer_list<TaskId> d) {
  Task t;
  t.kind = TaskKind::Barrier;
  return push(t, d.begin(), d.end());
}

TaskId TaskGraph::add(Task task, const std::vector<TaskId> &d) {
  return push(task, d.data(), d.data() + d.size());
}
