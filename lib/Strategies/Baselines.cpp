//===- Baselines.cpp - Runtimes of ep, tp, eplb and fastermoe -------------===//

#include "moesaic/Strategies/Baselines.h"
#include "moesaic/Strategies/Emit.h"
#include "moesaic/Strategies/EplbPlacement.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <numeric>
#include <set>

using namespace moesaic;
using namespace moesaic::perf;

namespace {

/// Shared by the baselines: loads the tables, emits through emitLayers,
/// estimates by emitting into a scratch graph.
class BaselineRuntime : public StrategyRuntime {
public:
  llvm::Error load(const llvm::json::Object &schedule,
                   const SystemModel &system,
                   const ModelDesc &model) override {
    auto parsed = parseSchedule(schedule, system, model);
    if (!parsed)
      return parsed.takeError();
    tables = std::move(*parsed);
    if (llvm::Error e = check(model))
      return e;
    // Weights stay on chip where a device's share fits (with room for one
    // token batch's activations); otherwise they stream every step.
    weights = weightBytesPerDevice(tables, system, model);
    resident = residentDevices(weights, system, reserveBytes(system, model));
    return llvm::Error::success();
  }

  int64_t staticOnchipBytes() const override {
    int64_t peak = 0;
    for (size_t d = 0; d < weights.size(); ++d)
      if (resident[d])
        peak = std::max(peak, weights[d]);
    return peak;
  }

  TaskId emitStep(const StepContext &ctx, TaskGraph &graph,
                  TaskId start) override {
    StepEmitter emitter(ctx, graph, start);
    emitter.resident = resident;
    prologue(emitter);
    TaskId end = emitLayers(emitter, tables,
                            [&](StepEmitter &em, const MoeLayerDesc &l,
                                size_t m, const LayerSchedule *layer) {
                              moe(em, l, m, *layer);
                            });
    // Speed (docs/performance.md): the closed form of this very step, from
    // the tasks just emitted, so analyticStepUs for the same step does not
    // emit the whole step a second time into a scratch graph (that was a
    // third of a DeepSeek-V3 evaluation). The step is deterministic given
    // (trace, step), which is what the cache is keyed on.
    lastAnalytic = {&ctx.trace, ctx.step, emitter.analyticUs()};
    return end;
  }

  double analyticStepUs(const StepContext &ctx) override {
    if (lastAnalytic.trace == &ctx.trace && lastAnalytic.step == ctx.step)
      return lastAnalytic.us;
    TaskGraph scratch;
    TaskId start = scratch.addBarrier();
    StepEmitter emitter(ctx, scratch, start);
    emitter.resident = resident;
    prologue(emitter);
    emitLayers(emitter, tables,
               [&](StepEmitter &em, const MoeLayerDesc &l, size_t m,
                   const LayerSchedule *layer) { moe(em, l, m, *layer); });
    return emitter.analyticUs();
  }

  std::string analyticNote() const override {
    return "the closed form adds, stage by stage (dense op, router, "
           "dispatch, experts, combine, all-reduce steps), the busiest "
           "resource's uncontended work";
  }

protected:
  /// The analytic estimate of the step emitStep last emitted.
  struct {
    const GatingTrace *trace = nullptr;
    int64_t step = -1;
    double us = 0;
  } lastAnalytic;

  virtual llvm::Error check(const ModelDesc &model) = 0;
  /// Work before the step's layers (e.g. weight migrations).
  virtual void prologue(StepEmitter &em) {}
  virtual void moe(StepEmitter &em, const MoeLayerDesc &l, size_t m,
                   const LayerSchedule &layer) = 0;

  /// Shared experts by their placement (data parallel when unplaced).
  static void shared(StepEmitter &em, const MoeLayerDesc &l,
                     const LayerSchedule &layer) {
    if (l.sharedExperts <= 0)
      return;
    if (const DensePlacement *p = findDense(&layer, "shared_experts")) {
      em.sharedExperts(l, *p);
      return;
    }
    DensePlacement all{"shared_experts", em.accel, DenseMode::Data};
    em.sharedExperts(l, all);
  }

  /// On-chip room kept for buffers when deciding residency: the largest
  /// expert (a shadow copy or a streamed expert's buffer).
  static int64_t reserveBytes(const SystemModel &, const ModelDesc &model) {
    int64_t largest = 0;
    for (const MoeLayerDesc &l : model.moeLayers)
      largest = std::max(largest, l.expertBytes());
    return largest;
  }

