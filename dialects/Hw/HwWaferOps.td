//===- HwWaferOps.td - Wafer-scale placement and migration -*- tablegen -*-===//
//
// What the wafer strategies (er-mapping, wafer-baseline) decide, inside a
// `hw.schedule`: the attention rings and token domains (`hw.wafer_rings`),
// the die of every expert unit (`hw.wafer_experts`) and the runtime
// balancer's settings (`hw.wafer_balancer`). docs/wafer.md explains them.
// They belong to the whole model: each exports under the schedule JSON's
// layer -1 entry ("wafer_rings", "wafer_experts", "wafer_balancer").
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_HW_WAFER_OPS
#define MOESAIC_HW_WAFER_OPS

include "Hw/HwDialect.td"
include "Hw/HwInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"

def Hw_SymbolArrayArrayAttr : TypedArrayAttrBase<FlatSymbolRefArrayAttr,
    "array of arrays of device symbols">;

def Hw_WaferRingsOp : Hw_Op<"wafer_rings", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface, ["getEntryLayer"]>]> {
  let summary = "Attention tensor-parallel rings and MoE token domains";
  let description = [{
    `rings` lists the dies of every attention tensor-parallel ring in ring
    order (a ring all-reduce sends to the next die and, bidirectionally, to
    the previous one). `domains` partitions the dies; with `dispatch
    "domain"` each domain holds one member of every ring, and an expert die
    receives a token from that token's ring member in its own domain (the
    MoE all-to-all stays inside domains). With `dispatch "owner"` there is
    one domain and each token is sent by its owner in its ring.

    ```mlir
    hw.wafer_rings dispatch "domain"
        rings [[@d_0_0, @d_0_2], [@d_0_1, @d_0_3]]
        domains [[@d_0_0, @d_0_1], [@d_0_2, @d_0_3]]
    ```
  }];
  let arguments = (ins StrAttr:$dispatch, Hw_SymbolArrayArrayAttr:$rings,
                       Hw_SymbolArrayArrayAttr:$domains);
  let assemblyFormat = [{
    `dispatch` $dispatch `rings` $rings `domains` $domains attr-dict
  }];
  let hasVerifier = 1;
}

def Hw_WaferExpertsOp : Hw_Op<"wafer_experts", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface, ["getEntryLayer"]>]> {
  let summary = "The die of every expert unit (static placement)";
  let description = [{
    The static expert placement every MoE layer starts from: with
    `shards` = 1 entry `e` of `units` is the die of expert `e`; with
    `shards` = s > 1 each expert is split along its FFN dimension into s
    slices and entry `e * s + i` is the die of slice `i`. A die holds at
    most `per_die` units. The runtime's balancer migrates units per layer
    from here (`hw.wafer_balancer`).

    ```mlir
    hw.wafer_experts experts 4 shards 1 per_die 1 units [@d_0_0, @d_0_1, @d_1_0, @d_1_1]
    ```
  }];
  let arguments = (ins I64Attr:$experts, I64Attr:$shards, I64Attr:$per_die,
                       FlatSymbolRefArrayAttr:$units);
  let assemblyFormat = [{
    `experts` $experts `shards` $shards `per_die` $per_die `units` $units
    attr-dict
  }];
  let hasVerifier = 1;
}

def Hw_WaferBalancerOp : Hw_Op<"wafer_balancer", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface, ["getEntryLayer"]>]> {
  let summary = "Runtime expert-migration policy and its staging";
  let description = [{
    The runtime part of a wafer schedule. Every `window` steps of observed
    expert load per layer, when the busiest die carries more than `trigger`
    times the mean, the balancer swaps up to `max_swaps` expert units
    between the hottest and coldest dies (at most once per `cooldown`
    steps). `staging` says how the weights move: `"stop-the-world"` sends
    every move at once before the next step; `"non-invasive"` cuts each move
    into `chunks` pieces placed in (layer, phase) slots whose links are cold
    (load at most `cold_fraction` of the phase's busiest link) and idle while
    the phase computes; a move still pending `horizon` steps after its
    decision is forced: all its chunks left go in the next step's slots,
    whether or not they fit.

    ```mlir
    hw.wafer_balancer staging "non-invasive" window 4 trigger 1.3
        max_swaps 4 cooldown 4 chunks 22 cold_fraction 0.5 horizon 8
    ```
  }];
  let arguments = (ins StrAttr:$staging, I64Attr:$window, F64Attr:$trigger,
                       I64Attr:$max_swaps, I64Attr:$cooldown, I64Attr:$chunks,
                       F64Attr:$cold_fraction, I64Attr:$horizon);
  let assemblyFormat = [{
    `staging` $staging `window` $window `trigger` $trigger
    `max_swaps` $max_swaps `cooldown` $cooldown `chunks` $chunks
    `cold_fraction` $cold_fraction `horizon` $horizon attr-dict
  }];
  let hasVerifier = 1;
}

#endif // MOESAIC_HW_WAFER_OPS
