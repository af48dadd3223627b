//===- Emit.h - Reusable pieces of a strategy's runtime ---------*- C++ -*-===//
//
// What every strategy runtime (moesaic/Perf/StrategyRuntime.h) needs when it
// turns one decode step into tasks, so that families only write what is
// specific to them (where experts run, how weights move):
//
//  * ScheduleTables / parseSchedule: the common part of a schedule JSON
//    ("moesaic.schedule/1", see moesaic/Dialect/Hw/HwScheduleExport.h)
//    resolved to SystemModel device indices, with each layer's raw entry
//    kept for the family's own keys.
//  * StepEmitter: a decode step under construction. It tracks where each
//    token's hidden state lives (`home`, data parallel: token t on
//    accelerator t mod n) and, per device, the task after which that device
//    may continue (`ready`). Helpers emit
//      - dense ops by placement (data: each device its tokens, weights
//        replicated; tensor: weights and KV split, ring all-reduce after;
//        single: one device, tokens gathered and scattered),
//      - the router, shared experts,
//      - dispatch (tokens to the devices that compute their experts,
//        aggregated per (source, destination) pair) and combine (back),
//      - expert compute per device, either buffering whole experts on chip
//        (Load with alloc, Compute with free, double-buffered) when two fit
//        in the device's on-chip memory, or streaming the weights from
//        off-chip within the Compute task.
//    Each helper opens a new "stage"; `analyticUs` is the closed-form
//    estimate: the sum over stages of the busiest resource's uncontended
//    work in that stage (compute engine, memory engine or link), which
//    equals the simulated latency when nothing contends and no stage
//    overlaps the next.
//  * emitLayers: the layer loop (dense placements in schedule order, then
//    the family's MoE hook), shared by all families.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_STRATEGIES_EMIT_H
#define MOESAIC_STRATEGIES_EMIT_H

#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Perf/StrategyRuntime.h"
#include "moesaic/Perf/TaskGraph.h"
#include "moesaic/Target/SystemModel.h"
#include "moesaic/Workload/Workload.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace moesaic::perf {

/// On-chip bytes of a double-buffered whole-weight buffer (one copy
/// computing, the next loading): the experts' Load/Compute pairs allocate
/// this much where it fits (StepEmitter::buffersWhole).
inline int64_t doubleBufferBytes(int64_t bytes) { return 2 * bytes; }

/// The on-chip bytes per device an expert-parallel design needs to buffer
/// whole routed experts, double-buffered: doubleBufferBytes of the largest
/// expert over the model's MoE layers. Reported by ep, eplb and fastermoe as
/// `whole_expert_buffer_bytes` whether or not it fits (docs/strategies.md).
int64_t wholeExpertBufferBytes(const ModelDesc &model);

enum class DenseMode { Data, Tensor, Single };

/// One "dense" entry of a layer: what runs where.
struct DensePlacement {
  std::string what;
  std::vector<unsigned> devices;
  DenseMode mode = DenseMode::Data;
};

/// The common keys of one layer of a schedule.
struct LayerSchedule {
  int64_t index = 0;
  std::vector<DensePlacement> dense;
  /// "expert_placement": per expert, the devices holding a full copy.
  std::vector<std::vector<unsigned>> expertPlacement;
  /// "expert_shards": devices and one slice's bytes (empty: none).
  std::vector<unsigned> shardDevices;
  int64_t shardBytes = 0;
  /// The layer entry, for family-specific keys; without its when/where
  /// program ("dataflow"), which runtimes read from the schedule itself.
  llvm::json::Object entry;
};

struct ScheduleTables {
  std::string strategy, model, target;
  /// By layer index (-1: outside the layers).
  std::map<int64_t, LayerSchedule> layers;

  const LayerSchedule *layer(int64_t index) const {
    auto it = layers.find(index);
    return it == layers.end() ? nullptr : &it->second;
  }
};

/// Reads the common part of a schedule JSON; errors name the key.
llvm::Expected<ScheduleTables> parseSchedule(const llvm::json::Object &schedule,
                                             const SystemModel &system,
                                             const ModelDesc &model);

/// Resolves a JSON array of device names.
llvm::Expected<std::vector<unsigned>>
parseDevices(const llvm::json::Value *names, const SystemModel &system,
             llvm::StringRef where);

/// Per device: the expert work a dispatch brought.
struct Dispatch {
  /// [device] -> expert -> tokens it computes for that expert.
  std::vector<std::map<int32_t, int64_t>> expertTokens;
  /// [src][dst] tokens sent (src == dst: local, no transfer).
  std::vector<std::vector<int64_t>> pairTokens;
  /// [device] tasks after which the device holds its dispatched tokens.
  std::vector<std::vector<TaskId>> arrived;
};

