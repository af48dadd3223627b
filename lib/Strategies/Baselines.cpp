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
      return chooser.choose(em.home[t], e);
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
                   return chooser.choose(decisionHome[t], e);
                 },
                 decision);
    return true;
  }

  /// Which replica of an expert serves a (token, expert) pair. EPLB decides
  /// where replicas live and leaves this to the serving system; ours plans
  /// each layer before dispatching. The active experts with one replica
  /// have no choice: their work (an expert's weights streamed from a
  /// device's DRAM unless kept on chip, plus its tokens' FLOPs) is added to
  /// their devices first. Then, longest processing time first, the active
  /// experts with several replicas, most tokens first, each go to the
  /// replicas that finish them first given that work, on the one best
  /// replica or split evenly over the k best when that finishes earlier
  /// (only when its tokens' FLOPs outweigh another read of its weights).
  /// At decode an expert's tokens thus share one weight read and hot
  /// experts spread over devices; at large batches the FLOPs split them. A
  /// token then takes a replica with quota left, its own device's first (no
  /// transfer). Ties go to an order of the replicas rotated by the expert.
  /// (Round-robin over replicas put a batch-1 token's hot experts on one
  /// chiplet, one after the other; a greedy choice per token split an
  /// expert's few tokens over replicas that each read its weights.)
  struct ReplicaChooser {
    struct LayerCosts {
      std::vector<double> weightUs, tokenUs;
      std::vector<bool> resident;
      /// [expert]: its first replica's device (its only one unless
      /// `multi`).
      std::vector<uint32_t> device;
      /// [expert]: whether it has several replicas.
      std::vector<uint8_t> multi;
      /// The replicas of the experts with several, each expert's rotated
      /// by its id (the order ties go to), from rotatedBegin[e] to
      /// rotatedBegin[e + 1].
      std::vector<unsigned> rotated;
      std::vector<uint32_t> rotatedBegin;
      bool anyMulti = false;
      bool valid = false;
    };
    std::vector<LayerCosts> costs; // per MoE layer
    std::vector<double> load;
    std::vector<int32_t> count;  // tokens per expert this layer
    std::vector<uint32_t> multi; // those with several replicas, LPT order
    /// Per device: active experts with one replica there (high 32 bits)
    /// and their tokens (low 32 bits; at most 2^28 pairs a step).
    std::vector<uint64_t> fixedWork;
    std::vector<std::pair<uint32_t, uint32_t>> quotaRange; // [expert]
    std::vector<std::pair<unsigned, int32_t>> quotas; // (device, tokens)
    std::vector<std::pair<double, unsigned>> order;   // scratch
    unsigned n = 0;
    /// The tables of the layer last planned (choose() reads them).
    const LayerCosts *current = nullptr;
    bool single = false;

    /// The placement changed (eplb-rebalance): rebuild the per-layer
    /// tables at the next plan.
    void forget() {
      for (LayerCosts &lc : costs)
        lc.valid = false;
    }

    void plan(const StepContext &ctx, size_t m, const MoeLayerDesc &l,
              const LayerSchedule &layer, const std::vector<bool> &resident) {
      const SystemModel &system = ctx.system;
      n = system.numDevices();
      // Per layer, the cost of an expert's weights and of a token on each
      // device and which experts have a choice (kept until the residency or
      // the placement changes: eplb-rebalance).
      if (costs.size() <= m)
        costs.resize(m + 1);
      LayerCosts &lc = costs[m];
      if (!lc.valid || lc.resident != resident ||
          lc.multi.size() != layer.expertPlacement.size()) {
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
        size_t E = layer.expertPlacement.size();
        lc.device.assign(E, 0);
        lc.multi.assign(E, 0);
        lc.anyMulti = false;
        lc.rotated.clear();
        lc.rotatedBegin.assign(E + 1, 0);
        for (size_t e = 0; e < E; ++e) {
          const std::vector<unsigned> &r = layer.expertPlacement[e];
          lc.device[e] = r[0];
          lc.multi[e] = r.size() > 1;
          lc.anyMulti |= r.size() > 1;
          lc.rotatedBegin[e] = lc.rotated.size();
          if (r.size() > 1)
            for (size_t i = 0; i < r.size(); ++i)
              lc.rotated.push_back(r[(i + e) % r.size()]);
        }
        lc.rotatedBegin[E] = lc.rotated.size();
        lc.resident = resident;
        lc.valid = true;
      }
      current = &lc;
      // One replica per expert (ep, fastermoe, an eplb layer without
      // redundancy): nothing to choose.
      single = !lc.anyMulti;
      if (single)
        return;
      const std::vector<double> &weightUs = lc.weightUs, &tokenUs = lc.tokenUs;
      load.assign(n, 0.0);
      // `count` is all zero between calls (cleared at the end: one memset
      // of a few hundred bytes costs less than a store per pair).
      if (count.size() < (size_t)l.numExperts) {
        count.assign(l.numExperts, 0);
        quotaRange.assign(l.numExperts, {0, 0});
      }
      // One pass over the pairs: tokens per expert, the experts with a
      // choice, and per device the experts without one and their tokens,
      // whose work is fixed and goes first. Speed (docs/performance.md):
      // a device's two counts share one word (tokens in the low half,
      // experts in the high half: one add per pair), no per-expert pass,
      // and nothing but stores waits for a count's load.
      int64_t k = ctx.trace.topK[m];
      fixedWork.assign(n, 0);
      multi.clear();
      const uint8_t *isMulti = lc.multi.data();
      const uint32_t *deviceOf = lc.device.data();
      int32_t *tokens = count.data();
      uint64_t *work = fixedWork.data();
      for (int64_t t = 0; t < ctx.trace.batch; ++t) {
        const int32_t *chosen = ctx.trace.experts(ctx.step, m, t);
        for (int64_t j = 0; j < k; ++j) {
          int32_t e = chosen[j];
          if (e < 0 || e >= l.numExperts)
            continue;
          uint64_t first = tokens[e]++ == 0;
          uint64_t fixed = isMulti[e] ^ 1u;
          work[deviceOf[e]] += fixed | (fixed & first) << 32;
          if (first && !fixed)
            multi.push_back(e);
        }
      }
      for (unsigned d = 0; d < n; ++d)
        load[d] = (fixedWork[d] >> 32) * weightUs[d] +
                  (uint32_t)fixedWork[d] * tokenUs[d];
      // Most tokens first, then by id.
      std::sort(multi.begin(), multi.end(), [&](uint32_t a, uint32_t b) {
        return count[a] != count[b] ? count[a] > count[b] : a < b;
      });
      // Each such expert's quotas are contiguous in `quotas` (sized for
      // every replica: written by index, not pushed).
      quotas.resize(lc.rotated.size());
      uint32_t q = 0;
      for (uint32_t e : multi) {
        const unsigned *rot = lc.rotated.data() + lc.rotatedBegin[e];
        size_t R = lc.rotatedBegin[e + 1] - lc.rotatedBegin[e];
        int32_t c = count[e];
        quotaRange[e].first = q;
        // The replica that would finish the whole expert first (ties: the
        // rotated order).
        size_t best = 0;
        double bestEnd = 0;
        for (size_t i = 0; i < R; ++i) {
          unsigned d = rot[i];
          double end = load[d] + weightUs[d] + c * tokenUs[d];
          if (i == 0 || end < bestEnd) {
            bestEnd = end;
            best = i;
          }
        }
        unsigned first = rot[best];
        // Splitting adds a read of the weights per replica: only worth it
        // when the tokens' FLOPs outweigh one.
        bool computeBound = c * tokenUs[first] > weightUs[first];
        if (!computeBound || c < 2) {
          load[first] += weightUs[first] + c * tokenUs[first];
          quotas[q++] = {first, c};
          quotaRange[e].second = q;
          continue;
        }
        // Replicas by the time they would finish the whole expert, ties in
        // the rotated order (the second member).
        order.clear();
        for (size_t i = 0; i < R; ++i) {
          unsigned d = rot[i];
          order.push_back({load[d] + weightUs[d] + c * tokenUs[d], i});
        }
        std::sort(order.begin(), order.end());
        for (auto &o : order)
          o.second = rot[o.second];
        // The k best replicas, c / k tokens each: the k finishing first.
        size_t bestK = 1;
        for (size_t kk = 2; kk <= order.size() && (int32_t)kk <= c; ++kk) {
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
        for (size_t i = 0; i < bestK; ++i) {
          unsigned d = order[i].second;
          int32_t share = (left + (int32_t)(bestK - i) - 1) /
                          (int32_t)(bestK - i);
          left -= share;
          load[d] += weightUs[d] + share * tokenUs[d];
          quotas[q++] = {d, share};
        }
        quotaRange[e].second = q;
      }
      std::fill_n(count.begin(), l.numExperts, 0);
    }

    /// The device of a (token, expert) pair of the layer last planned.
    /// Speed (docs/performance.md): from the flat per-layer tables, not the
    /// placement's vector per expert (a heap block each).
    unsigned choose(unsigned home, int32_t e) {
      unsigned first = current->device[e];
      if (single || !current->multi[e])
        return first;
      auto [b, end] = quotaRange[e];
      uint32_t pick = end;
      for (uint32_t i = b; i < end; ++i)
        if (quotas[i].second > 0 && (pick == end || quotas[i].first == home))
          pick = i;
      if (pick == end) // more tokens than planned: cannot happen
        return first;
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
    int64_t layer, expert;
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
          moves.push_back({l.index, e, src, d, l.expertBytes()});
          migratedBytes += l.expertBytes();
        }
        layer.expertPlacement[e] = std::move(next);
      }
    }
    ++rebalances;
    moveStep = ctx.step;
    chooser.forget();
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
      em.graph.setLabel(
          llvm::formatv("L{0} EPLB move expert {1}", mv.layer, mv.expert)
              .str());
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
    /// [device]: whether it is among `devices` (receives shadows).
    std::vector<uint8_t> isTarget;
    /// [expert]: its owner (the one replica of its placement).
    std::vector<uint32_t> owner;
    /// Per device: injection bandwidth, the FLOP time of one token of an
    /// expert, the all-to-all time of one token, the read time of an
    /// expert's weights (the layer's shapes on the runtime's system).
    std::vector<double> injection, flopsUs, usPerToken, weightsUs;
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
  /// time, all-to-all tokens (sent or received) and broadcast time.
  struct LayerModel {
    std::vector<double> computeUs, bcastUs;
    std::vector<int64_t> a2aTokens;
    /// `usPerToken[d]`: the all-to-all time of one token at device d.
    double total(const std::vector<double> &usPerToken) const {
      double c = 0, a = 0, b = 0;
      for (double v : computeUs)
        c = std::max(c, v);
      for (size_t d = 0; d < a2aTokens.size(); ++d)
        a = std::max(a, a2aTokens[d] * usPerToken[d]);
      for (double v : bcastUs)
        b = std::max(b, v);
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
    /// device (all zero for the experts without tokens).
    std::vector<int32_t> local;
    unsigned devices = 0;
    int64_t at(int64_t e, unsigned h) const {
      return local[(size_t)e * devices + h];
    }
    std::vector<bool> shadow;
    /// The layer's shadow targets (Shadowing of the layer planned last).
    const Shadowing *shadowing = nullptr;
    int64_t count = 0;
    // Scratch of planShadows.
    /// [expert]: its tokens (0 for the experts not in `order`).
    std::vector<int64_t> load;
    /// The experts with tokens, ascending.
    std::vector<int64_t> order;
    /// The entries of `local` the gating touched, one per (token, choice).
    std::vector<uint32_t> touched;
    /// Bits of the experts with tokens: all zero between decisions.
    std::vector<uint64_t> expertBits;
    LayerModel model, next;
  };

  /// The "shadowing" entry of a layer resolved against the system, with
  /// the per-device constants of its roofline model (once per layer).
  /// Speed (docs/performance.md): the peak is a map lookup by dtype name
  /// (16 cost about 0.8 us a decision), the times per token divisions.
  const Shadowing &shadowingOf(const SystemModel &sys, const MoeLayerDesc &l,
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
    unsigned n = sys.numDevices();
    sh.isTarget.assign(n, 0);
    for (unsigned d : sh.devices)
      sh.isTarget[d] = 1;
    for (const std::vector<unsigned> &r : layer.expertPlacement)
      sh.owner.push_back(r[0]);
    for (unsigned d = 0; d < n; ++d) {
      const Device &dev = sys.devices[d];
      sh.injection.push_back(injectionGBps(sys, d));
      sh.flopsUs.push_back(
          flopsToUs(l.expertFlopsPerToken(), dev.peakFor(l.actType)));
      sh.usPerToken.push_back(bytesToUs(l.tokenBytes(), sh.injection[d]));
      sh.weightsUs.push_back(bytesToUs(l.expertBytes(), dev.offchipGBps));
    }
    return shadowings.emplace(layer.index, std::move(sh)).first->second;
  }
  mutable std::map<int64_t, Shadowing> shadowings;

  /// FasterMoE's decision: which experts to shadow (greedy on the roofline
  /// model, most loaded first, while the modelled latency improves).
  /// Speed (docs/performance.md): the all-to-all part of the model counts
  /// tokens per device (integers, in the pass over the gating) and turns
  /// them into time once per device; compute and transfer times per token
  /// come from the layer's Shadowing, not divisions per expert or pair.
  void planShadows(const SystemModel &sys, const GatingTrace &trace,
                   int64_t step, const MoeLayerDesc &l, size_t m,
                   const LayerSchedule &layer,
                   const std::vector<unsigned> &home,
                   const std::vector<unsigned> &accel,
                   ShadowPlan &plan) const {
    const Shadowing &sh = shadowingOf(sys, l, layer, accel);
    int64_t maxShadows = sh.maxShadows;
    plan.shadowing = &sh;
    const std::vector<unsigned> &targets = sh.devices;
    const uint32_t *owner = sh.owner.data();

    unsigned n = sys.numDevices();
    int64_t E = l.numExperts;
    std::vector<int32_t> &local = plan.local;
    std::vector<int64_t> &load = plan.load;
    std::vector<int64_t> &order = plan.order;
    if (plan.devices != n || (int64_t)load.size() != E) {
      plan.devices = n;
      local.assign((size_t)E * n, 0);
      load.assign(E, 0);
    } else {
      for (uint32_t i : plan.touched)
        local[i] = 0;
      for (int64_t e : order)
        load[e] = 0;
    }
    double expertBytes = l.expertBytes();
    const std::vector<double> &flopsUs = sh.flopsUs,
                              &usPerToken = sh.usPerToken,
                              &weightsUs = sh.weightsUs,
                              &injection = sh.injection;
    auto expertUs = [&](unsigned d, int64_t tokens) {
      if (tokens == 0)
        return 0.0;
      return std::max(tokens * flopsUs[d], weightsUs[d]);
    };

    // One pass over the gating: tokens per expert and home, per expert,
    // and per device sent or received (a token whose home is not its
    // expert's owner crosses both injection links).
    LayerModel &model = plan.model;
    model.computeUs.assign(n, 0);
    model.a2aTokens.assign(n, 0);
    model.bcastUs.assign(n, 0);
    std::vector<uint64_t> &expertBits = plan.expertBits;
    expertBits.resize((E + 63) / 64);
    int32_t *perHome = local.data();
    int64_t *perExpert = load.data(), *crossing = model.a2aTokens.data();
    uint64_t *bits = expertBits.data();
    // The (expert, home) entry of every pair (repeats included: a test
    // for the first would make each pair wait for its count's load).
    plan.touched.resize(home.size() * (size_t)l.topK);
    uint32_t *touched = plan.touched.data();
    for (int64_t t = 0; t < (int64_t)home.size(); ++t) {
      const int32_t *chosen = trace.experts(step, m, t);
      unsigned h = home[t];
      // The home's count in a register (one store per token, not a
      // store-to-load chain per choice).
      int64_t sent = 0;
      for (int64_t j = 0; j < l.topK; ++j) {
        uint32_t e = (uint32_t)chosen[j];
        uint32_t i = e * n + h;
        *touched++ = i;
        ++perHome[i];
        ++perExpert[e];
        bits[e / 64] |= uint64_t(1) << (e % 64);
        unsigned o = owner[e];
        int64_t away = h != o;
        sent += away;
        crossing[o] += away;
      }
      crossing[h] += sent;
    }
    // Experts with tokens, ascending (an idle expert adds 0 everywhere).
    order.clear();
    int64_t maxLoad = 0;
    for (size_t w = 0; w < expertBits.size(); ++w)
      for (uint64_t me = std::exchange(expertBits[w], 0); me; me &= me - 1) {
        int64_t e = (int64_t)(w * 64 + __builtin_ctzll(me));
        order.push_back(e);
        unsigned o = owner[e];
        model.computeUs[o] += expertUs(o, load[e]);
        maxLoad = std::max(maxLoad, load[e]);
      }

    // Greedy: shadow the most loaded experts while the model improves
    // (ties in ascending expert order; idle experts end the loop).
    // Speed (docs/performance.md): the candidates are visited load level by
    // level, scanning the ascending `order` for each, instead of sorting
    // them all first: the same sequence, and the greedy usually stops after
    // the first few (the sort's counters were a store-to-load chain).
    std::vector<bool> &shadow = plan.shadow;
    shadow.assign(E, false);
    double best = model.total(usPerToken);
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
      unsigned o = owner[e];
      next.computeUs[o] -= expertUs(o, load[e]);
      for (unsigned h : targets)
        next.computeUs[h] += expertUs(h, plan.at(e, h));
      for (unsigned h = 0; h < n; ++h)
        if (h != o) {
          int64_t tokens = plan.at(e, h);
          next.a2aTokens[h] -= tokens;
          next.a2aTokens[o] -= tokens;
        }
      next.bcastUs[o] +=
          bytesToUs(expertBytes * (targets.size() - 1), injection[o]);
      double t = next.total(usPerToken);
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
  static unsigned computedOn(const ShadowPlan &plan, unsigned home,
                             int32_t e) {
    const Shadowing &sh = *plan.shadowing;
    return plan.shadow[e] && sh.isTarget[home] ? home : sh.owner[e];
  }

  /// The decision alone: the shadows, then the dispatch plan.
  bool decide(const StepContext &ctx, const MoeLayerDesc &l, size_t m,
              const LayerSchedule &layer) override {
    tokenHomes(ctx, decisionHome);
    planShadows(ctx.system, ctx.trace, ctx.step, l, m, layer, decisionHome,
                ctx.system.acceleratorDevices(), decisionPlan);
    unsigned n = ctx.system.numDevices();
    // Without shadows every pair goes to its expert's owner.
    if (decisionPlan.count == 0) {
      const uint32_t *owner = decisionPlan.shadowing->owner.data();
      planDispatch(ctx.trace, ctx.step, m, l, decisionHome, n,
                   [&](int64_t, int32_t e, int64_t) { return owner[e]; },
                   decision);
      return true;
    }
    planDispatch(ctx.trace, ctx.step, m, l, decisionHome, n,
                 [&](int64_t t, int32_t e, int64_t) {
                   return computedOn(decisionPlan, decisionHome[t], e);
                 },
                 decision);
    return true;
  }
  ShadowPlan decisionPlan, emitPlan;
  /// Chunks a shadowed expert's broadcast is pipelined in (a collective
  /// library's chunking: the chain of n workers adds (n - 2) / chunks of
  /// one expert's transfer time to it).
  static constexpr int kBroadcastChunks = 8;

  void moe(StepEmitter &em, const MoeLayerDesc &l, size_t m,
           const LayerSchedule &layer) override {
    const SystemModel &sys = em.system;
    em.router(l);
    shared(em, l, layer);

    ShadowPlan &plan = emitPlan;
    planShadows(sys, em.ctx.trace, em.ctx.step, l, m, layer, em.home,
                em.accel, plan);
    const std::vector<unsigned> &targets = plan.shadowing->devices;
    const std::vector<bool> &shadow = plan.shadow;
    unsigned n = sys.numDevices();
    int64_t E = l.numExperts;
    auto owner = [&](int64_t e) { return layer.expertPlacement[e][0]; };
    shadowed += plan.count;
    ++decisions;

    // Broadcast the shadowed experts' weights from their owners, as a
    // collective library does (NCCL's ring broadcast): the owner reads the
    // weights from its DRAM once, in kBroadcastChunks chunks, and sends
    // each chunk along a chain of the other workers (the shadow targets in
    // their order, starting after the owner); each worker forwards a chunk
    // from its on-chip buffer as it arrives, so the chunks pipeline down
    // the chain. A worker with tokens for the expert and room for two
    // whole experts keeps its copy on chip to compute with; every other
    // worker writes it into its DRAM, from which its compute streams it.
    em.beginStage();
    std::map<std::pair<int64_t, unsigned>, TaskId> arrived;
    std::map<std::pair<int64_t, unsigned>, int64_t> onChip;
    const double chunk = double(l.expertBytes()) / kBroadcastChunks;
    for (int64_t e = 0; e < E; ++e) {
      if (!shadow[e])
        continue;
      unsigned o = owner(e);
      em.graph.setLabel(
          layerLabel(l.index, " shadow expert " + std::to_string(e)));
      // The chain of workers after the owner.
      std::vector<unsigned> chain;
      size_t at = std::find(targets.begin(), targets.end(), o) -
                  targets.begin();
      for (size_t i = 1; i <= targets.size(); ++i) {
        unsigned h = targets[(at + i) % targets.size()];
        if (h != o && !llvm::is_contained(chain, h))
          chain.push_back(h);
      }
      // Per chain position: the previous chunk's hop into it (chunks stay
      // in order on a hop) and what its compute waits for.
      std::vector<TaskId> hopInto(chain.size(), kNoTask);
      std::vector<std::vector<TaskId>> landed(chain.size());
      std::vector<bool> keeps(chain.size());
      for (size_t j = 0; j < chain.size(); ++j)
        keeps[j] = plan.at(e, chain[j]) > 0 &&
                   em.buffersWhole(chain[j], l.expertBytes());
      TaskId read = kNoTask;
      for (int c = 0; c < kBroadcastChunks; ++c) {
        Task load = em.loadTask(o, chunk);
        read = em.add(load, read == kNoTask
                                ? std::vector<TaskId>{em.ready[o]}
                                : std::vector<TaskId>{em.ready[o], read});
        TaskId from = read;
        for (size_t j = 0; j < chain.size(); ++j) {
          unsigned src = j ? chain[j - 1] : o, h = chain[j];
          Task t = em.transferTask(src, h, chunk);
          if (keeps[j])
            t.allocBytes = (int64_t)chunk;
          std::vector<TaskId> deps{from};
          if (hopInto[j] != kNoTask)
            deps.push_back(hopInto[j]);
          TaskId hop = em.add(t, deps);
          hopInto[j] = hop;
          from = hop;
          if (keeps[j]) {
            landed[j].push_back(hop);
          } else {
            Task write = em.loadTask(h, chunk); // into h's DRAM
            landed[j].push_back(em.add(write, {hop}));
          }
        }
      }
      for (size_t j = 0; j < chain.size(); ++j) {
        unsigned h = chain[j];
        TaskId all = em.add(Task(), landed[j]);
        arrived[{e, h}] = all;
        if (keeps[j])
          onChip[{e, h}] = (int64_t)chunk * kBroadcastChunks;
        // The broadcast is a collective: a worker without tokens for the
        // expert still receives it, and its next step waits for the copy
        // (nothing else would: the transfer would be a sink, and a step
        // with sinks never starts a simulator window, so every earlier
        // task stayed held: memory grew with steps).
        if (plan.at(e, h) == 0)
          em.side[h].push_back(all);
      }
    }
    Dispatch d = em.dispatch(l, m, [&](int64_t t, int32_t e, int64_t) {
      return computedOn(plan, em.home[t], e);
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
          auto kept = onChip.find({e, dev});
          int64_t resident = kept == onChip.end() ? 0 : kept->second;
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
