//===- EvaluateSchedule.cpp - Schedule JSON -> simulated result -----------===//
//
// The MLIR-free half of the evaluation: runtime, trace expansion,
// simulation, lower bound, and the report's result entry.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Driver/Evaluate.h"
#include "moesaic/Perf/LowerBounds.h"
#include "moesaic/Perf/Simulator.h"
#include "moesaic/Perf/StrategyRuntime.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace moesaic;
using namespace moesaic::perf;

static llvm::Error evalError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Total length of a union of intervals.
static double unionLength(std::vector<std::pair<double, double>> &spans) {
  std::sort(spans.begin(), spans.end());
  double total = 0, curStart = 0, curEnd = -1;
  for (auto [s, e] : spans) {
    if (e <= s)
      continue;
    if (s > curEnd) {
      if (curEnd > curStart)
        total += curEnd - curStart;
      curStart = s;
      curEnd = e;
    } else {
      curEnd = std::max(curEnd, e);
    }
  }
  if (curEnd > curStart)
    total += curEnd - curStart;
  return total;
}

/// Time in which migration work runs while nothing else does.
static double exposedMigrationUs(const TaskGraph &graph,
                                 const SimResult &sim) {
  // Speed (docs/performance.md): most strategies migrate nothing; do not
  // copy and sort every task's span (1.5 million for DeepSeek-V3 x 64
  // steps) just to find that out.
  if (std::none_of(graph.all().begin(), graph.all().end(), [](const Task &t) {
        return t.kind != TaskKind::Barrier && t.phase == Phase::Migration;
      }))
    return 0;
  std::vector<std::pair<double, double>> migration, other, both;
  both.reserve(graph.size());
  other.reserve(graph.size());
  for (TaskId id = 0; id < graph.size(); ++id) {
    const Task &t = graph[id];
    if (t.kind == TaskKind::Barrier)
      continue;
    auto span = std::make_pair(sim.taskStart[id], sim.taskEnd[id]);
    (t.phase == Phase::Migration ? migration : other).push_back(span);
    both.push_back(span);
  }
  if (migration.empty())
    return 0;
  // |M \ O| = |M u O| - |O|.
  return std::max(0.0, unionLength(both) - unionLength(other));
}

llvm::Expected<StrategyOutcome>
moesaic::evaluateSchedule(const llvm::json::Object &schedule,
                          const SystemModel &system, const ModelDesc &model,
                          const WorkloadSpec &workload,
                          const GatingTrace &trace, bool recordTimeline,
                          llvm::StringRef runtimeMode,
                          llvm::StringRef taskGranularity) {
  return evaluateSchedule(llvm::json::Object(schedule), system, model,
                          workload, trace, recordTimeline, runtimeMode,
                          taskGranularity);
}

