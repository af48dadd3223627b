//===- WaferRuntime.cpp - Runtime half of the wafer strategies ------------===//

#include "moesaic/Runtime/Wafer/WaferRuntime.h"
#include "moesaic/Runtime/Wafer/MigrationWindows.h"
#include "moesaic/Runtime/Dataflow/WaferMigrationInterpreter.h"
#include "moesaic/Support/JsonIntegers.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <limits>
#include <map>

using namespace moesaic;
using namespace moesaic::wafer;
using perf::Phase;
using perf::TaskGraph;
using perf::TaskId;

static llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::json::Object wafer::scheduleObject(const WaferLayout &layout,
                                         const BalancerConfig &c) {
  llvm::json::Object obj = layout.toJSON();
  obj["balancer"] = llvm::json::Object{
      {"window", c.window},       {"trigger", c.trigger},
      {"max_swaps", c.maxSwaps},  {"cooldown", c.cooldown},
      {"chunks", c.chunks},       {"cold_fraction", c.coldFraction},
      {"horizon", c.horizon},
      {"staging", c.staging == Staging::NonInvasive ? "non-invasive"
                                                    : "stop-the-world"}};
  return obj;
}

llvm::Expected<BalancerConfig>
wafer::balancerFromJSON(const llvm::json::Object &obj) {
  BalancerConfig c;
  auto getInt = [&](llvm::StringRef key, int64_t &out) -> llvm::Error {
    if (const llvm::json::Value *v = obj.get(key)) {
      std::optional<int64_t> i = jsonInteger(*v);
      if (!i || *i < 1)
        return fail("wafer balancer: '" + key + "' must be a positive integer");
      out = *i;
    }
    return llvm::Error::success();
  };
  auto getNum = [&](llvm::StringRef key, double &out) -> llvm::Error {
    if (const llvm::json::Value *v = obj.get(key)) {
      std::optional<double> d = v->getAsNumber();
      if (!d || *d <= 0)
        return fail("wafer balancer: '" + key + "' must be a positive number");
      out = *d;
    }
    return llvm::Error::success();
  };
  if (auto e = getInt("window", c.window)) return std::move(e);
  if (auto e = getNum("trigger", c.trigger)) return std::move(e);
  if (auto e = getInt("max_swaps", c.maxSwaps)) return std::move(e);
  if (auto e = getInt("cooldown", c.cooldown)) return std::move(e);
  if (auto e = getInt("chunks", c.chunks)) return std::move(e);
  if (auto e = getNum("cold_fraction", c.coldFraction)) return std::move(e);
  if (auto e = getInt("horizon", c.horizon)) return std::move(e);
  if (std::optional<llvm::StringRef> s = obj.getString("staging")) {
    if (*s == "non-invasive")
      c.staging = Staging::NonInvasive;
    else if (*s == "stop-the-world")
      c.staging = Staging::StopTheWorld;
    else
      return fail("wafer balancer: 'staging' must be \"non-invasive\" or "
                  "\"stop-the-world\"");
  }
  return c;
}

