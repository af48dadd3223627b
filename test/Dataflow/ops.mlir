// RUN: moe-opt %s | FileCheck %s
// RUN: moe-opt %s | moe-opt | FileCheck %s

// Every df op and attribute round-trips through the custom assembly.
// CHECK-LABEL: df.program "demo" layer 0 attributes {experts = 2 : i64} {
// CHECK-NEXT: %[[A:.*]] = df.input "a" at [0]
// CHECK-NEXT: %[[B:.*]] = df.input "b"
// CHECK-NEXT: %[[R:.*]]:2 = df.where %[[A]], %[[B]] adjacency dense<{{\[\[}}1, 1], [0, 1]]> : tensor<2x2xi8> -> 2
// CHECK-NEXT: %[[G:.*]]:4 = df.where %[[R]]#0, %[[R]]#1 control "gating" -> 4
// CHECK-NEXT: %[[W:.*]] = df.when %[[G]]#0, %[[G]]#1, %[[G]]#2 threshold 3 reset "none" at [1, 2]
// CHECK-NEXT: %[[V:.*]] = df.when %[[G]]#3 threshold 2 reset "on_fire"
// CHECK-NEXT: %[[S:.*]] = df.input "s"
// CHECK-NEXT: %[[T:.*]] = df.where %[[S]] control "trajectory" at [0] -> 1
// CHECK-NEXT: %[[L:.*]] = df.where %[[S]] control "links" at [0, 1] -> 1
// CHECK-NEXT: df.output "fired" %[[W]], %[[V]], %[[T]], %[[L]]
df.program "demo" layer 0 attributes {experts = 2 : i64} {
  %a = df.input "a" at [0]
  %b = df.input "b"
  %r:2 = df.where %a, %b adjacency dense<[[1, 1], [0, 1]]> : tensor<2x2xi8> -> 2
  %g:4 = df.where %r#0, %r#1 control "gating" -> 4
  %w = df.when %g#0, %g#1, %g#2 threshold 3 reset "none" at [1, 2]
  %v = df.when %g#3 threshold 2 reset "on_fire"
  %s = df.input "s"
  %t:1 = df.where %s control "trajectory" at [0] -> 1
  %l:1 = df.where %s control "links" at [0, 1] -> 1
  df.output "fired" %w, %v, %t#0, %l#0
}

// A layer running another layer's program names it.
// CHECK: df.program_ref "demo.layer1" layer 1 to "demo"
df.program_ref "demo.layer1" layer 1 to "demo"
