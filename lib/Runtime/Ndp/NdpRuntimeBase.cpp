//===- NdpRuntimeBase.cpp - What the GPU-NDP runtimes share ---------------===//

#include "NdpRuntimeBase.h"

#include <algorithm>
#include <numeric>

using namespace moesaic;
using namespace moesaic::ndp;
using namespace moesaic::perf;

llvm::Error NdpRuntimeBase::load(const llvm::json::Object &schedule,
                                 const SystemModel &system,
                                 const ModelDesc &model) {
  sys = &system;
  mdl = &model;
  if (system.kind != SystemKind::GpuNdp)
    return llvm::createStringError(
        "strategy '" + name + "' needs a gpu-ndp system; '" + system.name +
        "' is " + toString(system.kind));
  if (schedule.getArray("layers")) {
    llvm::Expected<NdpPlan> p = parseNdpPlan(schedule, system, model);
    if (!p)
      return p.takeError();
    plan = std::move(*p);
  } else {
    // No exported schedule (a runtime driven directly, as in the unit
    // tests): the plan the strategy's pipeline makes with default options.
    llvm::Expected<NdpPlan> p = defaultPlan(name, system, model);
    if (!p)
      return p.takeError();
    plan = std::move(*p);
  }
  static const std::map<std::string, std::string> coldOf = {
      {"ndp-tp", "ndp-tp"},
      {"ndp-ondemand", "fetch"},
      {"ndp-fiddler", "cpu"},
      {"ndp-monde", "ndp-ep"}};
  auto want = coldOf.find(name);
  if (want != coldOf.end() && plan.coldOn != want->second)
    return llvm::createStringError("strategy '" + name +
                                   "' runs cold experts on " + want->second +
                                   " but its schedule says '" + plan.coldOn +
                                   "'");
  gpu = plan.vram.gpu;
  host = system.hostDevice();
  units = system.ndpDevices();
  unitBusyUs.assign(units.size(), 0.0);
  if (!model.moeLayers.empty())
    dtype = model.moeLayers.front().weightType;
  if ((plan.coldOn == "ndp-tp" || plan.coldOn == "ndp-ep") && units.empty())
    return llvm::createStringError("strategy '" + name + "': hardware '" +
                                   system.name + "' has no NDP units");
  if ((plan.coldOn == "cpu" || !units.empty()) && !host)
    return llvm::createStringError("strategy '" + name + "': hardware '" +
                                   system.name + "' has no host CPU");
  return init();
}

double NdpRuntimeBase::computeUs(unsigned device, double flops,
                                 double bytes) const {
  const Device &d = sys->devices[device];
  return std::max(flopsToUs(flops, d.peakFor(dtype)),
                  bytesToUs(bytes, d.offchipGBps));
}

TaskId NdpRuntimeBase::gpuCompute(TaskGraph &g, double flops, double bytes,
                                  std::vector<TaskId> deps,
                                  const std::string &label) {
  return unitCompute(g, gpu, flops, bytes, std::move(deps), label);
}

TaskId NdpRuntimeBase::unitCompute(TaskGraph &g, unsigned device,
                                   double flops, double bytes,
                                   std::vector<TaskId> deps,
                                   const std::string &label) {
  Task t;
  t.kind = TaskKind::Compute;
  t.device = device;
  t.dst = device;
  t.flops = flops;
  t.bytes = bytes;
  t.tflops = sys->devices[device].peakFor(dtype);
  if (!label.empty())
    g.setLabel(label);
  else
    g.clearLabel();
  return g.add(t, deps);
}

TaskId NdpRuntimeBase::transfer(TaskGraph &g, unsigned src, unsigned dst,
                                double bytes, std::vector<TaskId> deps,
                                int32_t priority) {
  Task t;
  t.kind = TaskKind::Transfer;
  t.device = src;
  t.dst = dst;
  t.bytes = bytes;
  t.priority = priority;
  if (src == gpu || dst == gpu)
    pcieBytes += bytes;
  return g.add(t, deps);
}