llvm::Expected<llvm::json::Object>
wafer::waferObjectFromSchedule(const llvm::json::Object &schedule,
                               const SystemModel &system) {
  if (const llvm::json::Object *w = schedule.getObject("wafer"))
    return llvm::json::Object(*w);
  const llvm::json::Array *layers = schedule.getArray("layers");
  const llvm::json::Object *entry = nullptr;
  if (layers)
    for (const llvm::json::Value &v : *layers)
      if (const llvm::json::Object *o = v.getAsObject())
        if (jsonInteger(*o, "index") == -1 && o->getObject("wafer_rings"))
          entry = o;
  if (!entry)
    return fail("no wafer placement (layer -1 \"wafer_rings\" and "
                "\"wafer_experts\")");
  const llvm::json::Object *rings = entry->getObject("wafer_rings");
  const llvm::json::Object *experts = entry->getObject("wafer_experts");
  if (!experts)
    return fail("\"wafer_rings\" without \"wafer_experts\"");
  std::string bad;
  auto index = [&](const llvm::json::Value &v) -> int64_t {
    std::optional<llvm::StringRef> name = v.getAsString();
    if (!name) {
      bad = "a device entry is not a name";
      return -1;
    }
    std::optional<unsigned> d = system.lookup(name->str());
    if (!d) {
      bad = "device '" + name->str() + "' is not in '" + system.name + "'";
      return -1;
    }
    return (int64_t)*d;
  };
  auto nested = [&](const llvm::json::Array *outer) {
    llvm::json::Array out;
    if (!outer) {
      bad = "missing device lists";
      return out;
    }
    for (const llvm::json::Value &v : *outer) {
      llvm::json::Array inner;
      if (const llvm::json::Array *a = v.getAsArray())
        for (const llvm::json::Value &x : *a)
          inner.push_back(index(x));
      out.push_back(std::move(inner));
    }
    return out;
  };
  llvm::json::Object w;
  w["rings"] = nested(rings->getArray("rings"));
  w["domains"] = nested(rings->getArray("domains"));
  if (std::optional<llvm::StringRef> d = rings->getString("dispatch"))
    w["dispatch"] = d->str();
  w["shards"] = jsonInteger(*experts, "shards").value_or(0);
  w["units_per_die"] = jsonInteger(*experts, "per_die").value_or(0);
  llvm::json::Array units;
  if (const llvm::json::Array *u = experts->getArray("units"))
    for (const llvm::json::Value &x : *u)
      units.push_back(index(x));
  w["unit_die"] = std::move(units);
  if (const llvm::json::Object *b = entry->getObject("wafer_balancer"))
    w["balancer"] = llvm::json::Object(*b);
  if (!bad.empty())
    return fail(bad);
  return w;
}

llvm::Error WaferRuntime::load(const llvm::json::Object &schedule,
                               const SystemModel &system,
                               const ModelDesc &model) {
  llvm::Expected<llvm::json::Object> waferObj =
      waferObjectFromSchedule(schedule, system);
  if (!waferObj)
    return fail("schedule for '" + strategyName +
                "': " + llvm::toString(waferObj.takeError()));
  const llvm::json::Object *w = &*waferObj;
  llvm::Expected<WaferLayout> layout = layoutFromJSON(*w);
  if (!layout)
    return layout.takeError();
  if (std::string e = validate(*layout, system); !e.empty())
    return fail("schedule for '" + strategyName + "' on '" + system.name +
                "': " + e);
  if (model.moeLayers.empty())
    return fail("model '" + model.name + "' has no MoE layer");
  if (layout->numExperts() != model.moeLayers.front().numExperts)
    return fail(llvm::formatv("schedule places {0} experts but model '{1}' "
                              "has {2}",
                              layout->numExperts(), model.name,
                              model.moeLayers.front().numExperts));
  // Without a balancer in the schedule nothing migrates; its "staging"
  // overrides the strategy's default staging.
  BalancerConfig cfg;
  cfg.staging = staging;
  cfg.trigger = std::numeric_limits<double>::infinity();
  if (const llvm::json::Object *b = w->getObject("balancer")) {
    llvm::Expected<BalancerConfig> c = balancerFromJSON(*b);
    if (!c)
      return c.takeError();
    cfg = *c;
    if (!b->getString("staging"))
      cfg.staging = staging;
  }
  staging = cfg.staging;
  sys = &system;
  mdl = &model;
  lay = std::move(*layout);
  balCfg = cfg;
  std::vector<double> unitBytes;
  for (const MoeLayerDesc &l : model.moeLayers)
    unitBytes.push_back(double(l.expertBytes()) / double(lay.shards));
  dfPath.reset();
  directBal.reset();
  if (dataflowPath) {
    if (llvm::Error e = loadPrograms(schedule, unitBytes))
      return fail("schedule for '" + strategyName +
                  "': " + llvm::toString(std::move(e)));
    bal = &dfPath->balancer();
  } else {
    directBal = std::make_unique<NIBalancer>(cfg, system, lay,
                                             model.moeLayers.size(), unitBytes);
    bal = directBal.get();
  }
  tables = std::make_unique<DispatchTables>(lay, system);
  st = WaferStats();
  lastObserved = -1;
  return llvm::Error::success();
}

