//===- DataflowPasses.td - when/where lowering passes ------*- tablegen -*-===//

#ifndef MOESAIC_DATAFLOW_PASSES
#define MOESAIC_DATAFLOW_PASSES

include "mlir/Pass/PassBase.td"

def DfLowerFseDp : Pass<"moe-df-lower-fsedp", "mlir::ModuleOp"> {
  let summary = "Writes the runtime part of an fse-dp schedule as a when/where "
                "dataflow program";
  let description = [{
    For every `hw.stream_shards` of the last `hw.schedule` (N = ring size,
    E experts, S chunks per shard) adds to the schedule a `df.program`
    (docs/dataflow.md) of layer L:
    - input ports `tokens.p` (tokens resident on logical chiplet p) and
      `shards.e.s` (the S chunks of expert e's shard homed on chiplet s);
    - dispatch: one `df.where` driven by the gating (`control "gating"`),
      N inputs to E x N outputs, output e*N+p = tokens of expert e on p;
    - replicated tokens (rule V4, every chiplet holds every token after a
      tensor-parallel dense layer): input port `tokens.replicated` and a
      gating `df.where` of 1 input to E outputs, with per expert a
      `df.when` threshold 1 feeding output `active.replicated`;
    - per expert e, `df.when` threshold 1 (`at [e]`): the expert becomes
      active on its first token; all feed output `active`;
    - per (e, p), `df.when` threshold 1: p holds tokens of e;
    - per expert, a `df.where` with `control "trajectory"` routing its N
      shards along the arc the runtime picked (rule V3 tables), and two
      `df.where`s with `control "links"` (`at [e, 0]` clockwise, `at [e,
      1]` counter-clockwise) routing them to the directed ring links they
      cross;
    - per directed link l (l < N: p -> p+1, N + p: p -> p-1), `df.when`
      threshold S, reset `on_fire` (`at [l]`) over every expert's edge into
      it: one firing per shard crossing (the link occupancy the runtime
      books); all feed output `links`;
    - per (e, p), `df.when` threshold N*S+1 over the holder token and the
      arriving shard chunks: expert e may run on p (all its shards and its
      tokens are there); all feed output `ready`.
    Layers of one shape (the same E and S) share one program: the first
    such layer holds it and every later one gets a `df.program_ref
    "fsedp.layerL" layer L to "fsedp.layerF"` (exported as a reference,
    docs/dataflow.md). They are written at the start of the schedule, in
    layer order, so that a reference finds its program in a few steps.
    Existing programs and references are replaced.
    Refuses a schedule
    without `hw.stream_ring` or `hw.stream_shards`, and layers of more than
    65536 (expert, chiplet) pairs.

    Input:
    ```mlir
    hw.schedule @plan strategy "fse-dp" model @m target @sys {
      hw.stream_ring rule "ring" order [@c0, @c1]
      hw.stream_shards layer 0 experts 2 homes [@c0, @c1] shard_bytes 64 chunk_bytes 32 chunks 2
    }
    ```
    Output (inside the schedule, abridged):
    ```mlir
    df.program "fsedp.layer0" layer 0 attributes {chiplets = 2 : i64, chunks = 2 : i64, experts = 2 : i64} {
      %0 = df.input "tokens.0" at [0]
      %1 = df.input "tokens.1" at [1]
      %2:4 = df.where %0, %1 control "gating" -> 4
      %3 = df.when %2#0, %2#1 threshold 1 reset "none" at [0]
      ...
      %9 = df.when %5, %8#0 threshold 5 reset "none" at [0, 0]
      ...
      df.output "active" %3, ...
      df.output "ready" %9, ...
      df.output "active.replicated" ...
      df.output "links" ...
    }
    ```
  }];
  let dependentDialects = ["::moesaic::hw::HwDialect",
                           "::moesaic::df::DfDialect"];
}

#endif // MOESAIC_DATAFLOW_PASSES
