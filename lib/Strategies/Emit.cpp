//===- Emit.cpp - Reusable pieces of a strategy's runtime -----------------===//

#include "moesaic/Strategies/Emit.h"
#include "moesaic/Perf/Simulator.h"
#include "moesaic/Support/JsonIntegers.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <cmath>
#include <set>

using namespace moesaic;
using namespace moesaic::perf;

//===----------------------------------------------------------------------===//
// Schedule tables
//===----------------------------------------------------------------------===//

static llvm::Error scheduleError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "schedule: " + message);
}

llvm::Expected<std::vector<unsigned>>
moesaic::perf::parseDevices(const llvm::json::Value *names,
                            const SystemModel &system, llvm::StringRef where) {
  const llvm::json::Array *array = names ? names->getAsArray() : nullptr;
  if (!array)
    return scheduleError(where + " must be an array of device names");
  std::vector<unsigned> devices;
  for (const llvm::json::Value &v : *array) {
    std::optional<llvm::StringRef> name = v.getAsString();
    if (!name)
      return scheduleError(where + " must list device names");
    std::optional<unsigned> index = system.lookup(name->str());
    if (!index)
      return scheduleError(where + " names '" + *name +
                           "', which is not a device of " + system.name);
    devices.push_back(*index);
  }
  if (devices.empty())
    return scheduleError(where + " lists no device");
  return devices;
}

llvm::Expected<ScheduleTables>
moesaic::perf::parseSchedule(const llvm::json::Object &schedule,
                             const SystemModel &system,
                             const ModelDesc &model) {
  ScheduleTables tables;
  if (schedule.getString("schema") != "moesaic.schedule/1")
    return scheduleError("'schema' must be \"moesaic.schedule/1\"");
  tables.strategy = schedule.getString("strategy").value_or("").str();
  tables.model = schedule.getString("model").value_or("").str();
  tables.target = schedule.getString("target").value_or("").str();
  const llvm::json::Array *layers = schedule.getArray("layers");
  if (!layers)
    return scheduleError("'layers' must be an array");
  for (const llvm::json::Value &v : *layers) {
    const llvm::json::Object *entry = v.getAsObject();
    std::optional<int64_t> index = entry ? jsonInteger(*entry, "index")
                                         : std::nullopt;
    if (!index)
      return scheduleError("every layer entry needs an integer 'index'");
    std::string where = llvm::formatv("layer {0}", *index).str();
    LayerSchedule layer;
    layer.index = *index;
    // Speed (docs/performance.md): the entry is kept for family-specific
    // keys, but not its when/where program ("dataflow", moe-df-lower-*):
    // that is the bulk of a streaming schedule (hundreds of thousands of
    // nodes for DeepSeek-V3) and runtimes that run it read it from the
    // schedule itself.
    for (const auto &kv : *entry)
      if (kv.first != "dataflow")
        layer.entry.try_emplace(kv.first, kv.second);
    if (const llvm::json::Array *dense = entry->getArray("dense")) {
      for (const llvm::json::Value &d : *dense) {
        const llvm::json::Object *o = d.getAsObject();
        if (!o || !o->getString("what"))
          return scheduleError(where + ": 'dense' entries need 'what'");
        DensePlacement p;
        p.what = o->getString("what")->str();
        llvm::StringRef mode = o->getString("mode").value_or("data");
        if (mode == "data")
          p.mode = DenseMode::Data;
        else if (mode == "tensor")
          p.mode = DenseMode::Tensor;
        else if (mode == "single")
          p.mode = DenseMode::Single;
        else
          return scheduleError(where + ": unknown dense mode '" + mode + "'");
        auto devices = parseDevices(o->get("devices"), system,
                                    where + " '" + p.what + "' devices");
        if (!devices)
          return devices.takeError();
        p.devices = std::move(*devices);
        layer.dense.push_back(std::move(p));
      }
    }
    if (const llvm::json::Array *placement =
            entry->getArray("expert_placement")) {
      for (size_t e = 0; e < placement->size(); ++e) {
        auto devices = parseDevices(
            &(*placement)[e], system,
            llvm::formatv("{0} expert {1} placement", where, e).str());
        if (!devices)
          return devices.takeError();
        layer.expertPlacement.push_back(std::move(*devices));
      }
    }
    if (const llvm::json::Object *shards = entry->getObject("expert_shards")) {
      auto devices =
          parseDevices(shards->get("devices"), system, where + " shards");
      if (!devices)
        return devices.takeError();
      layer.shardDevices = std::move(*devices);
      layer.shardBytes = jsonInteger(*shards, "shard_bytes").value_or(0);
      if (layer.shardBytes <= 0)
        return scheduleError(where + ": shard_bytes must be positive");
    }
    tables.layers[*index] = std::move(layer);
  }
  // Every part of the model must be placed, or its cost would vanish.
  for (const DenseOpDesc &op : model.denseOps)
    if (!findDense(tables.layer(op.layer), op.kind))
      return scheduleError(llvm::formatv("layer {0} '{1}' has no placement",
                                         op.layer, op.kind)
                               .str());
  for (const MoeLayerDesc &l : model.moeLayers) {
    const LayerSchedule *layer = tables.layer(l.index);
    if (!layer)
      return scheduleError(
          llvm::formatv("MoE layer {0} is not scheduled", l.index).str());
    if (!layer->expertPlacement.empty() &&
        (int64_t)layer->expertPlacement.size() != l.numExperts)
      return scheduleError(llvm::formatv("layer {0} places {1} experts but "
                                         "the model has {2}",
                                         l.index,
                                         layer->expertPlacement.size(),
                                         l.numExperts)
                               .str());
  }
  return tables;
}