WaferRuntime::~WaferRuntime() = default;

llvm::Error WaferRuntime::useDataflowDecisions() {
  if (staging != Staging::NonInvasive)
    return fail("'" + strategyName +
                "' stages migrations stop-the-world: its schedule carries no "
                "when/where program (docs/dataflow.md)");
  dataflowPath = true;
  return llvm::Error::success();
}

llvm::Error WaferRuntime::loadPrograms(const llvm::json::Object &schedule,
                                       std::vector<double> unitBytes) {
  if (staging != Staging::NonInvasive)
    return fail("the dataflow path needs non-invasive staging");
  for (double b : unitBytes)
    if (b != unitBytes.front())
      return fail("the dataflow path counts link capacity in chunks of one "
                  "size, and model '" + mdl->name +
                  "' has MoE layers with different expert sizes");
  dataflow::SchedulePrograms programs(schedule);
  auto program = [&](int64_t index,
                     llvm::StringRef name) -> llvm::Expected<dataflow::Program> {
    if (!programs.has(index) || programs.name(index) != name)
      return fail(llvm::formatv("layer {0} has no \"dataflow\" program '{1}' "
                                "(run moe-df-lower-wafer)",
                                index, name)
                      .str());
    return programs.load(index);
  };
  std::vector<dataflow::Program> triggers;
  for (const MoeLayerDesc &l : mdl->moeLayers) {
    auto p = program(l.index, "wafer.trigger.layer" + std::to_string(l.index));
    if (!p)
      return p.takeError();
    triggers.push_back(std::move(*p));
  }
  auto staged = program(-1, "wafer.staging");
  if (!staged)
    return staged.takeError();
  auto interp = dataflow::WaferMigrationInterpreter::create(
      std::move(triggers), std::move(*staged), balCfg, *sys, lay,
      std::move(unitBytes));
  if (!interp)
    return interp.takeError();
  dfPath = std::move(*interp);
  return llvm::Error::success();
}

std::vector<int64_t> WaferRuntime::fillSlot(int64_t step, int64_t moeLayer,
                                            SlotPhase phase,
                                            const SlotWindow &window) {
  if (!dfPath)
    return bal->fillSlot(step, moeLayer, phase, window);
  // One chunk size: checked when the programs were loaded.
  return llvm::cantFail(dfPath->fillSlot(step, moeLayer, phase, window));
}

namespace {
/// Dense work of one transformer layer (or of the pre/post ops, layer -1).
struct DenseWork {
  double flopsPerToken = 0, weightBytes = 0, kvPerContextToken = 0;
  int collectives = 0; ///< Ring all-reduces of its outputs (TP).
  std::string dtype = "bf16";
};
} // namespace

static std::map<int64_t, DenseWork> denseByLayer(const ModelDesc &model) {
  std::map<int64_t, DenseWork> out;
  for (const DenseOpDesc &op : model.denseOps) {
    DenseWork &w = out[op.layer];
    w.flopsPerToken += op.flopsPerToken;
    w.weightBytes += (double)op.weightBytes;
    w.kvPerContextToken += (double)op.kvBytesPerContextToken;
    w.dtype = op.dtype;
    if (op.kind == "attention" || op.kind == "dense_ffn")
      ++w.collectives;
  }
  return out;
}

