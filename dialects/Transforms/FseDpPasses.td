//===- FseDpPasses.td - FSE-DP (expert streaming) passes ---*- tablegen -*-===//
//
// The compile half of `--strategy=fse-dp` (docs/fse-dp.md). They fill the
// last `hw.schedule` of the module, in this order:
//   moe-fsedp-virtualize             -> hw.stream_ring      (rule V1)
//   moe-fsedp-shard-experts          -> hw.stream_shards    (rule V2, sizes)
//   moe-fsedp-schedule-trajectories  -> hw.stream_schedule  (V3, buffers)
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_FSEDP_PASSES
#define MOESAIC_FSEDP_PASSES

include "mlir/Pass/PassBase.td"

def FseDpVirtualize : Pass<"moe-fsedp-virtualize", "mlir::ModuleOp"> {
  let summary = "Embeds a logical ring on the chiplets (FSE-DP rule V1)";
  let description = [{
    Finds a Hamiltonian cycle of the target's chiplets that a hardware
    controller can follow with "send to successor / predecessor" only: the
    declared order of a ring topology (`ring`), or the boustrophedon cycle
    of an even-sided mesh (`snake`: row 0 left to right, rows 1..R-1
    snaking over columns C-1..1, column 0 back up; transposed when R is
    odd). Records it as `hw.stream_ring` in the last `hw.schedule`.
    Refuses non-chiplet systems and meshes with both sides odd.

    Input (target edge-chiplet-8-mesh, a 2 x 4 mesh):
    ```mlir
    hw.schedule @plan strategy "fse-dp" model @m target @edge_chiplet_8_mesh {
    }
    ```
    Output:
    ```mlir
    hw.schedule @plan strategy "fse-dp" model @m target @edge_chiplet_8_mesh {
      hw.stream_ring rule "snake" order [@c0, @c1, @c2, @c3, @c7, @c6, @c5, @c4]
    }
    ```
  }];
  let dependentDialects = ["::moesaic::hw::HwDialect"];
}

def FseDpShardExperts : Pass<"moe-fsedp-shard-experts", "mlir::ModuleOp"> {
  let summary = "Shards every routed expert over all chiplets' DRAM (FSE-DP V2)";
  let description = [{
    For every MoE layer, splits each routed expert along its FFN dimension
    into one shard per ring position (shard `s` in the DRAM of ring
    position `s`, so every channel serves 1/N of each expert's bytes) and
    picks the stream chunk by the documented rule:
    `chunk = min(shard, budget / 6, max(16 x link latency x link bandwidth,
    shard / 2N))`, `budget = buffer-fraction x SRAM`. A layer whose minimal
    chunk does not fit is refused with an error naming the layer and the
    shortfall; so is one whose shards exceed a chiplet's DRAM. Needs a
    `hw.stream_ring` (run moe-fsedp-virtualize first).

    Output for Mixtral-8x7B on edge-chiplet-4:
    ```mlir
    hw.stream_shards layer 0 experts 8 homes [@c0, @c1, @c2, @c3] shard_bytes 88080384 chunk_bytes 699050 chunks 127
    ```
  }];
  let options = [
    Option<"bufferFraction", "buffer-fraction", "double", /*default=*/"0.5",
           "Share of each chiplet's SRAM given to stream buffers">,
  ];
  let dependentDialects = ["::moesaic::hw::HwDialect"];
}

def FseDpScheduleTrajectories
    : Pass<"moe-fsedp-schedule-trajectories", "mlir::ModuleOp"> {
  let summary = "Static stream schedule: trajectory template, buffers, ticks";
  let description = [{
    For every `hw.stream_shards`, fixes what the runtime scheduler must not
    decide per batch: the trajectory template (`arc`, rule V3), the stream
    buffers (6 chunk slots per chiplet: own load, clockwise in,
    counter-clockwise in, each double buffered, so DRAM loads, D2D
    transfers and compute overlap), the expert order policy
    (`longest-first`), the order in which each chiplet's DRAM takes its
    shards' granules (`loads`, rule V5: `interleaved` round-robin over the
    batch's active experts, or `sequential` expert by expert), whether the
    runtime may split an expert over several holders when every chiplet
    holds every token (`holders`, rule V6: `split` or `single`) and the
    booking table in ticks (one chunk per hop = 16 ticks; DRAM and compute
    in proportion). Checks the buffers against every ring chiplet's SRAM: a
    model that cannot fit is refused with an error naming the layer and the
    shortfall.

    Output:
    ```mlir
    hw.stream_schedule layer 0 template "arc" order "longest-first" loads "interleaved" holders "split" buffers 6 x 699050 ticks link 16 dram 30 compute 0 us_per_tick 0.343
    ```
  }];
  let options = [
    Option<"loads", "loads", "std::string", /*default=*/"\"interleaved\"",
           "DRAM granule order of each chiplet (rule V5): interleaved or "
           "sequential">,
    Option<"holders", "holders", "std::string", /*default=*/"\"split\"",
           "Holders of an expert when every chiplet holds every token (rule "
           "V6): split (one per ring segment, sharing its shards) or single">,
  ];
  let dependentDialects = ["::moesaic::hw::HwDialect"];
}

#endif // MOESAIC_FSEDP_PASSES