  ScheduleTables tables;
  std::vector<int64_t> weights;
  std::vector<bool> resident;
};

//===----------------------------------------------------------------------===//
// ep / eplb
//===----------------------------------------------------------------------===//

class ExpertParallelRuntime : public BaselineRuntime {
public:
  llvm::Error load(const llvm::json::Object &schedule,
                   const SystemModel &system,
                   const ModelDesc &model) override {
    wholeExpertBytes = wholeExpertBufferBytes(model);
    return BaselineRuntime::load(schedule, system, model);
  }

  /// What buffering whole experts would take on chip (double-buffered, per
  /// device), next to what this run allocated (`peak_onchip_bytes`, 0 where
  /// the experts do not fit and stream inside their compute tasks).
  void report(llvm::json::Object &result) const override {
    result["whole_expert_buffer_bytes"] = wholeExpertBytes;
  }

protected:
  int64_t wholeExpertBytes = 0;

  llvm::Error check(const ModelDesc &model) override {
    for (const MoeLayerDesc &l : model.moeLayers)
      if (tables.layer(l.index)->expertPlacement.empty())
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            llvm::formatv("schedule: layer {0} has no 'expert_placement'",
                          l.index)
                .str());
    return llvm::Error::success();
  }

  void moe(StepEmitter &em, const MoeLayerDesc &l, size_t m,
           const LayerSchedule &layer) override {
    em.router(l);
    shared(em, l, layer);
    // Replicas share an expert's tokens round-robin, so each gets
    // tokens/replicas of them (EPLB's assumption when packing).
    std::vector<int64_t> next(l.numExperts, 0);
    Dispatch d = em.dispatch(l, m, [&](int64_t, int32_t e, int64_t) {
      const std::vector<unsigned> &r = layer.expertPlacement[e];
      return r[next[e]++ % r.size()];
    });
    std::vector<TaskId> done = em.experts(l, d, 1.0, l.expertBytes());
    em.combine(l, d, done);
  }
};

//===----------------------------------------------------------------------===//
// eplb: ep with EPLB's periodic, stop-the-world rebalancing
//===----------------------------------------------------------------------===//

class EplbRuntime : public ExpertParallelRuntime {
public:
  llvm::Error load(const llvm::json::Object &schedule,
                   const SystemModel &system,
                   const ModelDesc &model) override {
    if (llvm::Error e = ExpertParallelRuntime::load(schedule, system, model))
      return e;
    for (auto &[index, layer] : tables.layers)
      if (const llvm::json::Object *o = layer.entry.getObject("observed_load"))
        every = std::max<int64_t>(every,
                                  o->getInteger("rebalance_every").value_or(0));
    return llvm::Error::success();
  }

  TaskId emitStep(const StepContext &ctx, TaskGraph &graph,
                  TaskId start) override {
    if (every > 0 && ctx.step > 0 && ctx.step % every == 0)
      rebalance(ctx);
    return ExpertParallelRuntime::emitStep(ctx, graph, start);
  }

  void report(llvm::json::Object &result) const override {
    ExpertParallelRuntime::report(result);
    result["eplb_rebalances"] = rebalances;
    result["eplb_migrated_bytes"] = migratedBytes;
  }

protected:
  struct Move {
    int64_t layer;
    unsigned src, dst;
    int64_t bytes;
  };

