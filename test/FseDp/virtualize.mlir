// RUN: moe-opt %s --split-input-file --moe-fsedp-virtualize | FileCheck %s

// A 2 x 4 mesh: the snake ring runs along row 0, back along row 1.
// CHECK-LABEL: hw.schedule @mesh_plan
// CHECK: hw.stream_ring rule "snake" order [@c_0_0, @c_0_1, @c_0_2, @c_0_3, @c_1_3, @c_1_2, @c_1_1, @c_1_0]
hw.system @mesh8 kind chiplet {
  hw.device @c_0_0 kind chiplet at [0, 0] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c_0_1 kind chiplet at [0, 1] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c_0_2 kind chiplet at [0, 2] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c_0_3 kind chiplet at [0, 3] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c_1_0 kind chiplet at [1, 0] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c_1_1 kind chiplet at [1, 1] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c_1_2 kind chiplet at [1, 2] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c_1_3 kind chiplet at [1, 3] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology mesh [@c_0_0, @c_0_1, @c_0_2, @c_0_3, @c_1_0, @c_1_1, @c_1_2, @c_1_3] rows 2 cols 4 bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @mesh_plan strategy "fse-dp" model @m target @mesh8 {
}

// -----

// A ring keeps its declared order, whatever the device order; a stale ring
// is replaced.
// CHECK-LABEL: hw.schedule @ring_plan
// CHECK: hw.stream_ring rule "ring" order [@a, @c, @b]
// CHECK-NOT: hw.stream_ring
hw.system @ring3 kind chiplet {
  hw.device @a kind chiplet {onchip_bytes = 1048576 : i64, offchip_bytes = 1073741824 : i64, offchip_gbps = 50.0 : f64, peak_tflops = {bf16 = 8.0 : f64}}
  hw.device @b kind chiplet {onchip_bytes = 1048576 : i64, offchip_bytes = 1073741824 : i64, offchip_gbps = 50.0 : f64, peak_tflops = {bf16 = 8.0 : f64}}
  hw.device @c kind chiplet {onchip_bytes = 1048576 : i64, offchip_bytes = 1073741824 : i64, offchip_gbps = 50.0 : f64, peak_tflops = {bf16 = 8.0 : f64}}
  hw.topology ring [@a, @c, @b] bw 100.0 lat 10.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @ring_plan strategy "fse-dp" model @m target @ring3 {
  hw.stream_ring rule "explicit" order [@a, @b, @c]
}
