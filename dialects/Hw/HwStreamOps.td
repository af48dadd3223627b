//===- HwStreamOps.td - FSE-DP expert streaming ops --------*- tablegen -*-===//
//
// The static half of FSE-DP (expert streaming, docs/fse-dp.md): the logical
// ring the streams follow (virtualization rule V1), each MoE layer's shard
// layout (rule V2) and the per-layer stream schedule the runtime scheduler
// starts from (trajectory template V3, buffers, tick constants). The
// per-batch half (which arc each expert takes, in which order) is decided
// at run time by lib/FseDpRuntime from these tables.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_HW_STREAM_OPS
#define MOESAIC_HW_STREAM_OPS

include "Hw/HwDialect.td"
include "Hw/HwScheduleOps.td"
include "Hw/HwInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"

def Hw_StreamRingOp : Hw_Op<"stream_ring", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface, ["getEntryLayer"]>]> {
  let summary = "The logical ring expert shards stream along (rule V1)";
  let description = [{
    `order[p]` is the chiplet at logical position `p`. Logical neighbours
    (`p`, `p+1 mod N`) must be joined by a physical link in both directions,
    so a controller forwards a chunk with "send to successor/predecessor"
    only. `rule` records how the order was made: `ring` (declared ring
    order), `snake` (boustrophedon Hamiltonian cycle of an even-sided mesh)
    or `explicit`. The schedule's verifier rebuilds the target model and
    checks the ring; one per schedule. Exported (layer -1) as
    `"stream_ring": {"rule": ..., "order": [names]}`.

    ```mlir
    hw.stream_ring rule "snake" order [@c0, @c1, @c3, @c2]
    ```
  }];
  let arguments = (ins StrAttr:$rule, FlatSymbolRefArrayAttr:$order);
  let assemblyFormat = "`rule` $rule `order` $order attr-dict";
  let hasVerifier = 1;
}

def Hw_StreamShardsOp : Hw_Op<"stream_shards", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface>]> {
  let summary = "Every routed expert of a layer sharded over the ring (V2)";
  let description = [{
    Each of the layer's `experts` experts is split along its FFN dimension
    into one shard per chiplet: shard `s` lives in the DRAM of `homes[s]`
    (the ring order, so all channels share the off-chip traffic) and holds
    `shard_bytes`. A shard streams as `chunks` chunks of `chunk_bytes`
    (the last one may be short), the granularity of the D2D pipeline.
    Exported as `"stream_shards": {"experts", "homes", "shard_bytes",
    "chunk_bytes", "chunks"}`.

    ```mlir
    hw.stream_shards layer 0 experts 8 homes [@c0, @c1, @c2, @c3] shard_bytes 88080384 chunk_bytes 699050 chunks 127
    ```
  }];
  let arguments = (ins I64Attr:$layer, I64Attr:$experts,
                       FlatSymbolRefArrayAttr:$homes, I64Attr:$shard_bytes,
                       I64Attr:$chunk_bytes, I64Attr:$chunks);
  let assemblyFormat = [{
    `layer` $layer `experts` $experts `homes` $homes `shard_bytes`
    $shard_bytes `chunk_bytes` $chunk_bytes `chunks` $chunks attr-dict
  }];
  let hasVerifier = 1;
}

def Hw_StreamScheduleOp : Hw_Op<"stream_schedule", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface>]> {
  let summary = "Static stream schedule of one layer: buffers, template, ticks";
  let description = [{
    The compile-time part of trajectory scheduling for one MoE layer:
    - `template`: the trajectory family the runtime picks from (`arc`:
      rule V3, one contiguous ring arc per expert, shards inside it fork
      both ways, shards outside enter at the nearer end);
    - `buffers` x `buffer_bytes`: on-chip stream buffer slots per chiplet
      (own load, clockwise in, counter-clockwise in; each double buffered:
      6 slots), allocated once, checked against every ring chiplet's SRAM;
    - `link_ticks`, `dram_ticks`, `compute_ticks`: one chunk over one hop,
      one chunk from a chiplet's DRAM, one token on one chunk, in ticks of
      `us_per_tick` microseconds: the runtime scheduler's booking table;
    - `order`: how the runtime orders experts (`longest-first`: Johnson's
      rule for the DRAM -> D2D flow shop);
    - `loads`: how each chiplet's DRAM takes the granules of its shards
      (rule V5): `interleaved` (granule g of every active expert, in the
      runtime's order, before granule g + 1: all experts' streams advance
      together and spread over the links) or `sequential` (expert by
      expert);
    - `holders`: with replicated tokens (tensor-parallel dense layers),
      whether the runtime may split an expert over several holders, one per
      ring segment, each receiving its segment's shards and computing a
      partial output (rule V6: `split`), or gives it one holder (`single`).
    The verifier also refuses ticks a decision of the layer (its
    hw.stream_shards' experts and chunks, on their ring) could carry past
    2^32, the runtime scheduler's 32-bit range.
    Exported as `"stream_schedule": {"template", "order", "loads", "holders",
    "buffers", "buffer_bytes", "link_ticks", "dram_ticks", "compute_ticks",
    "us_per_tick"}`.

    ```mlir
    hw.stream_schedule layer 0 template "arc" order "longest-first" loads "interleaved" holders "split" buffers 6 x 699050 ticks link 16 dram 30 compute 0 us_per_tick 0.343
    ```
  }];
  let arguments = (ins I64Attr:$layer, StrAttr:$template_kind,
                       StrAttr:$order, StrAttr:$loads, StrAttr:$holders,
                       I64Attr:$buffers,
                       I64Attr:$buffer_bytes, I64Attr:$link_ticks,
                       I64Attr:$dram_ticks, I64Attr:$compute_ticks,
                       F64Attr:$us_per_tick);
  let assemblyFormat = [{
    `layer` $layer `template` $template_kind `order` $order `loads` $loads
    `holders` $holders `buffers`
    $buffers `x` $buffer_bytes `ticks` `link` $link_ticks `dram` $dram_ticks
    `compute` $compute_ticks `us_per_tick` $us_per_tick attr-dict
  }];
  let hasVerifier = 1;
}

#endif // MOESAIC_HW_STREAM_OPS