TaskId WaferRuntime::emitStep(const perf::StepContext &ctx, TaskGraph &graph,
                              TaskId start) {
  const SystemModel &S = *sys;
  const ModelDesc &M = *mdl;
  int64_t step = ctx.step;
  int64_t batch = ctx.trace.batch;
  size_t numRings = lay.rings.size();
  std::vector<TaskId> migTasks;
  graph.setLayer(-1);

  // Stage the migrations decided after the previous step: stop-the-world,
  // everything now; NI-Balancer, in the slots below (moves past the
  // horizon are forced into this step's; one still not done after a whole
  // step of hot routes goes stop-the-world now).
  TaskId head = start;
  {
    size_t before = bal->chunks().size();
    double us = staging == Staging::StopTheWorld ? bal->flushAll(step)
                                                 : bal->forceExpired(step);
    std::map<int64_t, double> bytesPerMove;
    for (size_t c = before; c < bal->chunks().size(); ++c)
      bytesPerMove[bal->chunks()[c].move] += bal->chunks()[c].bytes;
    if (!bytesPerMove.empty()) {
      graph.setPhase(Phase::Migration);
      graph.setLabel("migration (stop-the-world)");
      std::vector<TaskId> blk;
      for (auto [m, bytes] : bytesPerMove) {
        const Move &mv = bal->moves()[m];
        // From the source die's HBM into the destination's.
        TaskId t = graph.addTransfer(mv.from, mv.to, bytes, {start});
        graph[t].memoryCopy = true;
        blk.push_back(t);
        st.migrationBytes += bytes;
      }
      blk.push_back(start);
      head = graph.add(perf::Task(), blk); // barrier
      graph.clearLabel();
      (staging == Staging::StopTheWorld ? st.stwExposedUs
                                        : st.flushedExposedUs) += us;
      st.chunksFlushed += (int64_t)(bal->chunks().size() - before);
    }
  }

  // The placement every MoE layer serves from in this step.
  std::vector<std::vector<unsigned>> placement;
  for (size_t l = 0; l < M.moeLayers.size(); ++l)
    placement.push_back(bal->placement(l));
  std::map<int64_t, size_t> moeIndex;
  for (size_t l = 0; l < M.moeLayers.size(); ++l)
    moeIndex[M.moeLayers[l].index] = l;
  std::map<int64_t, DenseWork> dense = denseByLayer(M);

  std::vector<int64_t> ringTokens(numRings, 0);
  for (int64_t t = 0; t < batch; ++t)
    ++ringTokens[ringOfToken(t, numRings)];
  double tokenBytes = (double)M.hiddenSize * 2.0;
  if (!M.moeLayers.empty())
    tokenBytes = (double)M.moeLayers.front().tokenBytes();

  auto emitMigrationChunks = [&](const std::vector<int64_t> &ids,
                                 auto depOf) {
    if (ids.empty())
      return;
    graph.setPhase(Phase::Migration);
    graph.setLabel("migration chunk");
    // A chunk waits for the previous chunk on either of its memories: it
    // becomes ready only when they are free, so any work that became ready
    // meanwhile (the simulator serves the earliest-ready task first) goes
    // ahead of it. Sent back to back instead, a move's chunks would queue
    // on its route and memories together and hold them against the
    // phase's own work for their whole length.
    std::map<unsigned, TaskId> lastOn;
    for (size_t i = 0; i < ids.size();) {
      const Chunk &ch = bal->chunks()[ids[i]];
      const Move &mv = bal->moves()[ch.move];
      // A move's consecutive chunks in the slot go as one copy of at most
      // maxCopyBytes (at least one chunk).
      double bytes = ch.bytes;
      size_t j = i + 1;
      for (; j < ids.size() && bal->chunks()[ids[j]].move == ch.move &&
             bytes + bal->chunks()[ids[j]].bytes <=
                 balCfg.maxCopyBytes * (1 + 1e-9);
           ++j)
        bytes += bal->chunks()[ids[j]].bytes;
      std::vector<TaskId> deps = depOf(mv);
      for (unsigned d : {mv.from, mv.to})
        if (auto it = lastOn.find(d); it != lastOn.end())
          deps.push_back(it->second);
      perf::Task copy;
      copy.kind = perf::TaskKind::Transfer;
      copy.device = mv.from;
      copy.dst = mv.to;
      copy.bytes = bytes;
      copy.priority = 100;     // behind the phase's own traffic
      copy.memoryCopy = true;  // HBM to HBM
      TaskId t = graph.add(copy, deps);
      lastOn[mv.from] = lastOn[mv.to] = t;
      migTasks.push_back(t);
      st.migrationBytes += bytes;
      // Chunks of moves past the horizon (fillForced) are not hidden ones.
      (ch.flushed ? st.chunksFlushed : st.chunksHidden) += (int64_t)(j - i);
      i = j;
    }
    graph.clearLabel();
  };

  // Ring phase: dense compute on every ring member, then the all-reduces.
  // `computedOut`: the end of the compute (before the all-reduces).
  auto ringPhase = [&](const DenseWork &w, int collectives, TaskId dep,
                       LinkLoad &load, TaskId *computedOut) -> TaskId {
    graph.setPhase(Phase::Dense);
    std::vector<TaskId> done;
    for (size_t r = 0; r < numRings; ++r) {
      double g = (double)lay.rings[r].size();
      double tokens = (double)ringTokens[r];
      for (unsigned d : lay.rings[r]) {
        double flops = w.flopsPerToken * tokens / g;
        double bytes = w.weightBytes / g +
                       w.kvPerContextToken * (double)ctx.context * tokens / g;
        double tf = S.devices[d].peakFor(w.dtype);
        done.push_back(graph.addCompute(d, flops, bytes, tf, {dep}));
      }
    }
    TaskId computed = graph.add(perf::Task(), done);
    if (computedOut)
      *computedOut = computed;
    std::vector<Flow> flows;
    ringFlows(lay, batch, tokenBytes, (double)collectives, flows);
    accumulate(flows, S, load);
    std::vector<TaskId> xfer{computed};
    for (const Flow &f : flows)
      xfer.push_back(graph.addTransfer(f.src, f.dst, f.bytes, {computed}));
    return graph.add(perf::Task(), xfer);
  };

  TaskId cur = head;
  std::vector<std::vector<int32_t>> observed;
  for (int64_t L = 0; L < M.numLayers; ++L) {
    graph.setLayer((int32_t)L);
    auto mit = moeIndex.find(L);
    DenseWork w;
    if (auto it = dense.find(L); it != dense.end())
      w = it->second;
    // Attention all-reduce, plus the second one domain dispatch needs.
    int collectives = std::max(1, w.collectives);
    if (mit != moeIndex.end() && lay.dispatch == Dispatch::Domain)
      collectives = std::max(1, w.collectives) + 1;
    LinkLoad ringLoad;
    TaskId ringComputed = perf::kNoTask;
    TaskId ringDone = ringPhase(w, collectives, cur, ringLoad, &ringComputed);
    if (mit == moeIndex.end()) {
      cur = ringDone;
      continue;
    }
    size_t mi = mit->second;
    const MoeLayerDesc &ml = M.moeLayers[mi];
    // MoE phase: its flows first (the ring-side migration window below
    // spans the dispatch too).
    LayerRouting routing{batch, ml.topK, ctx.trace.experts(step, mi, 0)};
    std::vector<Flow> flows;
    moeFlows(lay, placement[mi], *tables, S, routing, (double)ml.tokenBytes(),
             /*bestOwner=*/false, flows);
    LinkLoad moeLoad;
    accumulate(flows, S, moeLoad);
    graph.setPhase(Phase::Moe);
    // Tokens per unit -> work per die.
    std::vector<int32_t> load = ctx.trace.expertLoad(step, mi);
    observed.push_back(load);
    std::vector<double> dieFlops(S.numDevices(), 0.0),
        dieBytes(S.numDevices(), 0.0);
    for (size_t u = 0; u < placement[mi].size(); ++u) {
      int32_t n = load[u / lay.shards];
      if (n <= 0)
        continue;
      unsigned d = placement[mi][u];
      dieFlops[d] += double(n) * ml.expertFlopsPerToken() / double(lay.shards);
      dieBytes[d] += double(ml.expertBytes()) / double(lay.shards);
    }
    // Dispatch: flows whose destination computes an expert (the even
    // entries of moeFlows are dispatches, the odd ones combines).
    std::vector<std::vector<TaskId>> into(S.numDevices());
    std::map<std::pair<unsigned, unsigned>, double> dispatch, combine;
    for (size_t i = 0; i < flows.size(); ++i)
      (i % 2 == 0 ? dispatch : combine)[{flows[i].src, flows[i].dst}] +=
          flows[i].bytes;
    for (auto [p, bytes] : dispatch)
      into[p.second].push_back(
          graph.addTransfer(p.first, p.second, bytes, {ringDone}));
    std::vector<TaskId> computeOf(S.numDevices(), perf::kNoTask);
    // How long each die's memory streams in the phase (its experts and
    // its share of the shared experts and router).
    std::vector<double> routedUs(S.numDevices(), 0.0),
        sharedUs(S.numDevices(), 0.0);
    for (unsigned d = 0; d < S.numDevices(); ++d) {
      if (dieFlops[d] <= 0)
        continue;
      std::vector<TaskId> deps = into[d];
      deps.push_back(ringDone);
      double tf = S.devices[d].peakFor(ml.actType);
      perf::Task real;
      real.kind = perf::TaskKind::Compute;
      real.device = d;
      real.flops = dieFlops[d];
      real.bytes = dieBytes[d];
      real.tflops = tf;
      real.phase = Phase::Moe;
      real.layer = (int32_t)L;
      computeOf[d] = graph.add(real, deps);
      routedUs[d] = std::max(flopsToUs(dieFlops[d], tf),
                             bytesToUs(dieBytes[d], S.devices[d].offchipGBps));
    }
    std::vector<TaskId> moeDone{ringDone};
    for (auto [p, bytes] : combine) {
      TaskId dep = computeOf[p.first] != perf::kNoTask ? computeOf[p.first]
                                                        : ringDone;
      moeDone.push_back(graph.addTransfer(p.first, p.second, bytes, {dep}));
    }
    for (unsigned d = 0; d < S.numDevices(); ++d)
      if (computeOf[d] != perf::kNoTask)
        moeDone.push_back(computeOf[d]);
    // Shared experts and the router on the ring members (tensor-split).
    double sharedFlops = ml.sharedFlopsPerToken() + ml.routerFlopsPerToken();
    double sharedBytes = double(ml.sharedBytes() + ml.routerBytes());
    std::vector<TaskId> sharedOf(S.numDevices(), perf::kNoTask);
    if (sharedFlops > 0)
      for (size_t r = 0; r < numRings; ++r) {
        double g = (double)lay.rings[r].size();
        for (unsigned d : lay.rings[r]) {
          double flops = sharedFlops * (double)ringTokens[r] / g;
          double tf = S.devices[d].peakFor(ml.actType);
          TaskId t = graph.addCompute(d, flops, sharedBytes / g, tf,
                                      {ringDone});
          moeDone.push_back(t);
          sharedOf[d] = t;
          sharedUs[d] = std::max(
              flopsToUs(flops, tf),
              bytesToUs(sharedBytes / g, S.devices[d].offchipGBps));
        }
      }
    // Migration slots: when each die's memory is idle around the experts
    // (MigrationWindows.h). Before them, chunks share the links with the
    // all-reduces and the dispatch; after them, with the combine.
    if (staging == Staging::NonInvasive) {
      LayerSlots slots =
          migrationSlots(S, ringLoad, ringLoad.bottleneckUs(S), flows,
                         sharedUs, routedUs);
      auto beforeDeps = [&](const Move &) {
        return std::vector<TaskId>{ringComputed};
      };
      auto afterDeps = [&](const Move &mv) {
        return std::vector<TaskId>{ringDone, computeOf[mv.from],
                                   computeOf[mv.to], sharedOf[mv.from],
                                   sharedOf[mv.to]};
      };
      // Per slot: the forced chunks first (the regular ones see them as
      // the slot's own traffic), then the chunks that fit.
      for (auto [phase, window] : {std::pair{SlotPhase::Ring, &slots.before},
                                   std::pair{SlotPhase::Moe, &slots.after}}) {
        double exposedBefore = bal->exposedUs();
        std::vector<int64_t> ids =
            bal->fillForced(step, (int64_t)mi, phase, *window);
        st.flushedExposedUs += bal->exposedUs() - exposedBefore;
        std::vector<int64_t> fitting =
            fillSlot(step, (int64_t)mi, phase, *window);
        ids.insert(ids.end(), fitting.begin(), fitting.end());
        if (phase == SlotPhase::Ring)
          emitMigrationChunks(ids, beforeDeps);
        else
          emitMigrationChunks(ids, afterDeps);
      }
    }
    cur = graph.add(perf::Task(), moeDone);
    // Statistics.
    st.ringByteHops += ringLoad.byteHops;
    st.moeByteHops += moeLoad.byteHops;
    st.ringBytes += ringLoad.totalBytes;
    st.moeBytes += moeLoad.totalBytes;
    st.ringMaxLinkBytes += ringLoad.maxBytes();
    st.moeMaxLinkBytes += moeLoad.maxBytes();
    st.ringBottleneckUs += ringLoad.bottleneckUs(S);
    st.moeBottleneckUs += moeLoad.bottleneckUs(S);
    ++st.moeLayerSteps;
  }
  // Pre/post ops (embeddings, final norm, LM head) on the ring members.
  graph.setLayer(-1);
  if (auto it = dense.find(-1); it != dense.end()) {
    LinkLoad unused;
    cur = ringPhase(it->second, 0, cur, unused, nullptr);
  }
  migTasks.push_back(cur);
  TaskId end = graph.add(perf::Task(), migTasks);
  graph.setPhase(Phase::Other);
  ++st.steps;
  if (step > lastObserved) {
    if (dfPath) {
      std::vector<dataflow::LayerGating> gating;
      for (size_t l = 0; l < M.moeLayers.size(); ++l)
        gating.push_back({ctx.trace.experts(step, l, 0), (unsigned)batch,
                          (unsigned)ctx.trace.topK[l]});
      dfPath->observe(step, gating);
    } else {
      bal->observe(step, observed);
    }
    lastObserved = step;
  }
  return end;
}

