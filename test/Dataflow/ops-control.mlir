// RUN: moe-opt %s | FileCheck %s
// RUN: moe-opt %s | moe-opt | FileCheck %s

// The run-time control ports of the ndp-tp and er-mapping programs
// round-trip: a select where (one run-time output per input), a route where
// (outputs from a run-time table by payload), a when whose threshold the
// run sets.
// CHECK-LABEL: df.program "controls" layer -1 attributes {links = 3 : i64} {
// CHECK-NEXT: %[[A:.*]] = df.input "a"
// CHECK-NEXT: %[[B:.*]] = df.input "b"
// CHECK-NEXT: %[[S:.*]]:3 = df.where %[[A]], %[[B]] control "select" -> 3
// CHECK-NEXT: %[[R:.*]]:3 = df.where %[[S]]#0 control "route" at [1] -> 3
// CHECK-NEXT: %[[W:.*]] = df.when %[[R]]#0, %[[R]]#1, %[[R]]#2, %[[S]]#1, %[[S]]#2 threshold 2 reset "none" control "threshold" at [4]
// CHECK-NEXT: df.output "o" %[[W]]
df.program "controls" layer -1 attributes {links = 3 : i64} {
  %a = df.input "a"
  %b = df.input "b"
  %s:3 = df.where %a, %b control "select" -> 3
  %r:3 = df.where %s#0 control "route" at [1] -> 3
  %w = df.when %r#0, %r#1, %r#2, %s#1, %s#2 threshold 2 reset "none" control "threshold" at [4]
  df.output "o" %w
}