double NdpRuntimeBase::actBytes(size_t li, int64_t tokens) const {
  return (double)mdl->moeLayers[li].tokenBytes() * tokens;
}

std::vector<int64_t> NdpRuntimeBase::numExperts() const {
  std::vector<int64_t> out;
  for (const MoeLayerDesc &l : mdl->moeLayers)
    out.push_back(l.numExperts);
  return out;
}

std::vector<int64_t> NdpRuntimeBase::expertBytes() const {
  std::vector<int64_t> out;
  for (const MoeLayerDesc &l : mdl->moeLayers)
    out.push_back(l.expertBytes());
  return out;
}

int64_t NdpRuntimeBase::profileSteps(const GatingTrace &trace) {
  return std::max<int64_t>(1, (trace.steps + 1) / 2);
}

std::vector<std::vector<double>>
NdpRuntimeBase::profileOf(const GatingTrace &trace) const {
  std::vector<std::vector<double>> prof(mdl->moeLayers.size());
  for (size_t li = 0; li < prof.size(); ++li) {
    prof[li].assign(mdl->moeLayers[li].numExperts, 0.0);
    for (int64_t s = 0; s < profileSteps(trace); ++s) {
      std::vector<int32_t> load = trace.expertLoad(s, li);
      for (size_t e = 0; e < load.size() && e < prof[li].size(); ++e)
        prof[li][e] += load[e];
    }
  }
  return prof;
}

BalanceCosts NdpRuntimeBase::balanceCosts(size_t li) const {
  BalanceCosts c;
  const Device &g = sys->devices[gpu];
  c.gpuGBps = g.offchipGBps;
  c.gpuTflops = g.peakFor(dtype);
  const NdpPlan::Layer &pl = plan.layers[li];
  int64_t totalRows = 0;
  for (int64_t r : pl.rows)
    totalRows += r;
  for (size_t u = 0; u < units.size(); ++u) {
    const Device &d = sys->devices[units[u]];
    c.unitGBps.push_back(d.offchipGBps);
    c.unitTflops.push_back(d.peakFor(dtype));
    c.unitFraction.push_back(totalRows > 0 && u < pl.rows.size()
                                 ? (double)pl.rows[u] / totalRows
                                 : 1.0 / units.size());
  }
  c.granularity = plan.granularity;
  return c;
}

TaskId NdpRuntimeBase::emitStep(const StepContext &ctx, TaskGraph &graph,
                                TaskId start) {
  const ModelDesc &m = *mdl;
  int64_t batch = ctx.trace.batch;
  maxBatch = std::max(maxBatch, batch);
  lastContext = ctx.context;
  double analytic = 0;
  TaskId prev = start;
  std::map<int64_t, size_t> moeOf;
  for (size_t li = 0; li < m.moeLayers.size(); ++li)
    moeOf[m.moeLayers[li].index] = li;

  auto dense = [&](const DenseOpDesc &op) {
    double flops = op.flopsPerToken * batch;
    double bytes = (double)op.weightBytes +
                   (double)op.kvBytesPerContextToken * ctx.context * batch;
    graph.setPhase(Phase::Dense);
    prev = gpuCompute(graph, flops, bytes, {prev}, op.kind);
    analytic += computeUs(gpu, flops, bytes);
  };
  for (const DenseOpDesc &op : m.denseOps)
    if (op.layer < 0)
      dense(op);
  for (int64_t layer = 0; layer < m.numLayers; ++layer) {
    graph.setLayer((int32_t)layer);
    for (const DenseOpDesc &op : m.denseOps)
      if (op.layer == layer)
        dense(op);
    auto it = moeOf.find(layer);
    if (it == moeOf.end())
      continue;
    size_t li = it->second;
    const MoeLayerDesc &l = m.moeLayers[li];
    graph.setPhase(Phase::Moe);
    // Router on the GPU; the shared experts run beside the routed ones.
    double rf = l.routerFlopsPerToken() * batch;
    TaskId routed = gpuCompute(graph, rf, (double)l.routerBytes(), {prev},
                               "router");
    analytic += computeUs(gpu, rf, (double)l.routerBytes());
    TaskId shared = kNoTask;
    double sharedUs = 0;
    if (l.sharedExperts > 0) {
      double sf = l.sharedFlopsPerToken() * batch;
      shared = gpuCompute(graph, sf, (double)l.sharedBytes(), {routed},
                          "shared experts");
      sharedUs = computeUs(gpu, sf, (double)l.sharedBytes());
    }
    std::vector<int32_t> load = ctx.trace.expertLoad(ctx.step, li);
    for (int32_t n : load)
      activated += n > 0;
    double moeUs = 0;
    TaskId out = emitMoe(ctx, graph, li, load, routed, moeUs);
    analytic += std::max(moeUs, 0.0) + (sharedInMoeEstimate() ? 0.0 : sharedUs);
    // Weighted sum of the experts' outputs on the GPU.
    double cf = 2.0 * l.hiddenSize * batch * (l.topK + l.sharedExperts);
    graph.setPhase(Phase::Moe);
    prev = gpuCompute(graph, cf, 0, {out, shared}, "combine");
    analytic += computeUs(gpu, cf, 0);
  }
  graph.setLayer(-1);
  graph.clearLabel();
  TaskId end = graph.addBarrier({prev});
  peakCacheBytes = std::max(peakCacheBytes, cachedExpertBytes());
  analyticByStep[ctx.step] = analytic;
  endStep(ctx);
  peakCacheBytes = std::max(peakCacheBytes, cachedExpertBytes());
  return end;
}

