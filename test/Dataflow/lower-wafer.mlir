// 4 experts on a 4x4 mesh: each expert split into 4 shard units.
// RUN: moe-opt %moesaic_src/test/Wafer/Inputs/moe4.mlir --pass-pipeline="builtin.module(moe-attach-target{hw=%moesaic_src/test/Wafer/Inputs/wafer-4x4.json},moe-create-schedule{strategy=er-mapping targets=wafer},moe-wafer-er-mapping{batch=64 ring-size=4},moe-wafer-ni-balancer{chunk-bytes=100000},moe-df-lower-wafer)" | FileCheck %s
// Running the lowering twice replaces the programs.
// RUN: moe-opt %moesaic_src/test/Wafer/Inputs/moe4.mlir --pass-pipeline="builtin.module(moe-attach-target{hw=%moesaic_src/test/Wafer/Inputs/wafer-4x4.json},moe-create-schedule{strategy=er-mapping targets=wafer},moe-wafer-er-mapping{batch=64 ring-size=4},moe-wafer-ni-balancer,moe-df-lower-wafer,moe-df-lower-wafer)" | FileCheck %s --check-prefix=ONCE
// The er-mapping pipeline ends with the lowering; 16 experts, one unit each:
// no fan-out where. The programs are in the schedule JSON.
// RUN: moe-opt %moesaic_src/test/Wafer/Inputs/moe16.mlir --hw=%moesaic_src/test/Wafer/Inputs/wafer-4x4.json --strategy=er-mapping -o - | FileCheck %s --check-prefix=PIPE
// RUN: moe-opt %moesaic_src/test/Wafer/Inputs/moe16.mlir --hw=%moesaic_src/test/Wafer/Inputs/wafer-4x4.json --strategy=er-mapping --schedule=- -o /dev/null | FileCheck %s --check-prefix=JSON

// CHECK: hw.wafer_balancer staging "non-invasive" window 4
// CHECK-NEXT: df.program "wafer.trigger.layer0" layer 0 attributes {dies = 16 : i64, experts = 4 : i64, shards = 4 : i64, window = 4 : i64} {
// CHECK-NEXT: %[[TOK:.*]] = df.input "tokens"
// CHECK-NEXT: %[[D:.*]]:4 = df.where %[[TOK]] control "gating" -> 4
// Expert e loads its shard units 4e .. 4e+3.
// CHECK-NEXT: %[[U:.*]]:16 = df.where %[[D]]#0, %[[D]]#1, %[[D]]#2, %[[D]]#3 adjacency dense<{{\[\[}}1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], {{.*}}, [0, 0, 0, 1]]> : tensor<16x4xi8> -> 16
// The placement: unit to die, chosen at run time.
// CHECK-NEXT: %[[P:.*]]:16 = df.where %[[U]]#0, {{.*}}, %[[U]]#15 control "select" -> 16
// CHECK-NEXT: %[[H0:.*]] = df.when %[[P]]#0 threshold 1 reset "none" control "threshold" at [0]
// CHECK: %[[H15:.*]] = df.when %[[P]]#15 threshold 1 reset "none" control "threshold" at [15]
// CHECK-NEXT: df.output "hot" %[[H0]], {{.*}}, %[[H15]]
// CHECK-NEXT: }
// CHECK-NEXT: df.program "wafer.trigger.layer1" layer 1
// CHECK: df.program "wafer.staging" layer -1 attributes {links = 48 : i64} {
// CHECK-NEXT: %[[C:.*]] = df.input "chunks"
// CHECK-NEXT: %[[R:.*]]:48 = df.where %[[C]] control "route" -> 48
// CHECK-NEXT: %[[O:.*]] = df.input "open"
// CHECK-NEXT: %[[S:.*]]:48 = df.where %[[O]] adjacency dense<1> : tensor<48x1xi8> -> 48
// CHECK-NEXT: %[[B0:.*]] = df.when %[[R]]#0, %[[S]]#0 threshold 1 reset "none" control "threshold" at [0]
// CHECK: %[[B47:.*]] = df.when %[[R]]#47, %[[S]]#47 threshold 1 reset "none" control "threshold" at [47]
// CHECK-NEXT: df.output "placed" %[[C]]
// CHECK-NEXT: df.output "blocked" %[[B0]], {{.*}}, %[[B47]]
// CHECK-NEXT: }

// ONCE-COUNT-1: df.program "wafer.staging"
// ONCE-NOT: df.program "wafer.staging"

// PIPE: hw.wafer_balancer staging "non-invasive"
// PIPE-NEXT: df.program "wafer.trigger.layer0" layer 0 attributes {dies = 16 : i64, experts = 16 : i64, shards = 1 : i64, window = 4 : i64} {
// PIPE-NEXT: %[[TOK:.*]] = df.input "tokens"
// PIPE-NEXT: %[[D:.*]]:16 = df.where %[[TOK]] control "gating" -> 16
// PIPE-NEXT: %{{.*}}:16 = df.where %[[D]]#0, {{.*}}, %[[D]]#15 control "select" -> 16

// JSON: "dataflow": {
// JSON-NEXT: "name": "wafer.staging",
// JSON: "control": "route",
// JSON: "control": "threshold",
// JSON: "params": {
// JSON-NEXT: "links": 48
// JSON: "name": "wafer.trigger.layer0",
// JSON: "control": "select",
// JSON: "params": {
// JSON-NEXT: "dies": 16,
// JSON-NEXT: "experts": 16,
// JSON-NEXT: "shards": 1,
// JSON-NEXT: "window": 4
