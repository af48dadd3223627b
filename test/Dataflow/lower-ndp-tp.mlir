// RUN: moe-opt %moesaic_src/test/Ndp/Inputs/tiny-edge.mlir --moe-ndp-vram-plan --moe-ndp-tensor-split --moe-ndp-load-balance="granularity=2" --moe-df-lower-ndp-tp | FileCheck %s
// Running the lowering twice replaces the program instead of adding one.
// RUN: moe-opt %moesaic_src/test/Ndp/Inputs/tiny-edge.mlir --moe-ndp-vram-plan --moe-ndp-tensor-split --moe-ndp-load-balance --moe-df-lower-ndp-tp --moe-df-lower-ndp-tp | FileCheck %s --check-prefix=ONCE
// The ndp-tp pipeline ends with the lowering; the program is in the
// schedule JSON under the MoE layer's "dataflow" key.
// RUN: moe-opt %moesaic_src/examples/tiny-moe.mlir --hw=%moesaic_src/test/Ndp/Inputs/gpu-ndp-small.json --strategy=ndp-tp --schedule=- -o /dev/null | FileCheck %s --check-prefix=JSON

// tiny-moe: 8 experts, top-2; two NDP units; granularity 2.
// CHECK: hw.ndp_balance cold "ndp-tp" granularity 2
// CHECK-NEXT: df.program "ndptp.layer0" layer 0 attributes {experts = 8 : i64, granularity = 2 : i64, units = 2 : i64} {
// CHECK-NEXT: %[[TOK:.*]] = df.input "tokens"
// CHECK-NEXT: %[[D:.*]]:8 = df.where %[[TOK]] control "gating" -> 8
// CHECK-NEXT: %[[BAL:.*]] = df.input "balanced"
// Expert 0: active on its first token, a GPU candidate when also in VRAM,
// its 2 slices released once balanced and sent to the chosen side.
// CHECK-NEXT: %[[A0:.*]] = df.when %[[D]]#0 threshold 1 reset "none" at [0]
// CHECK-NEXT: %[[V0:.*]] = df.input "vram.0" at [0]
// CHECK-NEXT: %[[G0:.*]] = df.when %[[A0]], %[[V0]] threshold 2 reset "none" at [0]
// CHECK-NEXT: %[[R0:.*]] = df.when %[[A0]], %[[BAL]] threshold 2 reset "none" at [0]
// CHECK-NEXT: %[[S0:.*]]:2 = df.where %[[R0]] adjacency dense<1> : tensor<2x1xi8> at [0] -> 2
// CHECK-NEXT: %[[SIDE0:.*]]:2 = df.where %[[S0]]#0, %[[S0]]#1 control "select" at [0] -> 2
// CHECK-NEXT: %[[A1:.*]] = df.when %[[D]]#1 threshold 1 reset "none" at [1]
// CHECK: %[[SIDE7:.*]]:2 = df.where %{{.*}}#0, %{{.*}}#1 control "select" at [7] -> 2
// Every NDP slice goes to both units (tensor parallelism).
// CHECK-NEXT: %[[U:.*]]:2 = df.where %[[SIDE0]]#1, {{.*}}, %[[SIDE7]]#1 adjacency dense<1> : tensor<2x8xi8> -> 2
// CHECK-NEXT: df.output "active" %[[A0]], %[[A1]], {{.*}}
// CHECK-NEXT: df.output "gpu_candidates" %[[G0]], {{.*}}
// CHECK-NEXT: df.output "gpu_slices" %[[SIDE0]]#0, {{.*}}, %[[SIDE7]]#0
// CHECK-NEXT: df.output "unit_slices" %[[U]]#0, %[[U]]#1
// CHECK-NEXT: }

// ONCE-COUNT-1: df.program "ndptp.layer0"
// ONCE-NOT: df.program

// JSON: "dataflow": {
// JSON-NEXT: "name": "ndptp.layer0",
// JSON: "control": "gating",
// JSON: "outputs": 8
// JSON: "control": "select",
// JSON: "port": "unit_slices"
// JSON: "params": {
// JSON-NEXT: "experts": 8,
// JSON-NEXT: "granularity": 4,
// JSON-NEXT: "units": 8
// JSON: "name": "ndptp.layer1",