llvm::Expected<StrategyOutcome>
moesaic::evaluateSchedule(llvm::json::Object &&scheduleIn,
                          const SystemModel &system, const ModelDesc &model,
                          const WorkloadSpec &workload,
                          const GatingTrace &trace, bool recordTimeline,
                          llvm::StringRef runtimeMode,
                          llvm::StringRef taskGranularity) {
  // Speed (docs/performance.md): the outcome keeps the schedule (for
  // --schedule); take it over rather than deep-copying it.
  StrategyOutcome out;
  out.schedule = std::move(scheduleIn);
  const llvm::json::Object &schedule = out.schedule;
  out.strategy = schedule.getString("strategy").value_or("").str();
  std::unique_ptr<StrategyRuntime> runtime = createRuntime(out.strategy);
  if (!runtime)
    return evalError("strategy '" + out.strategy +
                     "' has no runtime registered");
  if (runtimeMode == "dataflow") {
    if (llvm::Error e = runtime->useDataflowDecisions())
      return evalError("strategy '" + out.strategy +
                       "': --runtime=dataflow: " + llvm::toString(std::move(e)));
  } else if (runtimeMode != "direct") {
    return evalError("unknown runtime '" + runtimeMode +
                     "' (expected direct or dataflow)");
  }
  bool coarse = false;
  if (taskGranularity == "coarse")
    coarse = runtime->useCoarseTasks();
  else if (taskGranularity != "fine")
    return evalError("unknown task granularity '" + taskGranularity +
                     "' (expected fine or coarse)");
  if (llvm::Error e = runtime->load(schedule, system, model))
    return evalError("strategy '" + out.strategy +
                     "': " + llvm::toString(std::move(e)));

  int64_t context = workload.context > 0 ? workload.context : 4096;
  TaskGraph graph;
  TaskId prev = graph.addBarrier();
  std::vector<TaskId> stepBegin;
  double analytic = 0;
  for (int64_t step = 0; step < trace.steps; ++step) {
    StepContext ctx{system, model, trace, step, context};
    stepBegin.push_back(graph.size());
    prev = runtime->emitStep(ctx, graph, prev);
    analytic += runtime->analyticStepUs(ctx);
    // Speed (docs/performance.md): steps emit about as many tasks as the
    // first, so size the graph once instead of letting the vectors double
    // through ~20 reallocations (a copy and fresh page faults each time).
    if (step == 0 && trace.steps > 1 && graph.size() > 1) {
      size_t perStep = graph.size();
      size_t depsPerStep = graph[(TaskId)graph.size() - 1].depEnd;
      graph.reserve(perStep * trace.steps + perStep / 8,
                    depsPerStep * trace.steps + depsPerStep / 8);
    }
  }
  stepBegin.push_back(graph.size());

  SimOptions options;
  options.recordTasks = true;
  SimResult sim = simulate(graph, system, options);
  if (!sim.warnings.empty())
    return evalError("strategy '" + out.strategy +
                     "': the simulator rejected its task graph: " +
                     sim.warnings.front());

  double steps = std::max<int64_t>(trace.steps, 1);
  double latency = sim.makespanUs / steps;

  // Per step and layer: first start and last end of its (non-barrier)
  // tasks, overall and of the MoE phase.
  struct Span {
    double start = INFINITY, end = -INFINITY;
    void add(double s, double e) {
      start = std::min(start, s);
      end = std::max(end, e);
    }
    double length() const { return end > start ? end - start : 0; }
  };
  // moe_latency_us: time in which some MoE task runs (layers of different
  // devices may overlap, so per-layer spans do not add up).
  std::map<int32_t, double> layerSum, layerMoeSum;
  double moeSum = 0;
  for (size_t s = 0; s + 1 < stepBegin.size(); ++s) {
    std::map<int32_t, Span> layer, moe;
    std::vector<std::pair<double, double>> moeSpans;
    for (TaskId id = stepBegin[s]; id < stepBegin[s + 1]; ++id) {
      const Task &t = graph[id];
      if (t.kind == TaskKind::Barrier)
        continue;
      layer[t.layer].add(sim.taskStart[id], sim.taskEnd[id]);
      if (t.phase == Phase::Moe) {
        moe[t.layer].add(sim.taskStart[id], sim.taskEnd[id]);
        moeSpans.push_back({sim.taskStart[id], sim.taskEnd[id]});
      }
    }
    for (auto &[l, span] : layer)
      layerSum[l] += span.length();
    for (auto &[l, span] : moe)
      layerMoeSum[l] += span.length();
    moeSum += unionLength(moeSpans);
  }
  llvm::json::Array layers;
  for (auto &[l, sum] : layerSum) {
    llvm::json::Object entry{{"index", (int64_t)l},
                             {"latency_us", sum / steps}};
    auto it = layerMoeSum.find(l);
    if (it != layerMoeSum.end())
      entry["moe_latency_us"] = it->second / steps;
    layers.push_back(std::move(entry));
  }

  llvm::json::Array links;
  for (size_t i = 0; i < sim.links.size() && i < system.links.size(); ++i) {
    if (sim.links[i].bytes <= 0)
      continue;
    const Link &link = system.links[i];
    links.push_back(llvm::json::Object{
        {"src", system.devices[link.src].name},
        {"dst", system.devices[link.dst].name},
        {"bytes", (int64_t)std::llround(sim.links[i].bytes)},
        {"busy_us", sim.links[i].busyUs}});
  }

  double offchip = 0;
  int64_t peak = 0;
  int64_t staticBytes = runtime->staticOnchipBytes();
  for (const DeviceStats &d : sim.devices) {
    offchip += d.offchipBytes;
    peak = std::max(peak, d.peakOnchipBytes);
  }
  peak += staticBytes;

  // Per device: what the report's totals are the maximum or sum of, so users
  // (and the Python module's memory plot) see which device is the limit. The
  // static allocation is reserved on every device the strategy uses.
  llvm::json::Array devices;
  for (unsigned i = 0; i < system.devices.size() && i < sim.devices.size();
       ++i) {
    const Device &device = system.devices[i];
    if (device.kind == DeviceKind::Switch)
      continue;
    const DeviceStats &d = sim.devices[i];
    devices.push_back(llvm::json::Object{
        {"name", device.name},
        {"kind", toString(device.kind)},
        {"peak_onchip_bytes", d.peakOnchipBytes + staticBytes},
        {"onchip_capacity_bytes", device.onchipBytes},
        {"offchip_bytes", (int64_t)std::llround(d.offchipBytes)},
        {"compute_busy_us", d.computeBusyUs / steps},
        {"memory_busy_us", d.memoryBusyUs / steps}});
  }

  LowerBound bound = meanStepLowerBound(system, model, trace, context);
  double lowerBound = bound.max();
  // Internal check: no schedule beats the lower bound. A violation is a
  // bug in the runtime, the simulator or the bound, never a result.
  if (latency < lowerBound * (1 - 1e-9))
    return evalError(llvm::formatv("internal check failed: strategy '{0}' "
                                   "simulates {1} us per step, below the "
                                   "lower bound {2} us",
                                   out.strategy, latency, lowerBound)
                         .str());

  double analyticMean = analytic / steps;
  llvm::json::Object result{
      {"strategy", out.strategy},
      {"latency_us", latency},
      {"moe_latency_us", moeSum / steps},
      {"lower_bound_us", lowerBound},
      {"lower_bound", bound.toJSON()},
      {"bound_ratio", lowerBound > 0 ? latency / lowerBound : 0.0},
      {"analytic_latency_us", analyticMean},
      {"comm_bytes", (int64_t)std::llround(sim.commBytes)},
      {"offchip_bytes", (int64_t)std::llround(offchip)},
      {"peak_onchip_bytes", peak},
      {"migration_exposed_us", exposedMigrationUs(graph, sim) / steps},
      {"layers", std::move(layers)},
      {"links", std::move(links)},
      {"devices", std::move(devices)},
      {"tasks", (int64_t)graph.size()},
      {"task_granularity", coarse ? "coarse" : "fine"},
  };
  if (latency > 0 && std::fabs(analyticMean - latency) > 0.05 * latency) {
    std::string why =
        analyticMean < latency
            ? "the simulation is slower: tasks sharing a link or an engine "
              "queue behind each other and dependent chains (load then "
              "compute) fill pipelines, which the closed form ignores"
            : "the simulation is faster: a device starts its next stage "
              "while others still finish the previous one, which the "
              "closed form does not overlap";
    std::string note = runtime->analyticNote();
    result["analytic_note"] = note.empty() ? why : why + "; " + note;
  }
  runtime->report(result);
  out.result = std::move(result);
  if (recordTimeline)
    out.timeline = perf::timelineJSON(graph, system, sim);
  return out;
}
