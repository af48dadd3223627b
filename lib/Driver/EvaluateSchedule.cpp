//===- EvaluateSchedule.cpp - Schedule JSON -> simulated result -----------===//
//
// The MLIR-free half of the evaluation: runtime, trace expansion,
// simulation, lower bound, and the report's result entry.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Driver/Evaluate.h"
#include "moesaic/Perf/LowerBounds.h"
#include "moesaic/Perf/Simulator.h"
#include "moesaic/Perf/Timeline.h"
#include "moesaic/Perf/StepWindows.h"
#include "moesaic/Perf/StrategyRuntime.h"

#include "moesaic/Support/NumberFormat.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <optional>

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

/// Time in which migration work runs while nothing else does, among the
/// tasks `window` holds.
static double exposedMigrationUs(const TaskGraph &window,
                                 const Simulator &sim) {
  const std::vector<Task> &tasks = window.all();
  // Speed (docs/performance.md): most strategies migrate nothing; do not
  // copy and sort every task's span (1.5 million for DeepSeek-V3 x 64
  // steps) just to find that out.
  if (std::none_of(tasks.begin(), tasks.end(), [](const Task &t) {
        return t.kind != TaskKind::Barrier && t.phase == Phase::Migration;
      }))
    return 0;
  std::vector<std::pair<double, double>> migration, other, both;
  both.reserve(tasks.size());
  other.reserve(tasks.size());
  for (TaskId id = window.firstTask(); id < window.size(); ++id) {
    const Task &t = window[id];
    if (t.kind == TaskKind::Barrier)
      continue;
    auto span = std::make_pair(sim.startUs(id), sim.endUs(id));
    (t.phase == Phase::Migration ? migration : other).push_back(span);
    both.push_back(span);
  }
  if (migration.empty())
    return 0;
  // |M \ O| = |M u O| - |O|.
  return std::max(0.0, unionLength(both) - unionLength(other));
}

/// A byte figure for the report: rounded, and saturated at INT64_MAX
/// (llround of a larger double is undefined; a context of 2^38 tokens gave
/// -9223372036854775808).
static int64_t byteCount(double bytes) {
  if (!(bytes > 0))
    return 0;
  if (bytes >= 9.2e18)
    return INT64_MAX;
  return std::llround(bytes);
}

namespace {
/// What the report needs of the simulated steps, gathered window by window.
struct StepStats {
  /// Per layer: sums over steps of its span, and of its MoE phase's span.
  std::map<int32_t, double> layerSum, layerMoeSum;
  /// Sum over steps of the time in which some MoE task runs.
  double moeSum = 0;
  double migrationExposedUs = 0;

  /// Adds the steps of a window just simulated; `stepBegin` holds each
  /// step's first task, then the window's end.
  void addWindow(const TaskGraph &window, const Simulator &sim,
                 const std::vector<TaskId> &stepBegin);
};

/// The simulated steps of one strategy.
struct SimulatedSteps {
  SimResult sim;
  StepStats stats;
  double analyticUs = 0;
  size_t tasks = 0;
  size_t windows = 0;
};
} // namespace

void StepStats::addWindow(const TaskGraph &window, const Simulator &sim,
                          const std::vector<TaskId> &stepBegin) {
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
  for (size_t s = 0; s + 1 < stepBegin.size(); ++s) {
    std::map<int32_t, Span> layer, moe;
    std::vector<std::pair<double, double>> moeSpans;
    for (TaskId id = stepBegin[s]; id < stepBegin[s + 1]; ++id) {
      const Task &t = window[id];
      if (t.kind == TaskKind::Barrier)
        continue;
      double start = sim.startUs(id), end = sim.endUs(id);
      layer[t.layer].add(start, end);
      if (t.phase == Phase::Moe) {
        moe[t.layer].add(start, end);
        moeSpans.push_back({start, end});
      }
    }
    for (auto &[l, span] : layer)
      layerSum[l] += span.length();
    for (auto &[l, span] : moe)
      layerMoeSum[l] += span.length();
    moeSum += unionLength(moeSpans);
  }
  // Windows do not overlap in time, so the exposed time adds up.
  migrationExposedUs += exposedMigrationUs(window, sim);
}

