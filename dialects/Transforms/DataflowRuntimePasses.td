//===- DataflowRuntimePasses.td - ndp-tp / er-mapping as when/where -*- tablegen -*-===//
//
// The runtime parts of ndp-tp and of er-mapping's migrations written as
// when/where programs (docs/dataflow.md); included by Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DATAFLOW_RUNTIME_PASSES
#define MOESAIC_DATAFLOW_RUNTIME_PASSES

include "mlir/Pass/PassBase.td"

def DfLowerNdpTp : Pass<"moe-df-lower-ndp-tp", "mlir::ModuleOp"> {
  let summary = "Writes ndp-tp's per-batch GPU/NDP decision as a when/where "
                "dataflow program";
  let description = [{
    Last pass of `--strategy=ndp-tp`. For every MoE layer L (E experts) of
    the last `hw.schedule`, which must hold `hw.ndp_vram_plan` (policy
    `online`), `hw.ndp_balance` (cold `ndp-tp`, G = granularity) and the
    layer's `hw.ndp_tensor_split` (U units), adds a `df.program
    "ndptp.layer<L>"` with parameters `experts`, `granularity`, `units`
    (docs/dataflow.md, "ndp-tp"):
    - input `tokens` and a `df.where` `control "gating"` to E outputs: the
      tokens of each expert;
    - per expert e, `df.when` threshold 1 (`at [e]`, output `active`): e
      is active; input `vram.e` (the runtime's cache state: e is loaded)
      and `df.when` threshold 2 over both (output `gpu_candidates`): e's
      slices may run on the GPU;
    - input `balanced` (the balancer has chosen) and per expert a
      `df.when` threshold 2 releasing e's G slices (static `df.where`,
      G x 1), then a `df.where` `control "select"` sending each slice to
      the GPU (output 0, recorded by `gpu_slices`) or the NDP side;
    - a static all-ones `df.where` U x E: every NDP slice goes to every
      unit (tensor parallelism), recorded by `unit_slices`.
    The balancer's bin-packing, the histogram and the prefetch queue stay
    plain code over the program's outputs. An existing program of a layer
    is replaced. Refuses a schedule without those ops, another cache
    policy or cold placement, and layers of more than 4096 experts.

    Input (abridged):
    ```mlir
    hw.schedule @p strategy "ndp-tp" model @m target @edge {
      hw.ndp_vram_plan on @gpu ... policy online {...}
      hw.ndp_tensor_split layer 0 across [@ndp0, @ndp1] rows [16, 16] reduce_on @host
      hw.ndp_balance cold "ndp-tp" granularity 2
    }
    ```
    Output (inside the schedule, abridged):
    ```mlir
    df.program "ndptp.layer0" layer 0 attributes {experts = 4 : i64, granularity = 2 : i64, units = 2 : i64} {
      %0 = df.input "tokens"
      %1:4 = df.where %0 control "gating" -> 4
      %2 = df.input "balanced"
      %3 = df.when %1#0 threshold 1 reset "none" at [0]
      %4 = df.input "vram.0" at [0]
      %5 = df.when %3, %4 threshold 2 reset "none" at [0]
      %6 = df.when %3, %2 threshold 2 reset "none" at [0]
      %7:2 = df.where %6 adjacency dense<1> : tensor<2x1xi8> at [0] -> 2
      %8:2 = df.where %7#0, %7#1 control "select" at [0] -> 2
      ...
      df.output "unit_slices" %29#0, %29#1
    }
    ```
  }];
  let dependentDialects = ["::moesaic::hw::HwDialect",
                           "::moesaic::df::DfDialect"];
}

def DfLowerWafer : Pass<"moe-df-lower-wafer", "mlir::ModuleOp"> {
  let summary = "Writes er-mapping's migration trigger and chunk staging as "
                "when/where dataflow programs";
  let description = [{
    Last pass of `--strategy=er-mapping`. The last `hw.schedule` must hold
    `hw.wafer_experts` (E experts, S shards) and a `hw.wafer_balancer`
    with `staging "non-invasive"` (window W). Adds (docs/dataflow.md,
    "er-mapping"):
    - per MoE layer L, `df.program "wafer.trigger.layer<L>"` (parameters
      `experts`, `shards`, `dies`, `window`): input `tokens` (the window's
      W batches), `df.where` `control "gating"` to E experts, a static
      `df.where` fanning expert e out to its S shard units (when S > 1),
      a `df.where` `control "select"` sending unit u to the die the
      decided placement holds it on, and per die a `df.when` with
      `control "threshold"` (`at [d]`, output `hot`): the run sets the
      threshold to the least count above `trigger` x the mean die load;
      any firing triggers the layer's swaps;
    - at layer -1, `df.program "wafer.staging"` (parameter `links`):
      input `chunks` (payload: a pending move) routed by a `df.where`
      `control "route"` over the links of its move's route; input `open`
      seeding one token per link; per link a `df.when` `control
      "threshold"` (output `blocked`) that the run sets to 1 for a hot
      link and 1 + the chunks its spare bytes hold otherwise. A chunk is
      placed while no link on its route is blocked.
    The swap search (greedy pairs between the hottest and coldest die), the
    hot-link test and the spare-byte arithmetic stay plain code. Existing
    programs are replaced. Refuses a schedule without `hw.wafer_experts` or
    `hw.wafer_balancer`, a stop-the-world balancer (no slots to stage in),
    and systems with more than 4096 dies or links.

    Output (inside the schedule, abridged, 4 experts, 1 shard, 4 dies):
    ```mlir
    df.program "wafer.trigger.layer0" layer 0 attributes {dies = 4 : i64, experts = 4 : i64, shards = 1 : i64, window = 4 : i64} {
      %0 = df.input "tokens"
      %1:4 = df.where %0 control "gating" -> 4
      %2:4 = df.where %1#0, %1#1, %1#2, %1#3 control "select" -> 4
      %3 = df.when %2#0 threshold 1 reset "none" control "threshold" at [0]
      ...
      df.output "hot" %3, %4, %5, %6
    }
    df.program "wafer.staging" layer -1 attributes {links = 8 : i64} {
      %0 = df.input "chunks"
      %1:8 = df.where %0 control "route" -> 8
      %2 = df.input "open"
      %3:8 = df.where %2 adjacency dense<1> : tensor<8x1xi8> -> 8
      %4 = df.when %1#0, %3#0 threshold 1 reset "none" control "threshold" at [0]
      ...
      df.output "placed" %0
      df.output "blocked" %4, ...
    }
    ```
  }];
  let dependentDialects = ["::moesaic::hw::HwDialect",
                           "::moesaic::df::DfDialect"];
}

#endif // MOESAIC_DATAFLOW_RUNTIME_PASSES
