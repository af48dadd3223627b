// Every op and enum value of the hw system description survives print ->
// parse -> print unchanged, in the custom and in the generic form.
// RUN: moe-opt %s > %t.custom
// RUN: moe-opt %t.custom > %t.again
// RUN: diff %t.custom %t.again
// RUN: moe-opt %s --mlir-print-op-generic | moe-opt > %t.fromgeneric
// RUN: diff %t.custom %t.fromgeneric
// RUN: FileCheck %s < %t.custom

hw.system @ring4 kind chiplet attributes {description = "4 chiplets on a ring"} {
  hw.device @c0 kind chiplet at [0, 0] {offchip_bytes = 4294967296 : i64, offchip_channels = 4 : i64, offchip_gbps = 5.120000e+01 : f64, onchip_bytes = 4194304 : i64, peak_tflops = {bf16 = 1.600000e+01 : f64, int8 = 3.200000e+01 : f64}}
  hw.device @c1 kind chiplet at [0, 1] {offchip_bytes = 4294967296 : i64, offchip_gbps = 5.120000e+01 : f64, onchip_bytes = 4194304 : i64, peak_tflops = {bf16 = 1.600000e+01 : f64}}
  hw.device @c2 kind chiplet at [1, 1] {offchip_bytes = 4294967296 : i64, offchip_gbps = 5.120000e+01 : f64, peak_tflops = {bf16 = 1.600000e+01 : f64}}
  hw.device @c3 kind chiplet at [1, 0] {peak_tflops = {bf16 = 1.600000e+01 : f64}}
  hw.topology ring [@c0, @c1, @c2, @c3] bw 1.280000e+02 lat 2.000000e+01 {type = "d2d"}
  hw.link @c0 -> @c2 bw 6.400000e+01 lat 4.000000e+01 bidirectional {type = "d2d"}
  hw.link @c1 -> @c3 bw 3.200000e+01 lat 4.000000e+01
}

hw.system @wafer2x2 kind wafer {
  hw.device @d00 kind die at [0, 0] {peak_tflops = {bf16 = 2.500000e+02 : f64}}
  hw.device @d01 kind die at [0, 1] {peak_tflops = {bf16 = 2.500000e+02 : f64}}
  hw.device @d10 kind die at [1, 0] {peak_tflops = {bf16 = 2.500000e+02 : f64}}
  hw.device @d11 kind die at [1, 1] {peak_tflops = {bf16 = 2.500000e+02 : f64}}
  hw.topology mesh [@d00, @d01, @d10, @d11] rows 2 cols 2 bw 5.000000e+02 lat 1.000000e+01
  hw.link @d00 -> @d01 bw 1.000000e+02 lat 1.000000e+01 bidirectional
}

hw.system @gpu_ndp kind gpu_ndp {
  hw.device @gpu kind gpu {offchip_bytes = 17179869184 : i64, offchip_gbps = 7.168000e+02 : f64, peak_tflops = {bf16 = 9.750000e+01 : f64, fp8 = 1.950000e+02 : f64}}
  hw.device @host kind cpu {offchip_bytes = 274877906944 : i64, offchip_gbps = 1.536000e+02 : f64, peak_tflops = {bf16 = 2.000000e+00 : f64, fp32 = 1.000000e+00 : f64}}
  hw.device @ndp0 kind ndp {attached_to = @host, offchip_bytes = 34359738368 : i64, offchip_gbps = 7.680000e+01 : f64, peak_tflops = {bf16 = 5.000000e-01 : f64}}
  hw.device @ndp1 kind ndp {attached_to = @host, offchip_bytes = 34359738368 : i64, offchip_gbps = 7.680000e+01 : f64, peak_tflops = {bf16 = 5.000000e-01 : f64}}
  hw.topology pcie [@gpu, @host] hub @host bw 3.150000e+01 lat 1.000000e+03 {type = "pcie"}
  hw.topology pcie [@host, @ndp0, @ndp1] hub @host bw 3.840000e+01 lat 1.000000e+02 {type = "ddr"}
}

hw.system @cluster kind gpu_cluster {
  hw.device @g0 kind gpu {peak_tflops = {bf16 = 2.500000e+03 : f64}}
  hw.device @g1 kind gpu {peak_tflops = {bf16 = 2.500000e+03 : f64}}
  hw.device @g2 kind gpu {peak_tflops = {bf16 = 2.500000e+03 : f64}}
  hw.topology switch [@g0, @g1, @g2] bw 9.000000e+02 lat 5.000000e+02 {type = "nvlink"}
}

hw.system @one_way kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {fp16 = 1.000000e+00 : f64}}
  hw.device @b kind chiplet {peak_tflops = {int4 = 4.000000e+00 : f64}}
  hw.link @a -> @b bw 1.000000e+01 lat 0.000000e+00
  hw.link @b -> @a bw 5.000000e+00 lat 1.000000e+00
}

hw.system @single kind chiplet {
  hw.device @only kind chiplet
}