/// Emits every step of `trace` through `runtime` and simulates them. When
/// `windowed`, a step's start that cuts the graph (Perf/StepWindows.h)
/// splits the steps before it off into a window the simulator runs alone
/// (on a worker thread when `pipelined`, while later steps are emitted), so
/// only a few steps' tasks are held at a time. Returns false when a step
/// does not follow the last cut after all (windows already simulated would
/// be wrong): the caller starts over without windows. With a `timeline`,
/// every window's tasks are added to it as they are simulated.
static bool simulateSteps(StrategyRuntime &runtime, const SystemModel &system,
                          const ModelDesc &model, const GatingTrace &trace,
                          int64_t context, bool windowed, bool pipelined,
                          perf::Timeline *timeline, SimulatedSteps &out) {
  SimOptions options;
  options.recordTasks = true;
  Simulator simulator(system, options);
  StepStats &stats = out.stats;
  // One worker runs the windows in order; at most two wait for it, which
  // bounds the memory they hold.
  std::optional<llvm::StdThreadPool> worker;
  if (pipelined && windowed)
    worker.emplace(llvm::hardware_concurrency(1));
  std::deque<std::shared_future<void>> inFlight;
  auto simulateWindow = [&](std::shared_ptr<TaskGraph> window,
                            std::vector<TaskId> stepBegin) {
    auto run = [&simulator, &stats, timeline, window, stepBegin] {
      simulator.run(*window);
      stats.addWindow(*window, simulator, stepBegin);
      if (timeline)
        timeline->addWindow(*window, simulator);
    };
    ++out.windows;
    if (!worker)
      return run();
    while (inFlight.size() >= 2) {
      inFlight.front().wait();
      inFlight.pop_front();
    }
    inFlight.push_back(worker->async(std::move(run)));
  };

  TaskGraph graph;
  TaskId prev = graph.addBarrier();
  // The held steps: each one's first task.
  std::vector<TaskId> stepBegin;
  // Which held tasks follow the last cut (all must, once there is one).
  FollowSet follow;
  bool cutOnce = false;
  // Cut attempts stop when no cut came for this many steps (checking the
  // whole held range each step would be quadratic in steps).
  constexpr size_t kMaxStepsPerWindow = 8;
  for (int64_t step = 0; step < trace.steps; ++step) {
    StepContext ctx{system, model, trace, step, context};
    TaskId begin = graph.size(), start = prev;
    stepBegin.push_back(begin);
    prev = runtime.emitStep(ctx, graph, prev);
    out.analyticUs += runtime.analyticStepUs(ctx);
    // Speed (docs/performance.md): steps emit about as many tasks as the
    // first, so size the graph once instead of letting the vectors double
    // through ~20 reallocations (a copy and fresh page faults each time):
    // for every step, or for the two steps a windowed graph holds.
    if (step == 0 && trace.steps > 1 && graph.size() > 1) {
      size_t perStep = graph.size();
      size_t depsPerStep = graph[(TaskId)graph.size() - 1].depEnd;
      size_t more = windowed ? 1 : trace.steps - 1;
      graph.reserve(perStep * more + perStep / 4,
                    depsPerStep * more + depsPerStep / 4);
    }
    if (!windowed)
      continue;
    // Does `start` cut? Every held task before this step precedes it and
    // every task of this step follows it.
    FollowSet next;
    bool cut = step > 0 && stepBegin.size() <= kMaxStepsPerWindow + 1;
    if (cut) {
      next.reset(start, begin);
      cut = next.extend(graph) &&
            allPrecede(graph, graph.firstTask(), begin, start);
    }
    if (!cut) {
      // The held tasks keep growing; all must still follow the last cut.
      if (cutOnce && !follow.extend(graph))
        return false;
      continue;
    }
    // The held steps before this one form a window (stepBegin's last
    // entry, this step's first task, is where it ends).
    auto window = std::make_shared<TaskGraph>(graph.splitBefore(begin));
    simulateWindow(std::move(window), std::move(stepBegin));
    stepBegin = {begin};
    follow = std::move(next);
    cutOnce = true;
  }
  out.tasks = graph.size();
  stepBegin.push_back(graph.size());
  if (windowed) {
    auto window = std::make_shared<TaskGraph>(
        graph.splitBefore((TaskId)graph.size()));
    simulateWindow(std::move(window), std::move(stepBegin));
    if (worker)
      worker->wait();
  } else {
    simulator.run(graph);
    stats.addWindow(graph, simulator, stepBegin);
    if (timeline)
      timeline->addWindow(graph, simulator);
    out.windows = 1;
  }
  // The windows kept no labels; the graph they were emitted into has all.
  if (timeline)
    timeline->setLabels(graph.labelNames());
  out.sim = simulator.take();
  return true;
}

