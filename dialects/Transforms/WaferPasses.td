//===- WaferPasses.td - Wafer-scale strategies' passes -----*- tablegen -*-===//
//
// The passes of `er-mapping` and `wafer-baseline` (docs/wafer.md). They fill
// the hw.schedule moe-create-schedule made with hw.wafer_rings,
// hw.wafer_experts and hw.wafer_balancer (dialects/Hw/HwWaferOps.td).
// Included from Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_WAFER_PASSES
#define MOESAIC_WAFER_PASSES

def WaferERMapping : Pass<"moe-wafer-er-mapping", "mlir::ModuleOp"> {
  let summary = "ER-Mapping: entwined attention rings and expert placement";
  let description = [{
    Places the attention tensor-parallel rings and the MoE expert units of a
    wafer (2D mesh of dies) together. The ring size is the default serving
    group (8 dies) unless the weights need more dies per ring; a model whose
    experts do not fit in the dies' memory is rejected. Candidates:

    - entwined rings: the mesh is cut into g token domains (tiles); ring r
      threads die r of every tile along a cycle of neighbouring tiles, so
      every domain holds a full copy of the batch after the attention
      all-reduce and the MoE dispatch/combine of a die only talks to its
      own domain (ring links are hot in attention, domain links in MoE);
    - compact rings: 2 x g/2 blocks whose ring edges are single hops, with
      owner dispatch;
    - the row-major layout.

    For each, expert units are packed by expected load and a local search
    of unit swaps minimises the modelled layer time plus the step's
    bottleneck link time (ring phase + MoE phase), computed from the
    per-link traffic of the model's shapes at the workload's batch and
    expert popularity (the first `profile-steps` steps of `workload` or the
    module's `moesaic.workload`; uniform at `batch` without one). The best
    candidate is emitted, with its modelled cost as attributes.

    Input (after `moe-create-schedule{strategy=er-mapping}`):
    ```mlir
    hw.schedule @er_mapping_plan strategy "er-mapping" model @m target @wafer_8x8 {
    }
    ```
    Output:
    ```mlir
    hw.schedule @er_mapping_plan strategy "er-mapping" model @m target @wafer_8x8 {
      hw.wafer_rings dispatch "owner" rings [[@d_0_0, @d_0_1, ...], ...]
          domains [[...]] {byte_hops = ..., candidate = "compact rings, owner dispatch", ...}
      hw.wafer_experts experts 64 shards 1 per_die 1 units [@d_0_0, ...]
    }
    ```
  }];
  let options = [
    Option<"workload", "workload", "std::string", /*default=*/"\"\"",
           "Workload spec whose batch and expert load the mapping uses "
           "(default: the module's moesaic.workload attribute)">,
    Option<"batch", "batch", "int64_t", /*default=*/"256",
           "Tokens per step when there is no workload">,
    Option<"profileSteps", "profile-steps", "int64_t", /*default=*/"1",
           "Steps of the workload whose expert load the mapping sees">,
    Option<"ringSize", "ring-size", "int64_t", /*default=*/"0",
           "Attention ring size (0: default serving group, or the memory "
           "minimum)">,
    Option<"searchIters", "search-iters", "int64_t", /*default=*/"1000",
           "Unit swaps the local search tries per candidate (it stops "
           "sooner on large meshes, after 2^28 routed flows over all "
           "candidates; the layout then says search_budget_reached)">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the local search">,
  ];
  let dependentDialects = ["::moesaic::hw::HwDialect"];
}

def WaferRowMajor : Pass<"moe-wafer-row-major", "mlir::ModuleOp"> {
  let summary = "The wafer baseline: rings and experts in row-major order";
  let description = [{
    The wafer-baseline placement: ring r holds dies [r*g, r*g+g) in
    row-major order of their mesh coordinates, expert units fill the dies in
    row-major order (expert parallelism over the whole mesh), and each token
    is dispatched by its owner in its ring (one domain). The ring size is
    chosen as for ER-Mapping, so both strategies run the same attention
    parallelism.

    Output:
    ```mlir
    hw.wafer_rings dispatch "owner" rings [[@d_0_0, ..., @d_0_7], ...] domains [[@d_0_0, ...]]
    hw.wafer_experts experts 64 shards 1 per_die 1 units [@d_0_0, @d_0_1, ...]
    ```
  }];
  let options = [
    Option<"ringSize", "ring-size", "int64_t", /*default=*/"0",
           "Attention ring size (0: as ER-Mapping chooses)">,
  ];
  let dependentDialects = ["::moesaic::hw::HwDialect"];
}

def WaferNIBalancer : Pass<"moe-wafer-ni-balancer", "mlir::ModuleOp"> {
  let summary = "Adds the runtime expert-migration policy and its staging";
  let description = [{
    Adds `hw.wafer_balancer` to a schedule that holds a wafer placement:
    the trigger (busiest die over mean die load on the last `window` steps),
    the number of swaps per decision, and the staging. `non-invasive`
    (NI-Balancer) cuts every move into chunks of at most `chunk-bytes` that
    the runtime places, layer by layer, on links cold in the slot where
    both dies' HBM is idle (around the all-reduces and the dispatch, and
    behind the busiest die's experts; docs/wafer.md); `stop-the-world` (the
    wafer baseline) sends every move at once. The chunk count is derived
    from the model's expert unit size.

    Output of `--moe-wafer-ni-balancer` on a DeepSeek-V3 schedule:
    ```mlir
    hw.wafer_balancer staging "non-invasive" window 4 trigger 1.3
        max_swaps 4 cooldown 4 chunks 84 cold_fraction 0.5 horizon 8
    ```
  }];
  let options = [
    Option<"staging", "staging", "std::string", /*default=*/"\"non-invasive\"",
           "non-invasive (chunks on cold links) or stop-the-world">,
    Option<"window", "window", "int64_t", /*default=*/"4",
           "Steps of observed load per decision">,
    Option<"trigger", "trigger", "double", /*default=*/"1.3",
           "Busiest/mean die load ratio that triggers a decision">,
    Option<"maxSwaps", "max-swaps", "int64_t", /*default=*/"4",
           "Unit swaps per layer per decision">,
    Option<"cooldown", "cooldown", "int64_t", /*default=*/"4",
           "Steps between two decisions of a layer">,
    Option<"chunkBytes", "chunk-bytes", "int64_t", /*default=*/"1048576",
           "Largest chunk of a migrating expert unit">,
    Option<"coldFraction", "cold-fraction", "double", /*default=*/"0.5",
           "A link is hot above this fraction of the phase's busiest link">,
    Option<"horizon", "horizon", "int64_t", /*default=*/"8",
           "Steps after which a pending move's chunks are forced into "
           "the next step's slots">,
  ];
  let dependentDialects = ["::moesaic::hw::HwDialect"];
}

#endif // MOESAIC_WAFER_PASSES