double WaferRuntime::analyticStepUs(const perf::StepContext &ctx) {
  // Per layer: ring phase (dense compute + ring all-reduce bottleneck) then
  // the MoE phase (busiest die's expert time + dispatch/combine bottleneck),
  // with the current placement and no contention between flows beyond the
  // per-link sums.
  const SystemModel &S = *sys;
  const ModelDesc &M = *mdl;
  std::map<int64_t, DenseWork> dense = denseByLayer(M);
  std::map<int64_t, size_t> moeIndex;
  for (size_t l = 0; l < M.moeLayers.size(); ++l)
    moeIndex[M.moeLayers[l].index] = l;
  size_t numRings = lay.rings.size();
  int64_t batch = ctx.trace.batch;
  double tokenBytes = M.moeLayers.front().tokenBytes();
  auto ringUs = [&](const DenseWork &w, int collectives) {
    double computeUs = 0;
    for (size_t r = 0; r < numRings; ++r) {
      double g = (double)lay.rings[r].size();
      double tokens = double(batch / (int64_t)numRings +
                             ((int64_t)r < batch % (int64_t)numRings));
      for (unsigned d : lay.rings[r])
        computeUs = std::max(
            computeUs,
            std::max(flopsToUs(w.flopsPerToken * tokens / g,
                               S.devices[d].peakFor(w.dtype)),
                     bytesToUs(w.weightBytes / g + w.kvPerContextToken *
                                                       (double)ctx.context *
                                                       tokens / g,
                               S.devices[d].offchipGBps)));
    }
    std::vector<Flow> flows;
    ringFlows(lay, batch, tokenBytes, collectives, flows);
    LinkLoad load;
    accumulate(flows, S, load);
    return computeUs + load.bottleneckUs(S);
  };
  double total = 0;
  for (int64_t L = 0; L < M.numLayers; ++L) {
    DenseWork w;
    if (auto it = dense.find(L); it != dense.end())
      w = it->second;
    auto mit = moeIndex.find(L);
    int collectives = std::max(1, w.collectives);
    if (mit != moeIndex.end() && lay.dispatch == Dispatch::Domain)
      ++collectives;
    total += ringUs(w, collectives);
    if (mit == moeIndex.end())
      continue;
    size_t mi = mit->second;
    const MoeLayerDesc &ml = M.moeLayers[mi];
    const std::vector<unsigned> &place = bal->placement(mi);
    std::vector<Flow> flows;
    LayerRouting routing{batch, ml.topK, ctx.trace.experts(ctx.step, mi, 0)};
    moeFlows(lay, place, *tables, S, routing, (double)ml.tokenBytes(),
             /*bestOwner=*/false, flows);
    LinkLoad load;
    accumulate(flows, S, load);
    std::vector<int32_t> ld = ctx.trace.expertLoad(ctx.step, mi);
    std::vector<double> f(S.numDevices(), 0), b(S.numDevices(), 0);
    for (size_t u = 0; u < place.size(); ++u)
      if (ld[u / lay.shards] > 0) {
        f[place[u]] += ld[u / lay.shards] * ml.expertFlopsPerToken() / lay.shards;
        b[place[u]] += double(ml.expertBytes()) / lay.shards;
      }
    double c = 0;
    for (unsigned d = 0; d < S.numDevices(); ++d)
      if (f[d] > 0)
        c = std::max(c, std::max(flopsToUs(f[d], S.devices[d].peakFor(ml.actType)),
                                 bytesToUs(b[d], S.devices[d].offchipGBps)));
    total += c + load.bottleneckUs(S) / 2.0; // dispatch and combine halves
  }
  if (auto it = dense.find(-1); it != dense.end())
    total += ringUs(it->second, 0);
  return total;
}

