//===- BaselinePasses.td - Passes of the baseline strategies -*- tablegen -*-===//
//
// The lowering passes behind the `ep`, `tp`, `eplb` and `fastermoe`
// strategies (docs/strategies.md). Each strategy is a pipeline of these:
//   ep:        moe-create-schedule, moe-place-dense{mode=data},
//              moe-place-experts-round-robin
//   tp:        moe-create-schedule, moe-place-dense{mode=tensor},
//              moe-shard-experts
//   eplb:      moe-create-schedule, moe-place-dense{mode=data},
//              moe-eplb-balance
//   fastermoe: moe-create-schedule, moe-place-dense{mode=data},
//              moe-place-experts-round-robin, moe-fastermoe-shadowing
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_BASELINE_PASSES
#define MOESAIC_BASELINE_PASSES

include "mlir/Pass/PassBase.td"

def CreateSchedule : Pass<"moe-create-schedule", "mlir::ModuleOp"> {
  let summary = "Creates the empty hw.schedule a strategy's passes fill";
  let description = [{
    Checks that the module holds exactly one `moe.model` and one
    `hw.system`, that the system's kind is one of `targets` (the kinds the
    strategy serves; empty: any), and appends an empty
    `hw.schedule @<strategy>_plan strategy "<strategy>"` for them. The
    following passes of the pipeline fill it. A module that already holds a
    schedule of the same strategy is rejected.

    Input (with `--moe-create-schedule="strategy=ep targets=chiplet"`):
    ```mlir
    hw.system @ring4 kind chiplet { ... }
    moe.model @tiny { ... }
    ```
    Output:
    ```mlir
    hw.system @ring4 kind chiplet { ... }
    moe.model @tiny { ... }
    hw.schedule @ep_plan strategy "ep" model @tiny target @ring4 {
    }
    ```
  }];
  let options = [
    Option<"strategy", "strategy", "std::string", /*default=*/"\"\"",
           "Name of the strategy the schedule is for">,
    ListOption<"targets", "targets", "std::string",
               "System kinds the strategy serves (chiplet, wafer, gpu-ndp, "
               "gpu-cluster); empty: every kind">,
  ];
  let dependentDialects = ["::moesaic::hw::HwDialect"];
}

