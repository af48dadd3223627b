// RUN: moe-opt %S/Inputs/ring4-two-experts.mlir --moe-fsedp-virtualize --moe-fsedp-shard-experts --moe-df-lower-fsedp | FileCheck %s
// Running the lowering twice replaces the program instead of adding one.
// RUN: moe-opt %S/Inputs/ring4-two-experts.mlir --moe-fsedp-virtualize --moe-fsedp-shard-experts --moe-df-lower-fsedp --moe-df-lower-fsedp | FileCheck %s --check-prefix=ONCE
// Layers of one shape share a program: layer 1 (2 experts, like layer 0)
// names layer 0's, layer 2 (4 experts) has its own; rerunning the lowering
// replaces programs and references alike.
// RUN: moe-opt %S/Inputs/ring4-three-layers.mlir --moe-fsedp-virtualize --moe-fsedp-shard-experts --moe-df-lower-fsedp --moe-df-lower-fsedp | FileCheck %s --check-prefix=SHARED
// SHARED: df.program "fsedp.layer0" layer 0 attributes {chiplets = 4 : i64, chunks = 127 : i64, experts = 2 : i64} {
// SHARED: df.program_ref "fsedp.layer1" layer 1 to "fsedp.layer0"
// SHARED-NEXT: df.program "fsedp.layer2" layer 2 attributes {chiplets = 4 : i64, chunks = 127 : i64, experts = 4 : i64} {
// SHARED-NOT: df.program

// N = 4 chiplets, E = 2 experts, S = 127 chunks: the ready threshold is
// N*S + 1 = 509 (all shard chunks plus the holder token).
// The program comes first in the schedule (a df.program_ref finds it in a
// few steps), the stream ops it describes after it.
// CHECK: hw.schedule @plan
// CHECK-NEXT: df.program "fsedp.layer0" layer 0 attributes {chiplets = 4 : i64, chunks = 127 : i64, experts = 2 : i64} {
// CHECK-NEXT: %[[T0:.*]] = df.input "tokens.0" at [0]
// CHECK-NEXT: %[[T1:.*]] = df.input "tokens.1" at [1]
// CHECK-NEXT: %[[T2:.*]] = df.input "tokens.2" at [2]
// CHECK-NEXT: %[[T3:.*]] = df.input "tokens.3" at [3]
// Dispatch: the gating routes 4 token streams to 2 x 4 (expert, chiplet).
// CHECK-NEXT: %[[D:.*]]:8 = df.where %[[T0]], %[[T1]], %[[T2]], %[[T3]] control "gating" -> 8
// Replicated tokens (rule V4): one port, dispatched to the 2 experts only.
// CHECK-NEXT: %[[TR:.*]] = df.input "tokens.replicated"{{$}}
// CHECK-NEXT: %[[DR:.*]]:2 = df.where %[[TR]] control "gating" -> 2
// Activation of each expert on its first token.
// CHECK-NEXT: %[[A0:.*]] = df.when %[[D]]#0, %[[D]]#1, %[[D]]#2, %[[D]]#3 threshold 1 reset "none" at [0]
// CHECK-NEXT: %[[A1:.*]] = df.when %[[D]]#4, %[[D]]#5, %[[D]]#6, %[[D]]#7 threshold 1 reset "none" at [1]
// CHECK-NEXT: %[[AR0:.*]] = df.when %[[DR]]#0 threshold 1 reset "none" at [0]
// CHECK-NEXT: %[[AR1:.*]] = df.when %[[DR]]#1 threshold 1 reset "none" at [1]
// Holders of expert 0.
// CHECK-NEXT: %[[H00:.*]] = df.when %[[D]]#0 threshold 1 reset "none" at [0, 0]
// CHECK-NEXT: %[[H01:.*]] = df.when %[[D]]#1 threshold 1 reset "none" at [0, 1]
// CHECK-NEXT: %[[H02:.*]] = df.when %[[D]]#2 threshold 1 reset "none" at [0, 2]
// CHECK-NEXT: %[[H03:.*]] = df.when %[[D]]#3 threshold 1 reset "none" at [0, 3]
// Its shards and their trajectory routing.
// CHECK-NEXT: %[[S0:.*]] = df.input "shards.0.0" at [0, 0]
// CHECK-NEXT: %[[S1:.*]] = df.input "shards.0.1" at [0, 1]
// CHECK-NEXT: %[[S2:.*]] = df.input "shards.0.2" at [0, 2]
// CHECK-NEXT: %[[S3:.*]] = df.input "shards.0.3" at [0, 3]
// CHECK-NEXT: %[[R:.*]]:4 = df.where %[[S0]], %[[S1]], %[[S2]], %[[S3]] control "trajectory" at [0] -> 4
// The same trajectory seen by the clockwise and counter-clockwise links.
// CHECK-NEXT: %[[LCW0:.*]]:4 = df.where %[[S0]], %[[S1]], %[[S2]], %[[S3]] control "links" at [0, 0] -> 4
// CHECK-NEXT: %[[LCCW0:.*]]:4 = df.where %[[S0]], %[[S1]], %[[S2]], %[[S3]] control "links" at [0, 1] -> 4
// CHECK-NEXT: %[[Y00:.*]] = df.when %[[H00]], %[[R]]#0 threshold 509 reset "none" at [0, 0]
// CHECK-NEXT: df.when %[[H01]], %[[R]]#1 threshold 509 reset "none" at [0, 1]
// CHECK: df.input "shards.1.3" at [1, 3]
// CHECK: %[[LCW1:.*]]:4 = df.where {{.*}} control "links" at [1, 0] -> 4
// CHECK-NEXT: %[[LCCW1:.*]]:4 = df.where {{.*}} control "links" at [1, 1] -> 4
// Link occupancy: one `when` per directed link over every expert's edge
// into it, firing once per shard (S = 127 chunks) crossing.
// CHECK: %[[K0:.*]] = df.when %[[LCW0]]#0, %[[LCW1]]#0 threshold 127 reset "on_fire" at [0]
// CHECK: df.when %[[LCCW0]]#3, %[[LCCW1]]#3 threshold 127 reset "on_fire" at [7]
// CHECK-NEXT: df.output "active" %[[A0]], %[[A1]]
// CHECK-NEXT: df.output "ready" %[[Y00]], {{(%[0-9]+, ){6}%[0-9]+$}}
// CHECK-NEXT: df.output "active.replicated" %[[AR0]], %[[AR1]]
// CHECK-NEXT: df.output "links" %[[K0]], {{(%[0-9]+, ){6}%[0-9]+$}}
// CHECK-NEXT: }
// CHECK-NEXT: hw.stream_ring
// CHECK-NEXT: hw.stream_shards layer 0 experts 2 {{.*}} chunks 127
// CHECK-NEXT: }

// ONCE-COUNT-1: df.program