std::string WaferRuntime::analyticNote() const {
  return "per phase: busiest device plus busiest link, summed over layers; "
         "ignores queueing between flows that share links in the same "
         "direction at different times and the overlap of shared experts "
         "with dispatch";
}

void WaferRuntime::report(llvm::json::Object &result) const {
  double steps = std::max<int64_t>(1, st.steps);
  double layers = std::max<int64_t>(1, st.moeLayerSteps);
  double exposed = st.stwExposedUs + st.flushedExposedUs;
  llvm::json::Object w{
      {"dispatch", toString(lay.dispatch)},
      {"rings", (int64_t)lay.rings.size()},
      {"ring_size", lay.rings.empty() ? 0 : (int64_t)lay.rings[0].size()},
      {"domains", (int64_t)lay.domains.size()},
      {"expert_shards", lay.shards},
      {"byte_hops_per_step", (st.ringByteHops + st.moeByteHops) / steps},
      {"ring_byte_hops_per_step", st.ringByteHops / steps},
      {"moe_byte_hops_per_step", st.moeByteHops / steps},
      {"ring_bottleneck_link_bytes", st.ringMaxLinkBytes / layers},
      {"moe_bottleneck_link_bytes", st.moeMaxLinkBytes / layers},
      {"ring_bottleneck_us", st.ringBottleneckUs / layers},
      {"moe_bottleneck_us", st.moeBottleneckUs / layers},
      {"migration_decisions", bal ? bal->decisions() : 0},
      {"migration_moves", bal ? (int64_t)bal->moves().size() : 0},
      {"migration_bytes", st.migrationBytes},
      {"migration_stop_the_world_us", bal ? bal->stopTheWorldUs() : 0.0},
      {"staging", staging == Staging::NonInvasive ? "non-invasive"
                                                  : "stop-the-world"},
      {"decisions", dfPath ? "dataflow" : "direct"},
      {"migration_exposed_analytic_us", exposed / steps},
      {"migration_chunks_hidden", st.chunksHidden},
      {"migration_chunks_flushed", st.chunksFlushed},
      // Decided moves whose chunks were not all sent when the run ended
      // (their time is in no figure above).
      {"migration_moves_pending",
       bal ? (int64_t)bal->pendingMoves().size() : 0}};
  result["wafer"] = std::move(w);
}

void wafer::registerWaferRuntimes() {
  perf::registerRuntime("er-mapping", [] {
    return std::make_unique<WaferRuntime>("er-mapping", Staging::NonInvasive);
  });
  perf::registerRuntime("wafer-baseline", [] {
    return std::make_unique<WaferRuntime>("wafer-baseline",
                                          Staging::StopTheWorld);
  });
}