  /// New placement of every MoE layer from the load of the last `every`
  /// steps, with the same number of replicas; the weights a device gains
  /// come from the nearest device that held them.
  void rebalance(const StepContext &ctx) {
    const SystemModel &sys = ctx.system;
    const std::vector<unsigned> &accel = sys.acceleratorDevices();
    int64_t n = accel.size();
    moves.clear();
    for (size_t m = 0; m < ctx.model.moeLayers.size(); ++m) {
      const MoeLayerDesc &l = ctx.model.moeLayers[m];
      LayerSchedule &layer = tables.layers[l.index];
      std::vector<int64_t> load(l.numExperts, 0);
      for (int64_t s = ctx.step - every; s < ctx.step; ++s) {
        std::vector<int32_t> counts = ctx.trace.expertLoad(s, m);
        for (int64_t e = 0; e < l.numExperts && e < (int64_t)counts.size();
             ++e)
          load[e] += counts[e];
      }
      int64_t total = 0;
      for (const auto &holders : layer.expertPlacement)
        total += holders.size();
      int64_t redundant = total - l.numExperts;
      if (redundant < 0 || (l.numExperts + redundant) % n != 0)
        continue;
      std::vector<std::vector<int64_t>> placed =
          eplbPlacement(load, n, redundant);
      for (int64_t e = 0; e < l.numExperts; ++e) {
        std::vector<unsigned> next;
        for (int64_t p : placed[e])
          next.push_back(accel[p]);
        const std::vector<unsigned> &old = layer.expertPlacement[e];
        for (unsigned d : next) {
          if (llvm::is_contained(old, d))
            continue;
          unsigned src = old.front();
          for (unsigned o : old)
            if (sys.hops(o, d) < sys.hops(src, d))
              src = o;
          moves.push_back({l.index, src, d, l.expertBytes()});
          migratedBytes += l.expertBytes();
        }
        layer.expertPlacement[e] = std::move(next);
      }
    }
    ++rebalances;
    moveStep = ctx.step;
    weights = weightBytesPerDevice(tables, sys, ctx.model);
    resident = residentDevices(weights, sys, reserveBytes(sys, ctx.model));
  }

  /// Stop-the-world: every device waits for all of the step's moves.
  void prologue(StepEmitter &em) override {
    if (em.ctx.step != moveStep || moves.empty())
      return;
    em.beginStage();
    std::vector<TaskId> moved;
    for (const Move &mv : moves) {
      em.at(mv.layer, Phase::Migration);
      em.graph.setLabel(llvm::formatv("L{0} EPLB move", mv.layer).str());
      moved.push_back(em.add(em.transferTask(mv.src, mv.dst, mv.bytes),
                             {em.ready[mv.src]}));
    }
    for (TaskId r : em.ready)
      moved.push_back(r);
    Task barrier;
    TaskId all = em.add(barrier, moved);
    std::fill(em.ready.begin(), em.ready.end(), all);
  }

  int64_t every = 0, moveStep = -1, rebalances = 0, migratedBytes = 0;
  std::vector<Move> moves;
};

//===----------------------------------------------------------------------===//
// tp
//===----------------------------------------------------------------------===//

class TensorParallelRuntime : public BaselineRuntime {
protected:
  llvm::Error check(const ModelDesc &model) override {
    for (const MoeLayerDesc &l : model.moeLayers)
      if (tables.layer(l.index)->shardDevices.empty())
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            llvm::formatv("schedule: layer {0} has no 'expert_shards'",
                          l.index)
                .str());
    return llvm::Error::success();
  }

  void moe(StepEmitter &em, const MoeLayerDesc &l, size_t m,
           const LayerSchedule &layer) override {
    const std::vector<unsigned> &group = layer.shardDevices;
    int64_t batch = em.home.size();
    double tokenBytes = l.tokenBytes();
    bool replicated =
        std::all_of(group.begin(), group.end(), [&](unsigned d) {
          return llvm::is_contained(em.replicatedOn, d);
        });
    em.router(l);
    if (!replicated) {
      em.rehome(group, tokenBytes);
      em.allGather(group, batch * tokenBytes);
    }
    if (l.sharedExperts > 0) {
      DensePlacement p{"shared_experts", group, DenseMode::Tensor};
      if (const DensePlacement *placed = findDense(&layer, "shared_experts"))
        p = *placed;
      em.sharedExperts(l, p);
    }
    // Every device computes its slice of every active expert, for all the
    // expert's tokens: no dispatch.
    std::vector<int32_t> load = em.ctx.trace.expertLoad(em.ctx.step, m);
    Dispatch d;
    unsigned n = em.system.numDevices();
    d.expertTokens.resize(n);
    d.pairTokens.assign(n, std::vector<int64_t>(n, 0));
    d.arrived.resize(n);
    for (unsigned dev : group) {
      for (int32_t e = 0; e < (int32_t)load.size(); ++e)
        if (load[e] > 0)
          d.expertTokens[dev][e] = load[e];
      d.arrived[dev].push_back(em.ready[dev]);
    }
    std::vector<TaskId> done =
        em.experts(l, d, 1.0 / group.size(), layer.shardBytes);
    for (unsigned dev : group) {
      std::vector<TaskId> deps = em.side[dev];
      em.side[dev].clear();
      deps.push_back(done[dev]);
      deps.push_back(em.ready[dev]);
      Task barrier;
      em.ready[dev] = em.add(barrier, deps);
    }
    em.graph.setLabel(layerLabel(l.index, " expert all-reduce"));
    em.allReduce(group, batch * tokenBytes);
    em.replicatedOn = group;
  }
};