/// The dispatch decision of one MoE layer, no tasks: flat tables a
/// controller fills from the gating (Dispatch, below, is what the emitter
/// derives from it). Kept across decisions: planning allocates nothing
/// once sized, and clears only what the previous plan touched.
struct DispatchPlan {
  unsigned devices = 0;
  int64_t experts = 0;
  /// [device * experts + expert]: tokens the device computes for it.
  /// 32-bit: a step holds at most 2^28 (token, choice) pairs (the trace
  /// readers' bound), and half the footprint keeps a 16 x 256 plan in L1.
  std::vector<int32_t> expertTokens;
  /// The (device * experts + expert) entries above that are non-zero: one
  /// per (token, choice) in gating order, so an entry repeats when several
  /// pairs share it.
  std::vector<uint32_t> touched;
  /// [src * devices + dst]: tokens sent (src == dst: local, no transfer;
  /// 32-bit for the same reason).
  std::vector<int32_t> pairTokens;

  /// Empties the plan for `devices` x `experts`.
  void reset(unsigned devices, int64_t experts);
};

/// The dispatch decision alone: every (token, choice) of MoE layer
/// `moeIndex` at `step` goes to deviceFor(token, expert, choice).
/// StepEmitter::dispatch emits its transfers from this plan; runtimes'
/// decideLayer (StrategyRuntime.h) time it alone.
template <typename DeviceFor>
void planDispatch(const GatingTrace &trace, int64_t step, size_t moeIndex,
                  const MoeLayerDesc &layer, const std::vector<unsigned> &home,
                  unsigned n, DeviceFor &&deviceFor, DispatchPlan &plan) {
  plan.reset(n, layer.numExperts);
  // Speed (docs/performance.md): `touched` gets every pair's entry, not
  // only the first of each (the first-touch test made every pair wait for
  // its count's load); locals keep the tables' bases in registers.
  plan.touched.resize(home.size() * (size_t)layer.topK);
  uint32_t *touched = plan.touched.data();
  int32_t *tokens = plan.expertTokens.data();
  int32_t *pair = plan.pairTokens.data();
  size_t E = (size_t)layer.numExperts;
  for (int64_t t = 0; t < (int64_t)home.size(); ++t) {
    const int32_t *chosen = trace.experts(step, moeIndex, t);
    unsigned h = home[t];
    for (int64_t j = 0; j < layer.topK; ++j) {
      unsigned dst = deviceFor(t, chosen[j], j);
      uint32_t i = (uint32_t)(dst * E + (size_t)chosen[j]);
      *touched++ = i;
      ++tokens[i];
      ++pair[(size_t)h * n + dst];
    }
  }
}

/// Each token's device at a step: token t on accelerator t mod n (what
/// StepEmitter::home holds).
void tokenHomes(const StepContext &ctx, std::vector<unsigned> &home);

/// "L<layer><rest>", the label of a layer's tasks ("L3 dispatch").
std::string layerLabel(int64_t layer, const std::string &rest);

class StepEmitter {
public:
  StepEmitter(const StepContext &ctx, TaskGraph &graph, TaskId start);

  const StepContext &ctx;
  const SystemModel &system;
  const ModelDesc &model;
  TaskGraph &graph;
  /// Accelerators, and each token's device.
  std::vector<unsigned> accel;
  std::vector<unsigned> home;
  /// Per device (system index): the task after which it may continue.
  std::vector<TaskId> ready;
  /// Per device: its weights stay in on-chip memory (set by the runtime
  /// from residentDevices); its dense and expert work then reads no
  /// weights from off-chip. Empty: every device streams.
  std::vector<bool> resident;
  /// Scratch of dispatch() (the decision's tables).
  DispatchPlan dispatchPlan;

  /// Tokens whose home is `device`.
  int64_t tokensOn(unsigned device) const;

  /// Starts a new analytic stage (each helper does it itself).
  void beginStage();
  /// Sets layer and phase for the following tasks.
  void at(int64_t layer, Phase phase);

  /// A dense op (`flopsPerToken`, `weightBytes` read per step, `kvBytes`
  /// read per token) under `placement`.
  void dense(const DenseOpDesc &op, const DensePlacement &placement);
  void denseWork(llvm::StringRef label, double flopsPerToken,
                 double weightBytes, double kvBytesPerToken,
                 const std::string &dtype, const DensePlacement &placement);
  /// Ring collectives emit at most this many stages: consecutive ring
  /// steps are merged, each transfer carrying the merged steps' chunks and
  /// their link latency not counted (docs/strategies.md). Coarse task
  /// granularity (StrategyRuntime::useCoarseTasks) sets 1: one transfer per
  /// ring link and collective.
  size_t maxRingStages = 30;
  /// Ring all-reduce of `bytes` among `devices` (2(n-1) steps of bytes/n),
  /// after their `ready`; updates `ready`.
  void allReduce(const std::vector<unsigned> &devices, double bytes);
  /// Ring all-gather of `bytes` in total (n-1 steps of bytes/n).
  void allGather(const std::vector<unsigned> &devices, double bytes);
  /// Moves tokens whose home is not in `devices` onto them (token t to
  /// devices[t mod m]).
  void rehome(const std::vector<unsigned> &devices, double tokenBytes);
  /// Joins the side work (shared experts) into `ready`.
  void joinSide();
  /// Devices holding every token's hidden state (after a tensor-parallel
  /// all-reduce); empty when tokens are spread by `home`.
  std::vector<unsigned> replicatedOn;
  /// Per device: work running beside the expert path (shared experts,
  /// fastermoe's broadcast copies no expert task reads), joined by
  /// combine() or joinSide().
  std::vector<std::vector<TaskId>> side;
  /// Router of `layer` on every device holding tokens.
  void router(const MoeLayerDesc &layer);