std::vector<int64_t>
moesaic::perf::weightBytesPerDevice(const ScheduleTables &tables,
                                    const SystemModel &system,
                                    const ModelDesc &model) {
  std::vector<int64_t> bytes(system.numDevices(), 0);
  auto place = [&](const DensePlacement *p, int64_t weight) {
    if (!p)
      return;
    if (p->mode == DenseMode::Tensor)
      for (unsigned d : p->devices)
        bytes[d] += (weight + p->devices.size() - 1) / p->devices.size();
    else if (p->mode == DenseMode::Single)
      bytes[p->devices.front()] += weight;
    else
      for (unsigned d : p->devices)
        bytes[d] += weight;
  };
  for (const DenseOpDesc &op : model.denseOps)
    place(findDense(tables.layer(op.layer), op.kind), op.weightBytes);
  for (const MoeLayerDesc &l : model.moeLayers) {
    const LayerSchedule *layer = tables.layer(l.index);
    if (!layer)
      continue;
    DensePlacement everywhere{"", system.acceleratorDevices(),
                              DenseMode::Data};
    const DensePlacement *router = findDense(layer, "router");
    place(router ? router : &everywhere, l.routerBytes());
    if (l.sharedExperts > 0) {
      const DensePlacement *shared = findDense(layer, "shared_experts");
      place(shared ? shared : &everywhere, l.sharedBytes());
    }
    for (const std::vector<unsigned> &holders : layer->expertPlacement)
      for (unsigned d : holders)
        bytes[d] += l.expertBytes();
    for (unsigned d : layer->shardDevices)
      bytes[d] += layer->shardBytes * l.numExperts;
  }
  return bytes;
}

std::vector<int64_t> moesaic::perf::kvBytesPerDevice(
    const ScheduleTables &tables, const SystemModel &system,
    const ModelDesc &model, int64_t batch, int64_t context) {
  std::vector<int64_t> bytes(system.numDevices(), 0);
  for (const DenseOpDesc &op : model.denseOps) {
    if (op.kvBytesPerContextToken <= 0)
      continue;
    const DensePlacement *p = findDense(tables.layer(op.layer), op.kind);
    if (!p || p->devices.empty())
      continue;
    int64_t perToken = op.kvBytesPerContextToken * context;
    int64_t n = (int64_t)p->devices.size();
    if (p->mode == DenseMode::Tensor)
      for (unsigned d : p->devices)
        bytes[d] += (perToken * batch + n - 1) / n;
    else if (p->mode == DenseMode::Single)
      bytes[p->devices.front()] += perToken * batch;
    else
      for (unsigned d : p->devices)
        bytes[d] += perToken * ((batch + n - 1) / n);
  }
  return bytes;
}

