//===- Baselines.cpp - Runtimes of ep, tp, eplb and fastermoe -------------===//

#include "moesaic/Strategies/Baselines.h"
#include "moesaic/Strategies/Emit.h"
#include "moesaic/Strategies/EplbPlacement.h"
#include "moesaic/Support/JsonIntegers.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <utility>

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
    sys = &system;
    mdl = &model;
    return llvm::Error::success();
  }

  std::vector<int64_t> vramBytes() const override {
    if (!sys || !llvm::any_of(sys->devices, [](const Device &d) {
          return d.kind == DeviceKind::Gpu;
        }))
      return {};
    std::vector<int64_t> kv =
        kvBytesPerDevice(tables, *sys, *mdl, maxBatch, context);
    std::vector<int64_t> bytes(sys->numDevices(), 0);
    for (unsigned d = 0; d < sys->numDevices(); ++d)
      if (sys->devices[d].kind == DeviceKind::Gpu)
        bytes[d] = (d < peakWeights.size() ? peakWeights[d] : 0) + kv[d];
    return bytes;
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
    // What VRAM holds at its fullest (vramBytes): the weights of every
    // placement so far (eplb-rebalance moves them), the largest batch's KV.
    maxBatch = std::max(maxBatch, ctx.trace.batch);
    context = ctx.context;
    peakWeights.resize(weights.size(), 0);
    for (size_t d = 0; d < weights.size(); ++d)
      peakWeights[d] = std::max(peakWeights[d], weights[d]);
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
    lastAnalytic.set(ctx, emitter.analyticUs());
    return end;
  }

  double analyticStepUs(const StepContext &ctx) override {
    if (const double *us = lastAnalytic.find(ctx))
      return *us;
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

  bool decideLayer(const StepContext &ctx, size_t m) override {
    if (m >= ctx.model.moeLayers.size())
      return false;
    const MoeLayerDesc &l = ctx.model.moeLayers[m];
    const LayerSchedule *layer = tables.layer(l.index);
    return layer && decide(ctx, l, m, *layer);
  }

protected:
  StepAnalyticCache lastAnalytic;

  virtual llvm::Error check(const ModelDesc &model) = 0;
  /// Work before the step's layers (e.g. weight migrations).
  virtual void prologue(StepEmitter &em) {}
  virtual void moe(StepEmitter &em, const MoeLayerDesc &l, size_t m,
                   const LayerSchedule &layer) = 0;
  /// The layer's per-batch decision alone (decideLayer); false: none
  /// separable from the emission.
  virtual bool decide(const StepContext &ctx, const MoeLayerDesc &l,
                      size_t m, const LayerSchedule &layer) {
    return false;
  }
  /// Scratch of decide() (kept across calls: no allocation per decision).
  std::vector<unsigned> decisionHome;
  DispatchPlan decision;

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
  const SystemModel *sys = nullptr;
  const ModelDesc *mdl = nullptr;
  int64_t maxBatch = 0, context = 0;
  std::vector<int64_t> peakWeights;
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
    chooser.plan(em.ctx, m, l, layer, resident);
    Dispatch d = em.dispatch(l, m, [&](int64_t t, int32_t e, int64_t) {
      return chooser.choose(layer.expertPlacement[e], em.home[t], e);
    });
    std::vector<TaskId> done = em.experts(l, d, 1.0, l.expertBytes());
    em.combine(l, d, done);
  }

  /// The decision: which replica computes each (token, expert) pair, and
  /// the dispatch plan that follows (tokens per device and expert, tokens
  /// per (source, destination) pair).
  bool decide(const StepContext &ctx, const MoeLayerDesc &l, size_t m,
              const LayerSchedule &layer) override {
    tokenHomes(ctx, decisionHome);
    chooser.plan(ctx, m, l, layer, resident);
    planDispatch(ctx.trace, ctx.step, m, l, decisionHome,
                 ctx.system.numDevices(),
                 [&](int64_t t, int32_t e, int64_t) {
                   return chooser.choose(layer.expertPlacement[e],
                                         decisionHome[t], e);
                 },
                 decision);
    return true;
  }

  /// Which replica of an expert serves a (token, expert) pair. EPLB decides
  /// where replicas live and leaves this to the serving system; ours plans
  /// each layer before dispatching, longest processing time first: the
  /// active experts, most tokens first, each go to the replicas that finish
  /// them first given the devices' expert work so far (an expert's weights
  /// streamed from a device's DRAM unless kept on chip, plus its tokens'
  /// FLOPs), on the one best replica or split evenly over the k best when
  /// that finishes earlier (only when its tokens' FLOPs outweigh another
  /// read of its weights). At decode an expert's tokens thus share one
  /// weight read and hot experts spread over devices; at large batches the
  /// FLOPs split them. A token then takes a replica with quota left, its
  /// own device's first (no transfer). Ties go to an order of the replicas
  /// rotated by the expert. (Round-robin over replicas
  /// put a batch-1 token's hot experts on one chiplet, one after the other;
  /// a greedy choice per token split an expert's few tokens over replicas
  /// that each read its weights.)
  struct ReplicaChooser {
    struct LayerCosts {
      std::vector<double> weightUs, tokenUs;
      std::vector<bool> resident;
      bool valid = false;
    };
    std::vector<LayerCosts> costs; // per MoE layer
    std::vector<size_t> bucket;    // scratch of the counting sort
    std::vector<double> load;
    std::vector<int32_t> count;           // tokens per expert this layer
    std::vector<uint32_t> active;         // experts with tokens, LPT order
    std::vector<uint32_t> seen;           // the same, by id
    std::vector<uint64_t> marks;          // experts with tokens, a bit each
    std::vector<std::pair<uint32_t, uint32_t>> quotaRange; // [expert]
    std::vector<std::pair<unsigned, int32_t>> quotas; // (device, tokens)
    std::vector<std::pair<double, unsigned>> order;   // scratch
    unsigned n = 0;
    bool single = false;

    void plan(const StepContext &ctx, size_t m, const MoeLayerDesc &l,
              const LayerSchedule &layer, const std::vector<bool> &resident) {
      // One replica per expert (ep, fastermoe, an eplb layer without
      // redundancy): nothing to choose.
      single = llvm::all_of(layer.expertPlacement,
                            [](const std::vector<unsigned> &r) {
                              return r.size() == 1;
                            });
      if (single)
        return;
      const SystemModel &system = ctx.system;
      n = system.numDevices();
      // Per layer, the cost of an expert's weights and of a token on each
      // device (kept until the residency changes: eplb-rebalance).
      if (costs.size() <= m)
        costs.resize(m + 1);
      LayerCosts &lc = costs[m];
      if (!lc.valid || lc.resident != resident) {
        lc.weightUs.assign(n, 0.0);
        lc.tokenUs.assign(n, 0.0);
        for (unsigned d = 0; d < n; ++d) {
          const Device &dev = system.devices[d];
          double peak = dev.peakFor(l.actType);
          lc.tokenUs[d] =
              peak > 0 ? flopsToUs(l.expertFlopsPerToken(), peak) : 0;
          bool onChip = d < resident.size() && resident[d];
          lc.weightUs[d] = onChip || dev.offchipGBps <= 0
                               ? 0
                               : bytesToUs(l.expertBytes(), dev.offchipGBps);
        }
        lc.resident = resident;
        lc.valid = true;
      }
      const std::vector<double> &weightUs = lc.weightUs, &tokenUs = lc.tokenUs;
      load.assign(n, 0.0);
      // `count` is all zero between calls (reset below for the experts
      // seen), so a layer costs its pairs, not its experts.
      if (count.size() < (size_t)l.numExperts) {
        count.assign(l.numExperts, 0);
        quotaRange.assign(l.numExperts, {0, 0});
        marks.assign((l.numExperts + 63) / 64, 0);
      }
      int64_t k = ctx.trace.topK[m], most = 0;
      for (int64_t t = 0; t < ctx.trace.batch; ++t) {
        const int32_t *chosen = ctx.trace.experts(ctx.step, m, t);
        for (int64_t j = 0; j < k; ++j) {
          int32_t e = chosen[j];
          if (e < 0 || e >= l.numExperts)
            continue;
          marks[e / 64] |= uint64_t(1) << (e % 64);
          most = std::max<int64_t>(most, ++count[e]);
        }
      }
      // Active experts, most tokens first, then by id: a counting sort
      // (counts are at most the batch) of the experts in id order.
      seen.clear();
      for (size_t w = 0; w < marks.size(); ++w) {
        for (uint64_t bits = marks[w]; bits; bits &= bits - 1)
          seen.push_back(w * 64 + __builtin_ctzll(bits));
        marks[w] = 0;
      }
      bucket.assign(most + 2, 0);
      for (uint32_t e : seen)
        ++bucket[count[e]];
      size_t pos = 0;
      for (int64_t c = most; c >= 1; --c) {
        size_t here = bucket[c];
        bucket[c] = pos;
        pos += here;
      }
      active.resize(pos);
      for (uint32_t e : seen)
        active[bucket[count[e]]++] = e;
      // Each active expert's quotas are contiguous in `quotas`.
      quotas.clear();
      for (size_t a = 0; a < active.size(); ++a) {
        uint32_t e = active[a];
        const std::vector<unsigned> &r = layer.expertPlacement[e];
        int32_t c = count[e];
        if (r.size() == 1) {
          unsigned d = r[0];
          load[d] += weightUs[d] + c * tokenUs[d];
          quotaRange[e] = {(uint32_t)quotas.size(),
                           (uint32_t)quotas.size() + 1};
          quotas.push_back({d, c});
          continue;
        }
        // Replicas by the time they would finish the whole expert.
        order.clear();
        for (size_t i = 0; i < r.size(); ++i) {
          unsigned d = r[(i + e) % r.size()];
          order.push_back({load[d] + weightUs[d] + c * tokenUs[d], i});
        }
        // Ties in the rotated order (the second member), then the device.
        std::sort(order.begin(), order.end());
        for (auto &o : order)
          o.second = r[(o.second + e) % r.size()];
        // The k best replicas, c / k tokens each: the k finishing first.
        size_t bestK = 1;
        double bestEnd = order[0].first;
        // Splitting adds a read of the weights per replica: only worth it
        // when the tokens' FLOPs outweigh one.
        unsigned first = order[0].second;
        bool computeBound = c * tokenUs[first] > weightUs[first];
        for (size_t kk = 2; computeBound && kk <= order.size() &&
                            (int32_t)kk <= c;
             ++kk) {
          int32_t share = (c + (int32_t)kk - 1) / (int32_t)kk;
          double end = 0;
          for (size_t i = 0; i < kk; ++i) {
            unsigned d = order[i].second;
            end = std::max(end, load[d] + weightUs[d] + share * tokenUs[d]);
          }
          if (end < bestEnd * (1 - 1e-9)) {
            bestEnd = end;
            bestK = kk;
          }
        }
        int32_t left = c;
        quotaRange[e].first = quotas.size();
        for (size_t i = 0; i < bestK; ++i) {
          unsigned d = order[i].second;
          int32_t share = (left + (int32_t)(bestK - i) - 1) /
                          (int32_t)(bestK - i);
          left -= share;
          load[d] += weightUs[d] + share * tokenUs[d];
          quotas.push_back({d, share});
        }
        quotaRange[e].second = quotas.size();
      }
      for (uint32_t e : seen)
        count[e] = 0;
    }

    unsigned choose(const std::vector<unsigned> &r, unsigned home, int32_t e) {
      if (single || r.size() == 1)
        return r[0];
      auto [b, end] = quotaRange[e];
      uint32_t pick = end;
      for (uint32_t i = b; i < end; ++i)
        if (quotas[i].second > 0 && (pick == end || quotas[i].first == home))
          pick = i;
      if (pick == end) // more tokens than planned: cannot happen
        return r[0];
      --quotas[pick].second;
      return quotas[pick].first;
    }
  };
  ReplicaChooser chooser;
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
        every = std::max<int64_t>(
            every, jsonInteger(*o, "rebalance_every").value_or(0));
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
      // Packs go where most of their replicas already are (only the rest
      // moves; pack p went to device p, which moved about 90 %).
      std::vector<int64_t> slotOf(sys.numDevices(), -1);
      for (int64_t q = 0; q < n; ++q)
        slotOf[accel[q]] = q;
      std::vector<std::vector<int64_t>> current(l.numExperts);
      for (int64_t e = 0; e < l.numExperts; ++e)
        for (unsigned d : layer.expertPlacement[e])
          if (slotOf[d] >= 0)
            current[e].push_back(slotOf[d]);
      std::vector<int64_t> packAt = eplbMatchPacks(placed, current, n);
      for (int64_t e = 0; e < l.numExperts; ++e) {
        std::vector<unsigned> next;
        for (int64_t p : placed[e])
          next.push_back(accel[packAt[p]]);
        llvm::sort(next);
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
      // Weights go from the source's DRAM to the destination's.
      Task copy = em.transferTask(mv.src, mv.dst, mv.bytes);
      copy.memoryCopy = true;
      moved.push_back(em.add(copy, {em.ready[mv.src]}));
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

  /// tp's only per-batch decision: which experts are active, with how
  /// many tokens (every device computes its slice of each).
  bool decide(const StepContext &ctx, const MoeLayerDesc &, size_t m,
              const LayerSchedule &) override {
    decisionLoad = ctx.trace.expertLoad(ctx.step, m);
    return true;
  }
  std::vector<int32_t> decisionLoad;

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


  /// One layer's shadowing decision from the step's gating. Kept across
  /// decisions (sized once, no allocation per decision after the first).
  struct ShadowPlan {
    /// [expert * devices + device]: tokens of the expert whose home is the
    /// device.
    std::vector<int64_t> local;
    unsigned devices = 0;
    int64_t at(int64_t e, unsigned h) const {
      return local[(size_t)e * devices + h];
    }
    std::vector<bool> shadow;
    std::vector<unsigned> targets;
    int64_t count = 0;
    // Scratch of planShadows.
    std::vector<int64_t> load, order;
    /// The (expert, home) entries the batch touches, ascending, as
    /// expert * devices + home and as the home alone.
    std::vector<uint32_t> touched, touchedHome;
    /// Per expert with tokens in `order` (ascending before the greedy's
    /// sort), where its entries end in `touched`.
    std::vector<uint32_t> touchedEnd;
    /// Bits of the touched homes per expert (ceil(devices / 64) words
    /// each) and of the experts with tokens: all zero between decisions.
    std::vector<uint64_t> homeBits, expertBits;
    /// Per device: injection bandwidth and peak for `peakDtype`, looked up
    /// for `peakSystem` (the peak is a map lookup by dtype name).
    std::vector<double> injection, peak;
    const SystemModel *peakSystem = nullptr;
    std::string peakDtype;
    /// Per device: the read time of `weightsBytes` of expert weights on
    /// `peakSystem` (layers share the plan; their experts may differ).
    std::vector<double> weightsUs;
    double weightsBytes = -1;
    LayerModel model, next;
  };

  /// The "shadowing" entry of a layer resolved against the system (once).
  const Shadowing &shadowingOf(const SystemModel &sys,
                               const LayerSchedule &layer,
                               const std::vector<unsigned> &accel) const {
    auto it = shadowings.find(layer.index);
    if (it != shadowings.end())
      return it->second;
    const llvm::json::Object *s = layer.entry.getObject("shadowing");
    Shadowing sh;
    sh.maxShadows = jsonInteger(*s, "max_shadows").value_or(0);
    auto shadowDevs = parseDevices(s->get("devices"), sys, "shadowing");
    sh.devices = shadowDevs ? *shadowDevs : accel;
    if (!shadowDevs)
      llvm::consumeError(shadowDevs.takeError());
    return shadowings.emplace(layer.index, std::move(sh)).first->second;
  }
  mutable std::map<int64_t, Shadowing> shadowings;

  /// FasterMoE's decision: which experts to shadow (greedy on the roofline
  /// model, most loaded first, while the modelled latency improves).
  /// Speed (docs/performance.md): per-device peak and injection bandwidth
  /// are looked up once per decision, not per expert (same values).
  void planShadows(const SystemModel &sys, const GatingTrace &trace,
                   int64_t step, const MoeLayerDesc &l, size_t m,
                   const LayerSchedule &layer,
                   const std::vector<unsigned> &home,
                   const std::vector<unsigned> &accel,
                   ShadowPlan &plan) const {
    const Shadowing &sh = shadowingOf(sys, layer, accel);
    int64_t maxShadows = sh.maxShadows;
    plan.targets = sh.devices;
    const std::vector<unsigned> &targets = plan.targets;

    // Per expert and home device: tokens (from the actual gating).
    // Speed (docs/performance.md): only the (expert, device) entries the
    // batch touches are visited (at most batch x top-k of E x n), in the
    // same ascending order as a dense scan, so every sum is the same.
    unsigned n = sys.numDevices();
    int64_t E = l.numExperts;
    std::vector<int64_t> &local = plan.local;
    std::vector<int64_t> &load = plan.load;
    if (plan.devices != n || (int64_t)load.size() != E) {
      plan.devices = n;
      local.assign((size_t)E * n, 0);
      load.assign(E, 0);
    } else {
      for (uint32_t i : plan.touched)
        local[i] = 0;
      for (int64_t e : plan.order)
        load[e] = 0;
    }
    // Speed (docs/performance.md): the touched entries come out ascending
    // from bit masks (experts with tokens; per expert, its homes) instead
    // of being sorted, and with their expert and home (no division).
    const unsigned W = (n + 63) / 64;
    std::vector<uint64_t> &homeBits = plan.homeBits;
    std::vector<uint64_t> &expertBits = plan.expertBits;
    homeBits.resize((size_t)E * W);
    expertBits.resize((E + 63) / 64);
    for (int64_t t = 0; t < (int64_t)home.size(); ++t) {
      const int32_t *chosen = trace.experts(step, m, t);
      unsigned h = home[t];
      for (int64_t j = 0; j < l.topK; ++j) {
        uint32_t e = (uint32_t)chosen[j];
        if (local[(size_t)e * n + h]++ == 0) {
          homeBits[(size_t)e * W + h / 64] |= uint64_t(1) << (h % 64);
          expertBits[e / 64] |= uint64_t(1) << (e % 64);
        }
        ++load[e];
      }
    }
    std::vector<uint32_t> &touched = plan.touched;
    std::vector<uint32_t> &touchedHome = plan.touchedHome;
    std::vector<uint32_t> &touchedEnd = plan.touchedEnd;
    // Experts with tokens, ascending (an idle expert adds 0 everywhere).
    std::vector<int64_t> &order = plan.order;
    touched.clear();
    touchedHome.clear();
    touchedEnd.clear();
    order.clear();
    for (size_t w = 0; w < expertBits.size(); ++w)
      for (uint64_t me = std::exchange(expertBits[w], 0); me; me &= me - 1) {
        uint32_t e = (uint32_t)(w * 64 + __builtin_ctzll(me));
        order.push_back(e);
        for (unsigned hw = 0; hw < W; ++hw)
          for (uint64_t mh = std::exchange(homeBits[(size_t)e * W + hw], 0);
               mh; mh &= mh - 1) {
            uint32_t h = hw * 64 + __builtin_ctzll(mh);
            touched.push_back(e * n + h);
            touchedHome.push_back(h);
          }
        touchedEnd.push_back(touched.size());
      }
    auto owner = [&](int64_t e) { return layer.expertPlacement[e][0]; };
    std::vector<double> &injection = plan.injection, &peak = plan.peak;
    // Speed (docs/performance.md): once per system and dtype, not per
    // decision (16 string-keyed lookups cost about 0.8 us a decision).
    if (plan.peakSystem != &sys || plan.peakDtype != l.actType ||
        peak.size() != n) {
      injection.resize(n);
      peak.resize(n);
      for (unsigned d = 0; d < n; ++d) {
        injection[d] = injectionGBps(sys, d);
        peak[d] = sys.devices[d].peakFor(l.actType);
      }
      plan.peakSystem = &sys;
      plan.peakDtype = l.actType;
      plan.weightsBytes = -1;
    }
    double flopsPerToken = l.expertFlopsPerToken();
    double expertBytes = l.expertBytes();
    // The weights' read time per device, once per system and expert size.
    std::vector<double> &weightsUs = plan.weightsUs;
    if (plan.weightsBytes != expertBytes || weightsUs.size() != n) {
      weightsUs.resize(n);
      for (unsigned d = 0; d < n; ++d)
        weightsUs[d] = bytesToUs(expertBytes, sys.devices[d].offchipGBps);
      plan.weightsBytes = expertBytes;
    }
    auto expertUs = [&](unsigned d, int64_t tokens) {
      if (tokens == 0)
        return 0.0;
      return std::max(flopsToUs(flopsPerToken * tokens, peak[d]),
                      weightsUs[d]);
    };

    // The model without shadows.
    LayerModel &model = plan.model;
    model.computeUs.assign(n, 0);
    model.a2aUs.assign(n, 0);
    model.bcastUs.assign(n, 0);
    double tokenBytes = l.tokenBytes();
    size_t k = 0;
    for (size_t x = 0; x < order.size(); ++x) {
      int64_t e = order[x];
      unsigned o = owner(e);
      model.computeUs[o] += expertUs(o, load[e]);
      for (; k < touchedEnd[x]; ++k) {
        unsigned h = touchedHome[k];
        if (h != o) {
          double b = plan.at(e, h) * tokenBytes;
          model.a2aUs[h] += bytesToUs(b, injection[h]);
          model.a2aUs[o] += bytesToUs(b, injection[o]);
        }
      }
    }
    // Greedy: shadow the most loaded experts while the model improves
    // (ties in ascending expert order; idle experts end the loop).
    // Speed (docs/performance.md): the candidates are visited load level by
    // level, scanning the ascending `order` for each, instead of sorting
    // them all first: the same sequence, and the greedy usually stops after
    // the first few (the sort's counters were a store-to-load chain).
    int64_t maxLoad = 0;
    for (int64_t e : order)
      maxLoad = std::max(maxLoad, load[e]);
    std::vector<bool> &shadow = plan.shadow;
    shadow.assign(E, false);
    double best = model.total();
    int64_t count = 0;
    LayerModel &next = plan.next;
    // The next candidate (-1: none): the next expert of the current load
    // in ascending order, else the first of the next lower load present
    // (found by a scan, so empty load levels cost nothing).
    size_t at = 0;
    int64_t level = maxLoad;
    auto nextCandidate = [&]() -> int64_t {
      while (level >= 1) {
        for (; at < order.size(); ++at)
          if (load[order[at]] == level)
            return order[at++];
        int64_t lower = 0;
        for (int64_t x : order)
          if (load[x] < level)
            lower = std::max(lower, load[x]);
        level = lower;
        at = 0;
      }
      return -1;
    };
    for (int64_t e = nextCandidate(); e >= 0; e = nextCandidate()) {
      if (count >= maxShadows)
        break;
      next = model;
      unsigned o = owner(e);
      next.computeUs[o] -= expertUs(o, load[e]);
      for (unsigned h : targets)
        next.computeUs[h] += expertUs(h, plan.at(e, h));
      for (unsigned h = 0; h < n; ++h)
        if (h != o && plan.at(e, h)) {
          double b = plan.at(e, h) * tokenBytes;
          next.a2aUs[h] -= bytesToUs(b, injection[h]);
          next.a2aUs[o] -= bytesToUs(b, injection[o]);
        }
      next.bcastUs[o] +=
          bytesToUs(expertBytes * (targets.size() - 1), injection[o]);
      double t = next.total();
      if (!(t < best))
        break;
      best = t;
      std::swap(model, next);
      shadow[e] = true;
      ++count;
    }
    plan.count = count;
  }

  /// Where each (token, expert) pair is computed once shadows are chosen.
  static unsigned computedOn(const ShadowPlan &plan,
                             const LayerSchedule &layer, unsigned home,
                             int32_t e) {
    return plan.shadow[e] && llvm::is_contained(plan.targets, home)
               ? home
               : layer.expertPlacement[e][0];
  }

  /// The decision alone: the shadows, then the dispatch plan.
  bool decide(const StepContext &ctx, const MoeLayerDesc &l, size_t m,
              const LayerSchedule &layer) override {
    tokenHomes(ctx, decisionHome);
    planShadows(ctx.system, ctx.trace, ctx.step, l, m, layer, decisionHome,
                ctx.system.acceleratorDevices(), decisionPlan);
    planDispatch(ctx.trace, ctx.step, m, l, decisionHome,
                 ctx.system.numDevices(),
                 [&](int64_t t, int32_t e, int64_t) {
                   return computedOn(decisionPlan, layer, decisionHome[t], e);
                 },
                 decision);
    return true;
  }
  ShadowPlan decisionPlan, emitPlan;

  void moe(StepEmitter &em, const MoeLayerDesc &l, size_t m,
           const LayerSchedule &layer) override {
    const SystemModel &sys = em.system;
    em.router(l);
    shared(em, l, layer);

    ShadowPlan &plan = emitPlan;
    planShadows(sys, em.ctx.trace, em.ctx.step, l, m, layer, em.home,
                em.accel, plan);
    const std::vector<unsigned> &targets = plan.targets;
    const std::vector<bool> &shadow = plan.shadow;
    unsigned n = sys.numDevices();
    int64_t E = l.numExperts;
    auto owner = [&](int64_t e) { return layer.expertPlacement[e][0]; };
    shadowed += plan.count;
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
        // Read from the owner's DRAM; a worker without an on-chip copy
        // writes it into its own DRAM, from which its compute streams it.
        // (A worker with an on-chip copy is a plain transfer: the owner's
        // read for it is not charged.)
        if (plan.at(e, h) > 0 && em.buffersWhole(h, l.expertBytes()))
          t.allocBytes = l.expertBytes();
        else
          t.memoryCopy = true;
        TaskId at = em.add(t, {em.ready[o]});
        arrived[{e, h}] = at;
        // The broadcast is a collective: a worker without tokens for the
        // expert still receives it, and its next step waits for the copy
        // (nothing else would: the transfer would be a sink, and a step
        // with sinks never starts a simulator window, so every earlier
        // task stayed held: memory grew with steps).
        if (plan.at(e, h) == 0)
          em.side[h].push_back(at);
      }
    }
    Dispatch d = em.dispatch(l, m, [&](int64_t t, int32_t e, int64_t) {
      return computedOn(plan, layer, em.home[t], e);
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
