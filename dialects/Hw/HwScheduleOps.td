//===- HwScheduleOps.td - Schedules lowered onto a system --*- tablegen -*-===//
//
// What the lowering passes decide, in IR: a `hw.schedule` names the model, the
// target system and the strategy, and holds placement ops per layer. Strategy
// families add their own ops (expert streams, NDP offload, migrations) in
// files of their own included from HwAll.td.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_HW_SCHEDULE_OPS
#define MOESAIC_HW_SCHEDULE_OPS

include "Hw/HwDialect.td"
include "Hw/HwInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/IR/BuiltinAttributes.td"

def Hw_DenseMode : I32EnumAttr<"DenseMode", "how a dense op spreads over devices", [
    I32EnumAttrCase<"data", 0>, I32EnumAttrCase<"tensor", 1>,
    I32EnumAttrCase<"single", 2>]> {
  let cppNamespace = "::moesaic::hw";
}

def Hw_ScheduleOp : Hw_Op<"schedule", [Symbol, SingleBlock, NoTerminator,
    HasOnlyGraphRegion, RegionKindInterface]> {
  let summary = "The static schedule of a model on a system";
  let description = [{
    The result of a strategy's lowering pipeline: `model` names the
    `moe.model`, `target` the `hw.system`, `strategy` the pipeline that
    produced it. The body holds placement and streaming decisions; the
    runtime tables derived from them are emitted by `--schedule`. The
    verifier checks that both symbols resolve here and, once for the whole
    body, the streaming ops against each other and the target: one
    `hw.stream_ring`, every `hw.stream_shards` homed in the ring's order on
    devices of the target, and every `hw.stream_schedule` reading its
    layer's shards with buffers of one chunk that fit each home's SRAM.

    ```mlir
    hw.schedule @ep_plan strategy "ep" model @tiny target @ring4 {
      hw.place_dense layer 0 "attention" on [@c0, @c1, @c2, @c3] mode data
      hw.place_experts layer 0 [[@c0], [@c1], [@c2], [@c3]]
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrAttr:$strategy,
                       FlatSymbolRefAttr:$model, FlatSymbolRefAttr:$target);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `strategy` $strategy `model` $model `target` $target
    attr-dict-with-keyword $body
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    static ::mlir::RegionKind getRegionKind(unsigned index) {
      return ::mlir::RegionKind::Graph;
    }
    /// The system this schedule targets (null if the symbol is dangling).
    SystemOp getTargetSystem();
  }];
}

def Hw_PlaceDenseOp : Hw_Op<"place_dense", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface>]> {
  let summary = "Where a layer's dense part (attention, dense FFN) runs";
  let description = [{
    `what` names the part (`attention`, `dense_ffn`, `shared_experts`,
    `router`, or a generic compute kind). `mode` is `data` (weights
    replicated, tokens split), `tensor` (weights split, partial results
    reduced) or `single` (one device).

    ```mlir
    hw.place_dense layer 3 "attention" on [@c0, @c1] mode tensor
    ```
  }];
  let arguments = (ins I64Attr:$layer, StrAttr:$what,
                       FlatSymbolRefArrayAttr:$devices, Hw_DenseMode:$mode);
  let assemblyFormat = "`layer` $layer $what `on` $devices `mode` $mode attr-dict";
  let hasVerifier = 1;
}

def Hw_PlaceExpertsOp : Hw_Op<"place_experts", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface>]> {
  let summary = "Which devices hold each routed expert (with replicas)";
  let description = [{
    Entry `i` lists the devices holding a full copy of expert `i`; several
    devices mean replicas, among which the runtime splits the expert's
    tokens. Used by expert parallelism and its refinements (EPLB,
    FasterMoE shadowing, wafer placements).

    ```mlir
    hw.place_experts layer 0 [[@c0], [@c1, @c3], [@c2], [@c3]]
    ```
  }];
  let arguments = (ins I64Attr:$layer, ArrayAttr:$experts);
  let assemblyFormat = "`layer` $layer $experts attr-dict";
  let hasVerifier = 1;
}

def Hw_ShardExpertsOp : Hw_Op<"shard_experts", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface>]> {
  let summary = "Every routed expert split across a set of devices";
  let description = [{
    Each expert of the layer is split along its FFN dimension into
    `devices.size()` slices, slice `i` held by device `i` (tensor
    parallelism); `shard_bytes` is one slice's size. Partial results are
    reduced on the token's home device.

    ```mlir
    hw.shard_experts layer 0 across [@c0, @c1, @c2, @c3] shard_bytes 44040192
    ```
  }];
  let arguments = (ins I64Attr:$layer, FlatSymbolRefArrayAttr:$devices,
                       I64Attr:$shard_bytes);
  let assemblyFormat = "`layer` $layer `across` $devices `shard_bytes` $shard_bytes attr-dict";
  let hasVerifier = 1;
}

#endif // MOESAIC_HW_SCHEDULE_OPS