std::vector<bool>
moesaic::perf::residentDevices(const std::vector<int64_t> &weightBytes,
                               const SystemModel &system,
                               int64_t reservedBytes) {
  std::vector<bool> resident(system.numDevices(), false);
  for (unsigned d = 0; d < system.numDevices(); ++d)
    resident[d] = weightBytes[d] > 0 &&
                  weightBytes[d] + reservedBytes <=
                      system.devices[d].onchipBytes;
  return resident;
}

const DensePlacement *moesaic::perf::findDense(const LayerSchedule *layer,
                                               llvm::StringRef what) {
  if (!layer)
    return nullptr;
  for (const DensePlacement &p : layer->dense)
    if (p.what == what)
      return &p;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// StepEmitter
//===----------------------------------------------------------------------===//

/// "L<layer><rest>", a task label. Speed (docs/performance.md): labels are
/// built for every emitted stage and expert of every step; llvm::formatv
/// re-parses its format string each call and was ~20% of a DeepSeek-V3
/// evaluation, plain concatenation is a fraction of that.
std::string moesaic::perf::layerLabel(int64_t layer, const std::string &rest) {
  std::string s = "L" + std::to_string(layer);
  s += rest;
  return s;
}

StepEmitter::StepEmitter(const StepContext &ctx, TaskGraph &graph,
                         TaskId start)
    : ctx(ctx), system(ctx.system), model(ctx.model), graph(graph),
      firstTask(graph.size()) {
  accel = system.acceleratorDevices();
  tokenHomes(ctx, home);
  ready.assign(system.numDevices(), start);
  side.assign(system.numDevices(), {});
}

int64_t StepEmitter::tokensOn(unsigned device) const {
  return std::count(home.begin(), home.end(), device);
}

void StepEmitter::beginStage() { ++stage; }

void StepEmitter::at(int64_t l, Phase phase) {
  layer = l;
  graph.setLayer((int32_t)l);
  graph.setPhase(phase);
}

TaskId StepEmitter::add(Task task, const std::vector<TaskId> &deps) {
  // Speed: one reused buffer instead of a fresh vector per task.
  std::vector<TaskId> &real = depScratch;
  real.clear();
  for (TaskId d : deps)
    if (d != kNoTask && !llvm::is_contained(real, d))
      real.push_back(d);
  TaskId id = graph.add(task, real);
  stageOf.push_back({id, stage});
  return id;
}

Task StepEmitter::computeTask(unsigned device, double flops,
                              double offchipBytes,
                              const std::string &dtype) const {
  Task t;
  t.kind = TaskKind::Compute;
  t.device = device;
  t.flops = flops;
  t.bytes = offchipBytes;
  t.tflops = system.devices[device].peakFor(dtype);
  return t;
}

Task StepEmitter::transferTask(unsigned src, unsigned dst,
                               double bytes) const {
  Task t;
  t.kind = TaskKind::Transfer;
  t.device = src;
  t.dst = dst;
  t.bytes = bytes;
  return t;
}

Task StepEmitter::loadTask(unsigned device, double bytes) const {
  Task t;
  t.kind = TaskKind::Load;
  t.device = device;
  t.bytes = bytes;
  return t;
}

bool StepEmitter::buffersWhole(unsigned device, int64_t bytes) const {
  return bytes > 0 &&
         doubleBufferBytes(bytes) <= system.devices[device].onchipBytes;
}

int64_t moesaic::perf::wholeExpertBufferBytes(const ModelDesc &model) {
  int64_t bytes = 0;
  for (const MoeLayerDesc &l : model.moeLayers)
    bytes = std::max(bytes, doubleBufferBytes(l.expertBytes()));
  return bytes;
}

bool StepEmitter::isResident(unsigned device) const {
  return device < resident.size() && resident[device];
}

/// Moves tokens whose home is not in `devices` onto them (token t to
/// devices[t mod m]), one transfer per pair.
void StepEmitter::rehome(const std::vector<unsigned> &devices,
                         double tokenBytes) {
  std::map<std::pair<unsigned, unsigned>, int64_t> moves;
  for (size_t t = 0; t < home.size(); ++t)
    if (!llvm::is_contained(devices, home[t])) {
      unsigned to = devices[t % devices.size()];
      ++moves[{home[t], to}];
      home[t] = to;
    }
  if (moves.empty())
    return;
  beginStage();
  graph.setLabel("rehome tokens");
  std::map<unsigned, std::vector<TaskId>> arrivals;
  for (auto &[pair, count] : moves)
    arrivals[pair.second].push_back(add(
        transferTask(pair.first, pair.second, count * tokenBytes),
        {ready[pair.first]}));
  for (auto &[dst, tasks] : arrivals) {
    tasks.push_back(ready[dst]);
    Task barrier;
    ready[dst] = add(barrier, tasks);
  }
  replicatedOn.clear();
}

void StepEmitter::allGather(const std::vector<unsigned> &devices,
                            double bytes) {
  if (devices.size() < 2)
    return;
  allReduceSteps(devices, bytes / devices.size(), devices.size() - 1);
}

void StepEmitter::allReduce(const std::vector<unsigned> &devices,
                            double bytes) {
  if (devices.size() < 2)
    return;
  allReduceSteps(devices, bytes / devices.size(), 2 * (devices.size() - 1));
}

void StepEmitter::allReduceSteps(const std::vector<unsigned> &group,
                                 double chunk, size_t steps) {
  size_t n = group.size();
  // On a mesh the ring follows a snake over the coordinates (row by row,
  // alternating direction), so that consecutive members are neighbours.
  std::vector<unsigned> devices = group;
  auto snakeKey = [&](unsigned d) {
    const std::vector<int64_t> &c = system.devices[d].coord;
    if (c.size() != 2)
      return std::make_pair<int64_t, int64_t>((int64_t)d, 0);
    return std::make_pair(c[0], c[0] % 2 ? -c[1] : c[1]);
  };
  if (system.topology == TopologyKind::Mesh)
    std::stable_sort(devices.begin(), devices.end(),
                     [&](unsigned a, unsigned b) {
                       return snakeKey(a) < snakeKey(b);
                     });
  graph.setLabel("all-reduce ring");
  // Large rings: consecutive ring steps are merged so that at most
  // maxRingStages stages are emitted (each transfer carries the chunks of
  // the merged steps); the link latency of the merged steps is not
  // counted, which favours tensor parallelism slightly
  // (docs/strategies.md).
  size_t stages = std::max<size_t>(maxRingStages, 1);
  size_t perStage = (steps + stages - 1) / stages;
  for (size_t s = 0; s < steps; s += perStage) {
    size_t merged = std::min(perStage, steps - s);
    beginStage();
    std::vector<TaskId> sent(n);
    for (size_t i = 0; i < n; ++i)
      sent[i] = add(transferTask(devices[i], devices[(i + 1) % n],
                                 chunk * merged),
                    {ready[devices[i]]});
    for (size_t i = 0; i < n; ++i) {
      Task barrier;
      ready[devices[(i + 1) % n]] =
          add(barrier, {ready[devices[(i + 1) % n]], sent[i]});
    }
  }
}

void StepEmitter::denseWork(llvm::StringRef label, double flopsPerToken,
                            double weightBytes, double kvBytesPerToken,
                            const std::string &dtype,
                            const DensePlacement &placement) {
  double tokenBytes = model.hiddenSize * bytesPerElement(dtype);
  int64_t batch = home.size();
  if (placement.mode == DenseMode::Data ||
      placement.mode == DenseMode::Single) {
    rehome(placement.devices, tokenBytes);
    beginStage();
    graph.setLabel(label.str());
    for (unsigned d : placement.devices) {
      int64_t tokens = tokensOn(d);
      if (tokens == 0)
        continue;
      double weights = isResident(d) ? 0 : weightBytes;
      ready[d] = add(computeTask(d, flopsPerToken * tokens,
                                 weights + kvBytesPerToken * tokens, dtype),
                     {ready[d]});
    }
    replicatedOn.clear();
    return;
  }
  // Tensor parallel: every device of the group needs every token.
  std::vector<unsigned> group = placement.devices;
  bool replicated = std::all_of(group.begin(), group.end(), [&](unsigned d) {
    return llvm::is_contained(replicatedOn, d);
  });
  if (!replicated) {
    rehome(group, tokenBytes);
    allGather(group, batch * tokenBytes);
  }
  beginStage();
  graph.setLabel(label.str());
  double n = group.size();
  for (unsigned d : group) {
    double weights = isResident(d) ? 0 : weightBytes;
    ready[d] = add(computeTask(d, flopsPerToken * batch / n,
                               (weights + kvBytesPerToken * batch) / n, dtype),
                   {ready[d]});
  }
  allReduce(group, batch * tokenBytes);
  replicatedOn = group;
}

void StepEmitter::dense(const DenseOpDesc &op,
                        const DensePlacement &placement) {
  double kv = (double)op.kvBytesPerContextToken * ctx.context;
  denseWork(layerLabel(op.layer, " " + op.kind),
            op.flopsPerToken, op.weightBytes, kv, op.dtype, placement);
}

void StepEmitter::router(const MoeLayerDesc &l) {
  beginStage();
  graph.setLabel(layerLabel(l.index, " router"));
  for (unsigned d : accel) {
    int64_t tokens = tokensOn(d);
    if (tokens == 0)
      continue;
    ready[d] = add(computeTask(d, l.routerFlopsPerToken() * tokens,
                               isResident(d) ? 0 : l.routerBytes(),
                               l.actType),
                   {ready[d]});
  }
}

void StepEmitter::sharedExperts(const MoeLayerDesc &l,
                                const DensePlacement &placement) {
  if (l.sharedExperts <= 0)
    return;
  graph.setLabel(layerLabel(l.index, " shared experts"));
  if (placement.mode == DenseMode::Tensor) {
    double n = placement.devices.size();
    int64_t batch = home.size();
    for (unsigned d : placement.devices)
      side[d].push_back(add(computeTask(d, l.sharedFlopsPerToken() * batch / n,
                                        isResident(d) ? 0 : l.sharedBytes() / n,
                                        l.actType),
                            {ready[d]}));
    return;
  }
  for (unsigned d : accel) {
    int64_t tokens = tokensOn(d);
    if (tokens == 0)
      continue;
    side[d].push_back(add(computeTask(d, l.sharedFlopsPerToken() * tokens,
                                      isResident(d) ? 0 : l.sharedBytes(),
                                      l.actType),
                          {ready[d]}));
  }
}

void moesaic::perf::tokenHomes(const StepContext &ctx,
                               std::vector<unsigned> &home) {
  const std::vector<unsigned> &accel = ctx.system.acceleratorDevices();
  home.resize(ctx.trace.batch);
  // Speed (docs/performance.md): a wrapping index, not a division per token.
  size_t a = 0;
  for (int64_t t = 0; t < ctx.trace.batch; ++t) {
    home[t] = accel[a];
    if (++a == accel.size())
      a = 0;
  }
}

void DispatchPlan::reset(unsigned n, int64_t e) {
  if (n != devices || e != experts) {
    devices = n;
    experts = e;
    expertTokens.assign((size_t)n * e, 0);
    pairTokens.assign((size_t)n * n, 0);
    touched.clear();
    return;
  }
  for (uint32_t i : touched)
    expertTokens[i] = 0;
  touched.clear();
  std::fill(pairTokens.begin(), pairTokens.end(), 0);
}

Dispatch StepEmitter::dispatch(
    const MoeLayerDesc &l, size_t moeIndex,
    const std::function<unsigned(int64_t, int32_t, int64_t)> &deviceFor) {
  unsigned n = system.numDevices();
  DispatchPlan &plan = dispatchPlan;
  planDispatch(ctx.trace, ctx.step, moeIndex, l, home, n, deviceFor, plan);
  Dispatch d;
  d.expertTokens.resize(n);
  d.pairTokens.assign(n, std::vector<int64_t>(n, 0));
  d.arrived.resize(n);
  for (uint32_t i : plan.touched)
    d.expertTokens[i / plan.experts][(int32_t)(i % plan.experts)] =
        plan.expertTokens[i];
  for (unsigned src = 0; src < n; ++src)
    for (unsigned dst = 0; dst < n; ++dst)
      d.pairTokens[src][dst] = plan.pairTokens[(size_t)src * n + dst];
  beginStage();
  graph.setLabel(layerLabel(l.index, " dispatch"));
  double tokenBytes = l.tokenBytes();
  for (unsigned src = 0; src < n; ++src)
    for (unsigned dst = 0; dst < n; ++dst) {
      int64_t count = d.pairTokens[src][dst];
      if (count == 0 || src == dst)
        continue;
      d.arrived[dst].push_back(
          add(transferTask(src, dst, count * tokenBytes), {ready[src]}));
    }
  for (unsigned dev = 0; dev < n; ++dev)
    if (!d.expertTokens[dev].empty())
      d.arrived[dev].push_back(ready[dev]);
  return d;
}

TaskId StepEmitter::expertCompute(const MoeLayerDesc &l, unsigned device,
                                  int32_t expert, int64_t tokens,
                                  double fraction, int64_t bytes,
                                  const std::vector<TaskId> &deps,
                                  int64_t resident) {
  double flops = l.expertFlopsPerToken() * tokens * fraction;
  if (isResident(device) && resident == 0)
    return add(computeTask(device, flops, 0, l.actType), deps);
  if (resident > 0) {
    Task c = computeTask(device, flops, 0, l.actType);
    c.freeBytes = resident;
    return add(c, deps);
  }
  if (buffersWhole(device, bytes)) {
    Task load = loadTask(device, bytes);
    load.allocBytes = bytes;
    TaskId loaded = add(load, deps);
    Task c = computeTask(device, flops, 0, l.actType);
    c.freeBytes = bytes;
    return add(c, {loaded});
  }
  return add(computeTask(device, flops, bytes, l.actType), deps);
}

std::vector<TaskId> StepEmitter::experts(const MoeLayerDesc &l,
                                         const Dispatch &d, double fraction,
                                         int64_t bytes) {
  beginStage();
  std::vector<TaskId> done(system.numDevices(), kNoTask);
  for (unsigned dev = 0; dev < system.numDevices(); ++dev) {
    if (d.expertTokens[dev].empty())
      continue;
    std::vector<TaskId> computes, deps;
    bool buffered = !isResident(dev) && buffersWhole(dev, bytes);
    for (auto &[expert, tokens] : d.expertTokens[dev]) {
      graph.setLabel(layerLabel(l.index, " expert " + std::to_string(expert)));
      // Speed: one buffer per device, refilled per expert.
      deps.assign(d.arrived[dev].begin(), d.arrived[dev].end());
      // Double buffering: a load waits for the compute two experts back
      // to free its buffer.
      if (buffered && computes.size() >= 2)
        deps.push_back(computes[computes.size() - 2]);
      computes.push_back(
          expertCompute(l, dev, expert, tokens, fraction, bytes, deps));
    }
    Task barrier;
    done[dev] = add(barrier, computes);
  }
  return done;
}

void StepEmitter::combine(const MoeLayerDesc &l, const Dispatch &d,
                          const std::vector<TaskId> &expertDone) {
  beginStage();
  graph.setLabel(layerLabel(l.index, " combine"));
  unsigned n = system.numDevices();
  double tokenBytes = l.tokenBytes();
  std::vector<std::vector<TaskId>> in(n);
  for (unsigned src = 0; src < n; ++src)
    for (unsigned dst = 0; dst < n; ++dst) {
      int64_t count = d.pairTokens[src][dst];
      if (count == 0)
        continue;
      if (src == dst) {
        in[src].push_back(expertDone[dst]);
        continue;
      }
      in[src].push_back(add(transferTask(dst, src, count * tokenBytes),
                            {expertDone[dst]}));
    }
  for (unsigned dev = 0; dev < n; ++dev) {
    if (in[dev].empty() && side[dev].empty() && expertDone[dev] == kNoTask)
      continue;
    std::vector<TaskId> deps = in[dev];
    deps.push_back(ready[dev]);
    deps.push_back(expertDone[dev]);
    deps.insert(deps.end(), side[dev].begin(), side[dev].end());
    side[dev].clear();
    Task barrier;
    ready[dev] = add(barrier, deps);
  }
  replicatedOn.clear();
}

void StepEmitter::joinSide() {
  for (unsigned dev = 0; dev < system.numDevices(); ++dev) {
    if (side[dev].empty())
      continue;
    std::vector<TaskId> deps = side[dev];
    deps.push_back(ready[dev]);
    side[dev].clear();
    Task barrier;
    ready[dev] = add(barrier, deps);
  }
}

TaskId StepEmitter::finish() {
  joinSide();
  std::vector<TaskId> deps;
  for (unsigned d = 0; d < system.numDevices(); ++d)
    deps.push_back(ready[d]);
  Task barrier;
  return add(barrier, deps);
}

double StepEmitter::analyticUs() const {
  // Per stage, the uncontended work on each resource: compute engines
  // (index d), memory engines (n + d), links (2n + link). A link is held
  // for the bytes of its transfers (the simulator's rule); the latest of
  // them arrives its route's latency after that, so a link's stage time is
  // its bytes' time plus the longest route latency among its transfers.
  // Speed (docs/performance.md): stages only grow along stageOf (add()
  // records the current stage, beginStage() increments it), so one flat
  // array per resource, flushed when the stage changes, replaces a map of
  // maps (a node allocation per task and resource).
  unsigned n = system.numDevices();
  std::vector<double> busy(2 * n + system.links.size(), 0.0);
  std::vector<double> latency(busy.size(), 0.0);
  std::vector<unsigned> touched, route;
  double total = 0;
  auto flush = [&] {
    double worst = 0;
    for (unsigned r : touched) {
      worst = std::max(worst, busy[r] + latency[r]);
      busy[r] = 0;
      latency[r] = 0;
    }
    touched.clear();
    total += worst;
  };
  auto charge = [&](unsigned r, double us) {
    if (busy[r] == 0)
      touched.push_back(r);
    busy[r] += us;
  };
  int current = stageOf.empty() ? 0 : stageOf.front().second;
  for (auto [id, st] : stageOf) {
    assert(st >= current && "stages are recorded in increasing order");
    if (st != current) {
      flush();
      current = st;
    }
    const Task &t = graph[id];
    double us = taskDurationUs(t, system);
    if (!(us > 0)) {
      // Zero-time work is still a busy resource of the stage (worst 0).
      continue;
    }
    switch (t.kind) {
    case TaskKind::Compute:
      charge(t.device, us);
      if (t.bytes > 0)
        charge(n + t.device, us);
      break;
    case TaskKind::Load:
      charge(n + t.device, us);
      break;
    case TaskKind::Transfer: {
      route.clear();
      system.appendRoute(t.device, t.dst, route);
      double lat = system.routeLatencyUs(route);
      for (unsigned link : route) {
        charge(2 * n + link, us - lat);
        latency[2 * n + link] = std::max(latency[2 * n + link], lat);
      }
      if (t.memoryCopy) { // both memory engines are held as long
        charge(n + t.device, us - lat);
        charge(n + t.dst, us - lat);
      }
      break;
    }
    case TaskKind::Barrier:
      break;
    }
  }
  flush();
  return total;
}

//===----------------------------------------------------------------------===//
// Layer loop
//===----------------------------------------------------------------------===//

TaskId moesaic::perf::emitLayers(StepEmitter &emitter,
                                 const ScheduleTables &tables,
                                 const MoeHook &moe) {
  const ModelDesc &model = emitter.model;
  std::set<int64_t> indices;
  for (const DenseOpDesc &op : model.denseOps)
    indices.insert(op.layer);
  for (const MoeLayerDesc &l : model.moeLayers)
    indices.insert(l.index);
  std::vector<int64_t> order;
  for (int64_t i : indices)
    if (i >= 0)
      order.push_back(i);
  if (indices.count(-1))
    order.push_back(-1);
  // Speed: the ops of each layer, bucketed once (model order kept), so the
  // loop is linear in layers x ops rather than scanning every op per layer.
  std::map<int64_t, std::vector<const DenseOpDesc *>> denseOf;
  std::map<int64_t, std::vector<size_t>> moeOf;
  for (const DenseOpDesc &op : model.denseOps)
    denseOf[op.layer].push_back(&op);
  for (size_t m = 0; m < model.moeLayers.size(); ++m)
    moeOf[model.moeLayers[m].index].push_back(m);
  for (int64_t index : order) {
    const LayerSchedule *layer = tables.layer(index);
    emitter.at(index, Phase::Dense);
    for (const DenseOpDesc *op : denseOf[index]) {
      const DensePlacement *p = findDense(layer, op->kind);
      // parseSchedule checked that every dense op is placed.
      if (p)
        emitter.dense(*op, *p);
    }
    for (size_t m : moeOf[index]) {
      emitter.at(index, Phase::Moe);
      moe(emitter, model.moeLayers[m], m, layer);
    }
  }
  emitter.graph.clearLabel();
  return emitter.finish();
}