  /// Sends every (token, choice) to deviceFor(token, expert, choiceIndex)
  /// (the device that computes it), one transfer per (src, dst) pair.
  Dispatch dispatch(const MoeLayerDesc &layer, size_t moeIndex,
                    const std::function<unsigned(int64_t token, int32_t expert,
                                                 int64_t choice)> &deviceFor);
  /// Expert compute on every device for what `d` brought: whole-expert
  /// buffers when two fit on chip, streamed weights otherwise. `fraction`
  /// of the expert's FLOPs and `bytes` of weights per expert (tensor
  /// parallel shards pass 1/n and the shard's bytes). Returns per device
  /// the task that ends its expert work (kNoTask: none).
  std::vector<TaskId> experts(const MoeLayerDesc &layer, const Dispatch &d,
                              double fraction, int64_t bytes);
  /// Expert compute of `tokens` tokens of `expert` on `device` after
  /// `deps`, weights streamed or buffered as in `experts`; `resident`
  /// bytes are already on chip (e.g. received shadow copies), freed at the
  /// end. Returns the last task.
  TaskId expertCompute(const MoeLayerDesc &layer, unsigned device,
                       int32_t expert, int64_t tokens, double fraction,
                       int64_t bytes, const std::vector<TaskId> &deps,
                       int64_t resident = 0);
  /// Combine: the reverse transfers of `d`, after each source's expert
  /// work; sets `ready` of every home device.
  void combine(const MoeLayerDesc &layer, const Dispatch &d,
               const std::vector<TaskId> &expertDone);
  /// Shared experts of `layer` under `placement` (data: each device its
  /// tokens); returns per device their end (joined into ready by the
  /// caller or by combine).
  void sharedExperts(const MoeLayerDesc &layer,
                     const DensePlacement &placement);

  /// A barrier after every device's ready task: the step's end.
  TaskId finish();

  /// Closed-form latency of what was emitted since construction.
  double analyticUs() const;

  /// Whether `device` keeps its weights on chip.
  bool isResident(unsigned device) const;
  /// Whether two copies of `bytes` fit in `device`'s on-chip memory.
  bool buffersWhole(unsigned device, int64_t bytes) const;

  /// Adds a task with the current stage recorded.
  TaskId add(Task task, const std::vector<TaskId> &deps);
  Task computeTask(unsigned device, double flops, double offchipBytes,
                   const std::string &dtype) const;
  Task transferTask(unsigned src, unsigned dst, double bytes) const;
  Task loadTask(unsigned device, double bytes) const;

private:
  void allReduceSteps(const std::vector<unsigned> &devices, double chunk,
                      size_t steps);
  TaskId firstTask;
  std::vector<std::pair<TaskId, int>> stageOf; // (task, stage)
  /// add()'s deduplicated dependencies, reused across tasks.
  std::vector<TaskId> depScratch;
  int stage = 0;
  int64_t layer = -1;
};

/// The MoE part of one layer, family-specific.
using MoeHook = std::function<void(StepEmitter &, const MoeLayerDesc &,
                                   size_t moeIndex, const LayerSchedule *)>;

/// Emits every layer: its dense placements in schedule order (router and
/// shared experts are left to the hook), then `moe` for an MoE layer; the
/// layer -1 entries last. Returns the step's end task.
TaskId emitLayers(StepEmitter &emitter, const ScheduleTables &tables,
                  const MoeHook &moe);

/// Weight bytes each device holds under `tables` (dense parts by their
/// placement and mode, routed experts by placement or shards).
std::vector<int64_t> weightBytesPerDevice(const ScheduleTables &tables,
                                          const SystemModel &system,
                                          const ModelDesc &model);

/// KV-cache bytes each device holds for `batch` tokens attending to
/// `context` tokens: an attention op's cache follows its placement (tensor:
/// a 1/n share of every token's on each of n devices; data: the tokens are
/// split over the devices, ceil(batch / n) each; single: all on one).
std::vector<int64_t> kvBytesPerDevice(const ScheduleTables &tables,
                                      const SystemModel &system,
                                      const ModelDesc &model, int64_t batch,
                                      int64_t context);

/// Devices whose weights (per weightBytesPerDevice) fit in their on-chip
/// memory: a deployment keeps them resident instead of streaming them
/// every step. `reservedBytes` per device stays free for buffers.
std::vector<bool> residentDevices(const std::vector<int64_t> &weightBytes,
                                  const SystemModel &system,
                                  int64_t reservedBytes = 0);

/// The placement of `what` in `layer` (null if the schedule has none).
const DensePlacement *findDense(const LayerSchedule *layer,
                                llvm::StringRef what);

} // namespace moesaic::perf

#endif // MOESAIC_STRATEGIES_EMIT_H