//===----------------------------------------------------------------------===//
// fastermoe
//===----------------------------------------------------------------------===//

class FasterMoeRuntime : public ExpertParallelRuntime {
public:
  void report(llvm::json::Object &result) const override {
    ExpertParallelRuntime::report(result);
    result["fastermoe_shadowed_per_layer_step"] =
        decisions ? (double)shadowed / decisions : 0.0;
  }

protected:
  struct Shadowing {
    std::vector<unsigned> devices;
    int64_t maxShadows = 0;
  };

  llvm::Error check(const ModelDesc &model) override {
    if (llvm::Error e = ExpertParallelRuntime::check(model))
      return e;
    for (const MoeLayerDesc &l : model.moeLayers) {
      const LayerSchedule *layer = tables.layer(l.index);
      const llvm::json::Object *s = layer->entry.getObject("shadowing");
      if (!s)
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            llvm::formatv("schedule: layer {0} has no 'shadowing'", l.index)
                .str());
      // Devices are resolved at emission time from the system.
    }
    return llvm::Error::success();
  }

  /// FasterMoE's roofline model of one layer's MoE latency for a set of
  /// shadowed experts, kept incrementally: per device expert compute
  /// time, per device all-to-all bytes, per owner broadcast time.
  struct LayerModel {
    std::vector<double> computeUs, a2aUs, bcastUs;
    double total() const {
      double c = 0, a = 0, b = 0;
      for (double v : computeUs) c = std::max(c, v);
      for (double v : a2aUs) a = std::max(a, v);
      for (double v : bcastUs) b = std::max(b, v);
      // Broadcast, then dispatch, experts and combine.
      return b + 2 * a + c;
    }
  };

  static double injectionGBps(const SystemModel &sys, unsigned d) {
    double bw = 0;
    for (unsigned link : sys.outLinks(d))
      bw += sys.links[link].bandwidthGBps;
    return bw;
  }

  static double expertUs(const SystemModel &sys, const MoeLayerDesc &l,
                         unsigned d, int64_t tokens) {
    if (tokens == 0)
      return 0;
    const Device &dev = sys.devices[d];
    return std::max(flopsToUs(l.expertFlopsPerToken() * tokens,
                              dev.peakFor(l.actType)),
                    bytesToUs(l.expertBytes(), dev.offchipGBps));
  }

  void moe(StepEmitter &em, const MoeLayerDesc &l, size_t m,
           const LayerSchedule &layer) override {
    const SystemModel &sys = em.system;
    const llvm::json::Object *s = layer.entry.getObject("shadowing");
    int64_t maxShadows = s->getInteger("max_shadows").value_or(0);
    auto shadowDevs = parseDevices(s->get("devices"), sys, "shadowing");
    std::vector<unsigned> targets =
        shadowDevs ? *shadowDevs : em.accel;
    if (!shadowDevs)
      llvm::consumeError(shadowDevs.takeError());

    em.router(l);
    shared(em, l, layer);

    // Per expert and home device: tokens (from the actual gating).
    unsigned n = sys.numDevices();
    int64_t E = l.numExperts;
    std::vector<std::vector<int64_t>> local(E, std::vector<int64_t>(n, 0));
    std::vector<int64_t> load(E, 0);
    for (int64_t t = 0; t < (int64_t)em.home.size(); ++t) {
      const int32_t *chosen = em.ctx.trace.experts(em.ctx.step, m, t);
      for (int64_t j = 0; j < l.topK; ++j) {
        ++local[chosen[j]][em.home[t]];
        ++load[chosen[j]];
      }
    }
    auto owner = [&](int64_t e) { return layer.expertPlacement[e][0]; };

    // The model without shadows.
    LayerModel model;
    model.computeUs.assign(n, 0);
    model.a2aUs.assign(n, 0);
    model.bcastUs.assign(n, 0);
    double tokenBytes = l.tokenBytes();
    for (int64_t e = 0; e < E; ++e) {
      unsigned o = owner(e);
      model.computeUs[o] += expertUs(sys, l, o, load[e]);
      for (unsigned h = 0; h < n; ++h)
        if (h != o && local[e][h]) {
          double b = local[e][h] * tokenBytes;
          model.a2aUs[h] += bytesToUs(b, injectionGBps(sys, h));
          model.a2aUs[o] += bytesToUs(b, injectionGBps(sys, o));
        }
    }
    // Greedy: shadow the most loaded experts while the model improves.
    std::vector<int64_t> order(E);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return load[a] > load[b]; });
    std::vector<bool> shadow(E, false);
    double best = model.total();
    int64_t count = 0;
    for (int64_t e : order) {
      if (count >= maxShadows || load[e] == 0)
        break;
      LayerModel next = model;
      unsigned o = owner(e);
      next.computeUs[o] -= expertUs(sys, l, o, load[e]);
      for (unsigned h : targets)
        next.computeUs[h] += expertUs(sys, l, h, local[e][h]);
      for (unsigned h = 0; h < n; ++h)
        if (h != o && local[e][h]) {
          double b = local[e][h] * tokenBytes;
          next.a2aUs[h] -= bytesToUs(b, injectionGBps(sys, h));
          next.a2aUs[o] -= bytesToUs(b, injectionGBps(sys, o));
        }
      next.bcastUs[o] += bytesToUs((double)l.expertBytes() *
                                       (targets.size() - 1),
                                   injectionGBps(sys, o));
      double t = next.total();
      if (!(t < best))
        break;
      best = t;
      model = std::move(next);
      shadow[e] = true;
      ++count;
    }
    shadowed += count;
    ++decisions;

    // Broadcast the shadowed experts' weights from their owners.
    em.beginStage();
    std::map<std::pair<int64_t, unsigned>, TaskId> arrived;
    for (int64_t e = 0; e < E; ++e) {
      if (!shadow[e])
        continue;
      unsigned o = owner(e);
      em.graph.setLabel(
          layerLabel(l.index, " shadow expert " + std::to_string(e)));
      for (unsigned h : targets) {
        // FasterMoE broadcasts a shadowed expert to every worker; only
        // those with tokens for it keep an on-chip copy to compute with.
        if (h == o)
          continue;
        Task t = em.transferTask(o, h, l.expertBytes());
        if (local[e][h] > 0 && em.buffersWhole(h, l.expertBytes()))
          t.allocBytes = l.expertBytes();
        arrived[{e, h}] = em.add(t, {em.ready[o]});
      }
    }
    Dispatch d = em.dispatch(l, m, [&](int64_t t, int32_t e, int64_t) {
      return shadow[e] && llvm::is_contained(targets, em.home[t])
                 ? em.home[t]
                 : owner(e);
    });
    em.beginStage();
    std::vector<TaskId> done(n, kNoTask);
    for (unsigned dev = 0; dev < n; ++dev) {
      if (d.expertTokens[dev].empty())
        continue;
      std::vector<TaskId> computes;
      for (auto &[e, tokens] : d.expertTokens[dev]) {
        em.graph.setLabel(layerLabel(l.index, " expert " + std::to_string(e)));
        std::vector<TaskId> deps = d.arrived[dev];
        auto it = arrived.find({e, dev});
        if (it != arrived.end()) {
          deps.push_back(it->second);
          int64_t resident = em.graph[it->second].allocBytes;
          computes.push_back(em.expertCompute(
              l, dev, e, tokens, 1.0, resident ? 0 : l.expertBytes(), deps,
              resident));
          continue;
        }
        if (em.buffersWhole(dev, l.expertBytes()) && computes.size() >= 2)
          deps.push_back(computes[computes.size() - 2]);
        computes.push_back(
            em.expertCompute(l, dev, e, tokens, 1.0, l.expertBytes(), deps));
      }
      Task barrier;
      done[dev] = em.add(barrier, computes);
    }
    em.combine(l, d, done);
  }

  int64_t shadowed = 0, decisions = 0;
};

} // namespace

void moesaic::registerBaselineRuntimes() {
  registerRuntime("ep", [] { return std::make_unique<ExpertParallelRuntime>(); });
  registerRuntime("eplb", [] { return std::make_unique<EplbRuntime>(); });
  registerRuntime("eplb-rebalance",
                  [] { return std::make_unique<EplbRuntime>(); });
  registerRuntime("tp", [] { return std::make_unique<TensorParallelRuntime>(); });
  registerRuntime("fastermoe",
                  [] { return std::make_unique<FasterMoeRuntime>(); });
}
