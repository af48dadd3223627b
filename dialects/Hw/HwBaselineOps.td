//===- HwBaselineOps.td - Schedule ops of the baselines ----*- tablegen -*-===//
//
// Ops only the baseline strategies (EPLB, FasterMoE) emit, beside the common
// hw.place_dense / hw.place_experts / hw.shard_experts.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_HW_BASELINE_OPS
#define MOESAIC_HW_BASELINE_OPS

include "Hw/HwDialect.td"
include "Hw/HwInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"

def Hw_ObservedLoadOp : Hw_Op<"observed_load", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface>]> {
  let summary = "Expert load observed before placement (EPLB's statistics)";
  let description = [{
    Tokens routed to each expert of `layer` over the first `steps` decode
    steps of the workload, as EPLB's load statistics: the placement of the
    same layer was computed from these counts. Exported as
    `"observed_load": {"steps": N, "tokens": [...]}`.

    ```mlir
    hw.observed_load layer 0 steps 4 [12, 3, 0, 7]
    ```
  }];
  let arguments = (ins I64Attr:$layer, I64Attr:$steps,
                       DenseI64ArrayAttr:$tokens);
  let assemblyFormat = "`layer` $layer `steps` $steps $tokens attr-dict";
  let hasVerifier = 1;
}

def Hw_ShadowExpertsOp : Hw_Op<"shadow_experts", [HasParent<"ScheduleOp">,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface>]> {
  let summary = "FasterMoE dynamic shadowing of hot experts in a layer";
  let description = [{
    Per decode step the runtime shadows (broadcasts to every device in
    `devices`) at most `max_shadows` of the layer's experts, greedily from
    the most loaded, while FasterMoE's roofline model of the layer's
    latency keeps dropping. `budget_bytes` is the per-device memory set
    aside for shadow copies (max_shadows x expert bytes). Exported as
    `"shadowing": {"devices": [...], "max_shadows": K, "budget_bytes": B}`.

    ```mlir
    hw.shadow_experts layer 0 on [@c0, @c1, @c2, @c3] max_shadows 2 budget_bytes 98304
    ```
  }];
  let arguments = (ins I64Attr:$layer, FlatSymbolRefArrayAttr:$devices,
                       I64Attr:$max_shadows, I64Attr:$budget_bytes);
  let assemblyFormat = [{
    `layer` $layer `on` $devices `max_shadows` $max_shadows
    `budget_bytes` $budget_bytes attr-dict
  }];
  let hasVerifier = 1;
}

#endif // MOESAIC_HW_BASELINE_OPS
