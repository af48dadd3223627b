//===- NdpPasses.td - GPU-NDP scheduling passes ------------*- tablegen -*-===//
//
// The passes of the GPU-NDP strategies (docs/gpu-ndp.md): ndp-tp (tensor
// parallel experts on the NDP units, GPU/NDP load balancing, dataset-free
// prefetching) and its baselines ndp-ondemand, ndp-fiddler, ndp-monde. Each
// fills the last hw.schedule of the module with hw.ndp_* ops
// (dialects/Hw/HwNdpOps.td). Included from Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_NDP_PASSES
#define MOESAIC_NDP_PASSES

include "mlir/Pass/PassBase.td"

def NdpVramPlan : Pass<"moe-ndp-vram-plan", "mlir::ModuleOp"> {
  let summary = "Spends the GPU's VRAM: non-expert weights, KV cache, expert cache";
  let description = [{
    Puts the model's non-expert weights (attention, routers, shared experts,
    dense layers), the KV cache of `max-batch` tokens attending to `context`
    positions and a workspace (`workspace-fraction` of VRAM) in the GPU's
    VRAM and gives the rest to a routed-expert cache filled by `policy`:
    `online` (ndp-tp's dataset-free prefetcher), `lru` (MoE-OnDemand) or
    `profile` (Fiddler, MoNDE). `max-batch` and `context` default to the
    workload's batch and context (the module's `moesaic.workload`, which
    `--strategy`/`--compare` set from `--workload`; 4 tokens and 4096
    positions without one), so that the KV cache the plan reserves is the
    one the evaluation reads. A model whose non-expert weights alone, or
    with the KV cache and workspace, exceed VRAM is rejected with an error
    naming the GPU and the sizes.

    Input (a schedule on a gpu-ndp system):
    ```mlir
    hw.schedule @ndp_tp_plan strategy "ndp-tp" model @qwen3 target @gpu_ndp_edge {
    }
    ```
    Output of `--moe-ndp-vram-plan="policy=online"`:
    ```mlir
    hw.schedule @ndp_tp_plan strategy "ndp-tp" model @qwen3 target @gpu_ndp_edge {
      hw.ndp_vram_plan on @gpu vram 17179869184 non_expert 1894252544 kv 1610612736 workspace 858993459 experts 12815994675 policy online {chunk_bytes = 4194304 : i64, context = 4096 : i64, decay = 9.000000e-01 : f64, hysteresis = 1.500000e+00 : f64, max_batch = 4 : i64}
    }
    ```
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"online\"",
           "Expert cache policy: online, lru or profile">,
    Option<"maxBatch", "max-batch", "int64_t", /*default=*/"0",
           "Most tokens per decode step (sizes the KV cache; 0: the "
           "workload's batch, 4 without a workload)">,
    Option<"context", "context", "int64_t", /*default=*/"0",
           "Positions each token attends to (sizes the KV cache; 0: the "
           "workload's context, 4096 without one)">,
    Option<"workspaceFraction", "workspace-fraction", "double",
           /*default=*/"0.05", "Share of VRAM kept for activations and scratch">,
    Option<"decay", "decay", "double", /*default=*/"0.9",
           "online: histogram decay per step">,
    Option<"hysteresis", "hysteresis", "double", /*default=*/"1.5",
           "online: score ratio a candidate needs to displace a resident">,
    Option<"chunkBytes", "chunk-bytes", "int64_t", /*default=*/"4194304",
           "online: bytes per prefetch transfer">,
  ];
  let dependentDialects = ["::moesaic::hw::HwDialect"];
}

def NdpTensorSplit : Pass<"moe-ndp-tensor-split", "mlir::ModuleOp"> {
  let summary = "Splits every expert across all NDP units; places the reduction";
  let description = [{
    Tensor parallelism inside each routed expert: for every MoE layer, the
    expert FFN dimension is cut into one row block per NDP unit, in
    proportion to the unit's internal bandwidth (multiples of `quantum`
    rows where possible), so every unit computes a slice of every activated
    expert in place and no unit is hot because its expert is. The units'
    partial results are reduced where it is cheapest: the pass estimates,
    for the host CPU, the GPU and each NDP unit, the time to gather one
    batch's partials there (transfers sharing a link serialised), add them
    and send the sum to the GPU, and picks the least (`reduce-on` forces
    `host`, `gpu` or `ndp`, the first unit). Systems without NDP units and
    experts narrower than the number of units are rejected.

    Output on gpu-ndp-edge (8 units) for a 768-row expert:
    ```mlir
    hw.ndp_tensor_split layer 0 across [@ndp0, @ndp1, @ndp2, @ndp3, @ndp4, @ndp5, @ndp6, @ndp7] rows [96, 96, 96, 96, 96, 96, 96, 96] reduce_on @host
    ```
  }];
  let options = [
    Option<"reduceOn", "reduce-on", "std::string", /*default=*/"\"auto\"",
           "Where partial results are reduced: auto, host, gpu or ndp">,
    Option<"quantum", "quantum", "int64_t", /*default=*/"16",
           "Row blocks are multiples of this many rows where possible">,
  ];
  let dependentDialects = ["::moesaic::hw::HwDialect"];
}

def NdpExpertParallel : Pass<"moe-ndp-expert-parallel", "mlir::ModuleOp"> {
  let summary = "MoNDE: each whole expert on one NDP unit (expert parallelism)";
  let description = [{
    The placement MoNDE (DAC'24) uses for cold experts: expert `e` of every
    MoE layer lives, whole, on NDP unit `e mod n` and is computed there.
    Emits one `hw.place_experts` per MoE layer. Systems without NDP units are
    rejected.

    Output on a system with units @ndp0 and @ndp1, four experts:
    ```mlir
    hw.place_experts layer 0 [[@ndp0], [@ndp1], [@ndp0], [@ndp1]]
    ```
  }];
  let dependentDialects = ["::moesaic::hw::HwDialect"];
}

def NdpLoadBalance : Pass<"moe-ndp-load-balance", "mlir::ModuleOp"> {
  let summary = "Sets where experts absent from VRAM run and the balancer's grain";
  let description = [{
    Records the per-batch policy the runtime follows (`hw.ndp_balance`):
    `cold=ndp-tp` (ndp-tp: experts not in VRAM run tensor-parallel on all NDP
    units, and the runtime balancer bin-packs `granularity` slices per
    expert between the GPU and the units from the runtime histogram so both
    finish together), `ndp-ep` (MoNDE), `cpu` (Fiddler), `fetch`
    (MoE-OnDemand). Checks that the schedule holds what the policy needs: a
    `hw.ndp_vram_plan`, a `hw.ndp_tensor_split` for every MoE layer
    (`ndp-tp`), a `hw.place_experts` for every MoE layer (`ndp-ep`), a host
    CPU (`cpu`).

    Output of `--moe-ndp-load-balance="cold=ndp-tp granularity=4"`:
    ```mlir
    hw.ndp_balance cold "ndp-tp" granularity 4
    ```
  }];
  let options = [
    Option<"cold", "cold", "std::string", /*default=*/"\"ndp-tp\"",
           "Where experts absent from VRAM run: ndp-tp, ndp-ep, cpu, fetch">,
    Option<"granularity", "granularity", "int64_t", /*default=*/"4",
           "Slices per expert the balancer moves between GPU and NDP">,
  ];
  let dependentDialects = ["::moesaic::hw::HwDialect"];
}

#endif // MOESAIC_NDP_PASSES