def PlaceDense : Pass<"moe-place-dense", "mlir::ModuleOp"> {
  let summary = "Places every dense part of the model on all accelerators";
  let description = [{
    For every non-expert part of the model (attention, dense FFN, and each
    MoE layer's router and shared experts, plus layer -1 ops such as the LM
    head) emits a `hw.place_dense` over all accelerator devices of the
    target, in `mode`: `data` (weights replicated, each device runs its
    share of the tokens, as expert-parallel deployments such as GShard and
    DeepSpeed-MoE do), `tensor` (weights split, partial results all-reduced,
    as Megatron tensor parallelism does) or `single` (the first
    accelerator). The router is always data parallel (it is tiny).

    Input: a module after `moe-create-schedule`. Output (mode=data):
    ```mlir
    hw.schedule @ep_plan strategy "ep" model @tiny target @ring4 {
      hw.place_dense layer 0 "attention" on [@c0, @c1, @c2, @c3] mode data
      hw.place_dense layer 0 "router" on [@c0, @c1, @c2, @c3] mode data
    }
    ```
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"data\"",
           "How the dense parts run: data (weights replicated, each "
           "accelerator its share of the tokens), tensor (weights split, "
           "results all-reduced) or single (the first accelerator)">,
  ];
}

def PlaceExpertsRoundRobin
    : Pass<"moe-place-experts-round-robin", "mlir::ModuleOp"> {
  let summary = "Expert parallelism: expert i on accelerator i mod n";
  let description = [{
    Expert parallelism as GShard, DeepSpeed-MoE and Megatron deploy it:
    each routed expert of every MoE layer lives on exactly one device,
    balanced by count (expert `i` on accelerator `i mod n`); tokens are
    sent to their experts' devices by an all-to-all dispatch and brought
    back by an all-to-all combine (the runtime emits those).

    Output for 8 experts on 4 chiplets:
    ```mlir
    hw.place_experts layer 0 [[@c0], [@c1], [@c2], [@c3], [@c0], [@c1], [@c2], [@c3]]
    ```
  }];
}

def ShardExperts : Pass<"moe-shard-experts", "mlir::ModuleOp"> {
  let summary = "Tensor parallelism: every expert split across all devices";
  let description = [{
    Splits every routed expert of every MoE layer along its FFN dimension
    into one slice per accelerator (Megatron-style tensor parallelism of
    the expert MLPs): every device computes its slice for every token
    routed to the expert, and the partial outputs are all-reduced. The
    slice size is `ceil(expert bytes / n)`.

    Output for 4 chiplets:
    ```mlir
    hw.shard_experts layer 0 across [@c0, @c1, @c2, @c3] shard_bytes 12288
    ```
  }];
}

def EplbBalance : Pass<"moe-eplb-balance", "mlir::ModuleOp"> {
  let summary = "DeepSeek EPLB: replicate heavy experts, pack balanced";
  let description = [{
    DeepSeek's expert-parallel load balancer (EPLB), static variant: from
    the expert load observed over the first `profile-steps` decode steps of
    the workload (option `workload`, or the module's `moesaic.workload`
    attribute that `--strategy`/`--compare` set), it
    1. adds `redundant` replicas (default: one per device), each to the
       expert with the highest load per replica at that time;
    2. packs the replicas (each carrying load / replicas) onto the devices
       greedily, heaviest first, onto the least-loaded device that still has
       a free slot and does not hold that expert yet; every device gets the
       same number of slots, ceil((experts + redundant) / devices).
    The runtime splits an expert's tokens evenly among its replicas. Like
    EPLB, the cost of moving weights into the new placement is not taken
    into account. Also records the observed load as `hw.observed_load`.
    With `rebalance-every=N`, the runtime recomputes the placement every N
    steps from the load it observed since the last rebalance and moves the
    weights before the step, stop-the-world, as EPLB deployments do (the
    report's `migration_exposed_us`).

    Output:
    ```mlir
    hw.place_experts layer 0 [[@c0, @c2], [@c1], [@c3], ...]
    hw.observed_load layer 0 steps 4 [40, 3, 9, ...]
    ```
  }];
  let options = [
    Option<"workload", "workload", "std::string", /*default=*/"\"\"",
           "Workload spec the load is observed on (default: the module's "
           "moesaic.workload attribute)">,
    Option<"profileSteps", "profile-steps", "int64_t", /*default=*/"4",
           "Decode steps of the workload whose load is observed">,
    Option<"redundant", "redundant", "int64_t", /*default=*/"-1",
           "Redundant replicas per layer (-1: one per device)">,
    Option<"rebalanceEvery", "rebalance-every", "int64_t", /*default=*/"0",
           "Rebalance at run time every N steps from the load observed since "
           "the last rebalance, moving weights stop-the-world (0: never)">,
  ];
}

def FasterMoeShadowing : Pass<"moe-fastermoe-shadowing", "mlir::ModuleOp"> {
  let summary = "FasterMoE: enable dynamic shadowing of hot experts";
  let description = [{
    FasterMoE keeps expert parallelism and, per iteration, "shadows" the
    most popular experts: their weights are broadcast to every device and
    their tokens are computed locally instead of being sent through the
    all-to-all, for as long as its roofline model of the layer's latency
    keeps dropping. This pass sets, per MoE layer that already has a
    `hw.place_experts`, how many experts may be shadowed per step: as many
    as fit in the off-chip memory left on the smallest device after the
    placed weights (capped at `max-shadows`, default: all experts). The
    per-step decision is the runtime's, from the actual gating.

    Output:
    ```mlir
    hw.shadow_experts layer 0 on [@c0, @c1, @c2, @c3] max_shadows 8 budget_bytes 393216
    ```
  }];
  let options = [
    Option<"maxShadows", "max-shadows", "int64_t", /*default=*/"-1",
           "Upper bound of shadowed experts per layer and step (-1: no limit)">,
  ];
}

#endif // MOESAIC_BASELINE_PASSES