double NdpRuntimeBase::analyticStepUs(const StepContext &ctx) {
  auto it = analyticByStep.find(ctx.step);
  if (it != analyticByStep.end())
    return it->second;
  if (analyticByStep.empty())
    return 0.0;
  double sum = 0;
  for (auto &[s, us] : analyticByStep)
    sum += us;
  return sum / analyticByStep.size();
}

std::string NdpRuntimeBase::analyticNote() const {
  return "sum over layers of the GPU's dense time and, per MoE layer, the "
         "slower of the GPU and off-GPU expert work plus fixed transfer "
         "costs; ignores PCIe queueing behind cache/prefetch transfers and "
         "the overlap of one layer's tail with the next";
}

int64_t NdpRuntimeBase::vramUsedBytes() const {
  int64_t kv = 0;
  for (const DenseOpDesc &op : mdl->denseOps)
    kv += op.kvBytesPerContextToken * lastContext * maxBatch;
  return mdl->nonExpertBytes() + kv + peakCacheBytes;
}

std::vector<int64_t> NdpRuntimeBase::vramBytes() const {
  if (!sys)
    return {};
  std::vector<int64_t> bytes(sys->numDevices(), 0);
  bytes[gpu] = vramUsedBytes();
  return bytes;
}

void NdpRuntimeBase::report(llvm::json::Object &result) const {
  double maxv = 0, sum = 0;
  for (double v : unitBusyUs) {
    maxv = std::max(maxv, v);
    sum += v;
  }
  double balance = sum > 0 ? maxv / (sum / unitBusyUs.size()) : 0.0;
  llvm::json::Array busy;
  for (double v : unitBusyUs)
    busy.push_back(v);
  llvm::json::Object o{
      {"ndp_balance", balance},
      {"ndp_unit_busy_us", std::move(busy)},
      {"pcie_bytes", (int64_t)pcieBytes},
      {"vram_used_bytes", vramUsedBytes()},
      {"vram_expert_cache_bytes", peakCacheBytes},
      {"vram_expert_budget_bytes", plan.vram.expertCacheBytes},
      {"experts_activated", activated},
      {"experts_on_gpu", expertsOnGpu},
      {"experts_on_ndp", expertsOnNdp},
      {"experts_on_cpu", expertsOnCpu},
      {"experts_fetched", expertsFetched},
      {"gpu_hit_rate", activated ? (double)gpuHits / activated : 0.0},
      {"cache_policy", plan.cachePolicy},
      {"cold_on", plan.coldOn}};
  reportExtra(o);
  result["ndp"] = std::move(o);
  result["ndp_balance"] = balance;
}