llvm::Expected<StrategyOutcome>
moesaic::evaluateSchedule(const llvm::json::Object &schedule,
                          const SystemModel &system, const ModelDesc &model,
                          const WorkloadSpec &workload,
                          const GatingTrace &trace, bool recordTimeline,
                          llvm::StringRef runtimeMode,
                          llvm::StringRef taskGranularity, bool pipelined,
                          bool windowed) {
  return evaluateSchedule(llvm::json::Object(schedule), system, model,
                          workload, trace, recordTimeline, runtimeMode,
                          taskGranularity, pipelined, windowed);
}

llvm::Expected<StrategyOutcome>
moesaic::evaluateSchedule(llvm::json::Object &&scheduleIn,
                          const SystemModel &system, const ModelDesc &model,
                          const WorkloadSpec &workload,
                          const GatingTrace &trace, bool recordTimeline,
                          llvm::StringRef runtimeMode,
                          llvm::StringRef taskGranularity, bool pipelined,
                          bool windowed) {
  // Speed (docs/performance.md): the outcome keeps the schedule (for
  // --schedule); take it over rather than deep-copying it.
  StrategyOutcome out;
  out.schedule = std::move(scheduleIn);
  const llvm::json::Object &schedule = out.schedule;
  out.strategy = schedule.getString("strategy").value_or("").str();
  bool coarse = false;
  // A runtime as the options ask for (a fresh one to start over with).
  auto makeRuntime = [&]() -> llvm::Expected<std::unique_ptr<StrategyRuntime>> {
    std::unique_ptr<StrategyRuntime> runtime = createRuntime(out.strategy);
    if (!runtime)
      return evalError("strategy '" + out.strategy +
                       "' has no runtime registered");
    if (runtimeMode == "dataflow") {
      if (llvm::Error e = runtime->useDataflowDecisions())
        return evalError("strategy '" + out.strategy +
                         "': --runtime=dataflow: " +
                         llvm::toString(std::move(e)));
    } else if (runtimeMode != "direct") {
      return evalError("unknown runtime '" + runtimeMode +
                       "' (expected direct or dataflow)");
    }
    if (taskGranularity == "coarse")
      coarse = runtime->useCoarseTasks();
    else if (taskGranularity != "fine")
      return evalError("unknown task granularity '" + taskGranularity +
                       "' (expected fine or coarse)");
    if (llvm::Error e = runtime->load(schedule, system, model)) {
      // Some runtimes name the strategy themselves: once is enough.
      std::string prefix = "strategy '" + out.strategy + "': ";
      std::string text = llvm::toString(std::move(e));
      return evalError(llvm::StringRef(text).starts_with(prefix)
                           ? text
                           : prefix + text);
    }
    return std::move(runtime);
  };
  llvm::Expected<std::unique_ptr<StrategyRuntime>> runtime = makeRuntime();
  if (!runtime)
    return runtime.takeError();

  int64_t context =
      workload.context > 0 ? workload.context : kDefaultContext;
  // Speed (docs/performance.md): simulated in windows of steps, the
  // timeline (if any) recorded window by window.
  std::shared_ptr<perf::Timeline> timeline;
  if (recordTimeline)
    timeline = std::make_shared<perf::Timeline>(system);
  SimulatedSteps steps;
  if (!simulateSteps(**runtime, system, model, trace, context, windowed,
                     pipelined, timeline.get(), steps)) {
    runtime = makeRuntime();
    if (!runtime)
      return runtime.takeError();
    steps = SimulatedSteps();
    if (timeline)
      timeline->clear();
    // Without windows every step is held: nothing to fall back from.
    simulateSteps(**runtime, system, model, trace, context,
                  /*windowed=*/false, pipelined, timeline.get(), steps);
  }
  const SimResult &sim = steps.sim;
  if (!sim.warnings.empty())
    return evalError("strategy '" + out.strategy +
                     "': the simulator rejected its task graph: " +
                     sim.warnings.front());

  double numSteps = std::max<int64_t>(trace.steps, 1);
  double latency = sim.makespanUs / numSteps;
  llvm::json::Array layers;
  for (auto &[l, sum] : steps.stats.layerSum) {
    llvm::json::Object entry{{"index", (int64_t)l},
                             {"latency_us", sum / numSteps}};
    auto it = steps.stats.layerMoeSum.find(l);
    if (it != steps.stats.layerMoeSum.end())
      entry["moe_latency_us"] = it->second / numSteps;
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
        {"bytes", byteCount(sim.links[i].bytes)},
        {"busy_us", sim.links[i].busyUs}});
  }

  double offchip = 0;
  for (const DeviceStats &d : sim.devices)
    offchip += d.offchipBytes;

  // Per device: what the report's totals are the maximum or sum of, so users
  // (and the Python module's memory plot) see which device is the limit. The
  // static allocation is reserved on every device the strategy uses. The
  // memory a strategy manages is SRAM on chiplets and dies, VRAM on a GPU
  // (its SRAM is a cache nothing allocates): there a GPU's figure is what
  // the runtime keeps in VRAM plus the run's dynamic buffers, against the
  // VRAM's size.
  int64_t staticBytes = (*runtime)->staticOnchipBytes();
  std::vector<int64_t> vram;
  if (system.kind == SystemKind::GpuNdp ||
      system.kind == SystemKind::GpuCluster)
    vram = (*runtime)->vramBytes();
  int64_t peak = 0;
  std::string memoryNote;
  llvm::json::Array devices;
  for (unsigned i = 0; i < system.devices.size() && i < sim.devices.size();
       ++i) {
    const Device &device = system.devices[i];
    if (device.kind == DeviceKind::Switch)
      continue;
    const DeviceStats &d = sim.devices[i];
    bool isVram = device.kind == DeviceKind::Gpu && i < vram.size();
    int64_t inUse = d.peakOnchipBytes + (isVram ? vram[i] : staticBytes);
    int64_t capacity = isVram ? device.offchipBytes : device.onchipBytes;
    peak = std::max(peak, inUse);
    if (isVram && capacity > 0 && inUse > capacity && memoryNote.empty())
      memoryNote = "needs " + humanBytes(inUse) + " of VRAM on '" +
                   device.name + "', which has " + humanBytes(capacity) +
                   ": the results assume it fits";
    devices.push_back(llvm::json::Object{
        {"name", device.name},
        {"kind", toString(device.kind)},
        {"memory", isVram ? "vram" : "sram"},
        {"peak_onchip_bytes", inUse},
        {"onchip_capacity_bytes", capacity},
        {"offchip_bytes", byteCount(d.offchipBytes)},
        {"compute_busy_us", d.computeBusyUs / numSteps},
        {"memory_busy_us", d.memoryBusyUs / numSteps}});
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

  double analyticMean = steps.analyticUs / numSteps;
  llvm::json::Object result{
      {"strategy", out.strategy},
      {"latency_us", latency},
      {"moe_latency_us", steps.stats.moeSum / numSteps},
      {"lower_bound_us", lowerBound},
      {"lower_bound", bound.toJSON()},
      {"bound_ratio", lowerBound > 0 ? latency / lowerBound : 0.0},
      {"analytic_latency_us", analyticMean},
      {"comm_bytes", byteCount(sim.commBytes)},
      {"offchip_bytes", byteCount(offchip)},
      {"peak_onchip_bytes", peak},
      {"migration_exposed_us", steps.stats.migrationExposedUs / numSteps},
      {"layers", std::move(layers)},
      {"links", std::move(links)},
      {"devices", std::move(devices)},
      {"tasks", (int64_t)steps.tasks},
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
    std::string note = (*runtime)->analyticNote();
    result["analytic_note"] = note.empty() ? why : why + "; " + note;
  }
  // A zero is no measurement: say why (wafer strategies, and baselines
  // whose experts do not fit twice on chip, stream weights from off-chip
  // memory inside their compute tasks and allocate no staging buffers).
  if (memoryNote.empty() && peak == 0)
    memoryNote = "peak_onchip_bytes is 0: this strategy's tasks stream "
                 "weights from off-chip memory inside their compute and "
                 "model no on-chip buffers (staging, activations), so it "
                 "is not a measurement of on-chip use";
  if (!memoryNote.empty())
    result["memory_note"] = memoryNote;
  (*runtime)->report(result);
  out.result = std::move(result);
  out.simulatorWindows = steps.windows;
  out.timeline = std::move(timeline);
  return out;
}