// CHECK-LABEL: hw.system @ring4 kind chiplet attributes {description = "4 chiplets on a ring"} {
// CHECK-NEXT: hw.device @c0 kind chiplet at [0, 0] {offchip_bytes = 4294967296 : i64, offchip_channels = 4 : i64, offchip_gbps = 5.120000e+01 : f64, onchip_bytes = 4194304 : i64, peak_tflops = {bf16 = 1.600000e+01 : f64, int8 = 3.200000e+01 : f64}}
// CHECK-NEXT: hw.device @c1 kind chiplet at [0, 1] {offchip_bytes = 4294967296 : i64, offchip_gbps = 5.120000e+01 : f64, onchip_bytes = 4194304 : i64, peak_tflops = {bf16 = 1.600000e+01 : f64}}
// CHECK-NEXT: hw.device @c2 kind chiplet at [1, 1] {offchip_bytes = 4294967296 : i64, offchip_gbps = 5.120000e+01 : f64, peak_tflops = {bf16 = 1.600000e+01 : f64}}
// CHECK-NEXT: hw.device @c3 kind chiplet at [1, 0] {peak_tflops = {bf16 = 1.600000e+01 : f64}}
// CHECK-NEXT: hw.topology ring [@c0, @c1, @c2, @c3] bw 1.280000e+02 lat 2.000000e+01 {type = "d2d"}
// CHECK-NEXT: hw.link @c0 -> @c2 bw 6.400000e+01 lat 4.000000e+01 bidirectional {type = "d2d"}
// CHECK-NEXT: hw.link @c1 -> @c3 bw 3.200000e+01 lat 4.000000e+01
// CHECK-NEXT: }
// CHECK-LABEL: hw.system @wafer2x2 kind wafer {
// CHECK-NEXT: hw.device @d00 kind die at [0, 0] {peak_tflops = {bf16 = 2.500000e+02 : f64}}
// CHECK-NEXT: hw.device @d01 kind die at [0, 1] {peak_tflops = {bf16 = 2.500000e+02 : f64}}
// CHECK-NEXT: hw.device @d10 kind die at [1, 0] {peak_tflops = {bf16 = 2.500000e+02 : f64}}
// CHECK-NEXT: hw.device @d11 kind die at [1, 1] {peak_tflops = {bf16 = 2.500000e+02 : f64}}
// CHECK-NEXT: hw.topology mesh [@d00, @d01, @d10, @d11] rows 2 cols 2 bw 5.000000e+02 lat 1.000000e+01
// CHECK-NEXT: hw.link @d00 -> @d01 bw 1.000000e+02 lat 1.000000e+01 bidirectional
// CHECK-NEXT: }
// CHECK-LABEL: hw.system @gpu_ndp kind gpu_ndp {
// CHECK-NEXT: hw.device @gpu kind gpu {offchip_bytes = 17179869184 : i64, offchip_gbps = 716.79999999999995 : f64, peak_tflops = {bf16 = 9.750000e+01 : f64, fp8 = 1.950000e+02 : f64}}
// CHECK-NEXT: hw.device @host kind cpu {offchip_bytes = 274877906944 : i64, offchip_gbps = 1.536000e+02 : f64, peak_tflops = {bf16 = 2.000000e+00 : f64, fp32 = 1.000000e+00 : f64}}
// CHECK-NEXT: hw.device @ndp0 kind ndp {attached_to = @host, offchip_bytes = 34359738368 : i64, offchip_gbps = 76.799999999999997 : f64, peak_tflops = {bf16 = 5.000000e-01 : f64}}
// CHECK-NEXT: hw.device @ndp1 kind ndp {attached_to = @host, offchip_bytes = 34359738368 : i64, offchip_gbps = 76.799999999999997 : f64, peak_tflops = {bf16 = 5.000000e-01 : f64}}
// CHECK-NEXT: hw.topology pcie [@gpu, @host] hub @host bw 3.150000e+01 lat 1.000000e+03 {type = "pcie"}
// CHECK-NEXT: hw.topology pcie [@host, @ndp0, @ndp1] hub @host bw 3.840000e+01 lat 1.000000e+02 {type = "ddr"}
// CHECK-NEXT: }
// CHECK-LABEL: hw.system @cluster kind gpu_cluster {
// CHECK-NEXT: hw.device @g0 kind gpu {peak_tflops = {bf16 = 2.500000e+03 : f64}}
// CHECK-NEXT: hw.device @g1 kind gpu {peak_tflops = {bf16 = 2.500000e+03 : f64}}
// CHECK-NEXT: hw.device @g2 kind gpu {peak_tflops = {bf16 = 2.500000e+03 : f64}}
// CHECK-NEXT: hw.topology switch [@g0, @g1, @g2] bw 9.000000e+02 lat 5.000000e+02 {type = "nvlink"}
// CHECK-NEXT: }
// CHECK-LABEL: hw.system @one_way kind chiplet {
// CHECK-NEXT: hw.device @a kind chiplet {peak_tflops = {fp16 = 1.000000e+00 : f64}}
// CHECK-NEXT: hw.device @b kind chiplet {peak_tflops = {int4 = 4.000000e+00 : f64}}
// CHECK-NEXT: hw.link @a -> @b bw 1.000000e+01 lat 0.000000e+00
// CHECK-NEXT: hw.link @b -> @a bw 5.000000e+00 lat 1.000000e+00
// CHECK-NEXT: }
// CHECK-LABEL: hw.system @single kind chiplet {
// CHECK-NEXT: hw.device @only kind chiplet
// CHECK-NEXT: }
