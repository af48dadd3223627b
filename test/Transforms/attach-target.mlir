// moe-attach-target inserts the hw.system of a preset or a JSON file at the
// start of the module; the result verifies (the pipe back into moe-opt runs
// the whole-system checks again).
// RUN: moe-opt %s --moe-attach-target=hw=edge-chiplet-4 | moe-opt | FileCheck %s --check-prefix=RING
// RUN: moe-opt %s --moe-attach-target=hw=edge-chiplet-8-mesh | moe-opt | FileCheck %s --check-prefix=MESH
// RUN: moe-opt %s --moe-attach-target=hw=gpu-ndp-edge | moe-opt | FileCheck %s --check-prefix=NDP
// RUN: moe-opt %s --moe-attach-target=hw=nvl72 | moe-opt | FileCheck %s --check-prefix=SWITCH
// RUN: moe-opt %s --moe-attach-target=hw=%S/Inputs/two-chiplets.json | moe-opt | FileCheck %s --check-prefix=FILE

// moe-opt --hw=X is the same as the pass.
// RUN: moe-opt %s --hw=edge-chiplet-4 > %t.flag
// RUN: moe-opt %s --moe-attach-target=hw=edge-chiplet-4 > %t.pass
// RUN: diff %t.flag %t.pass

// A module that already holds the system is left unchanged (one system).
// RUN: moe-opt %s --moe-attach-target=hw=edge-chiplet-4 | moe-opt --moe-attach-target=hw=edge-chiplet-4 | FileCheck %s --check-prefix=ONCE

// replace=true swaps the system for another one.
// RUN: moe-opt %s --moe-attach-target=hw=edge-chiplet-4 | moe-opt --moe-attach-target="hw=wafer-8x8 replace=true" | FileCheck %s --check-prefix=REPLACE

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}

// RING: hw.system @edge_chiplet_4 kind chiplet attributes {description = "4 edge chiplets in one package on a UCIe die-to-die ring, one LPDDR5X interface per chiplet", source_name = "edge-chiplet-4"} {
// RING-NEXT: hw.device @c0 kind chiplet {offchip_bytes = 17179869184 : i64, offchip_channels = 4 : i64, offchip_gbps = 6.830000e+01 : f64, onchip_bytes = 8388608 : i64, peak_tflops = {bf16 = 1.600000e+01 : f64, fp16 = 1.600000e+01 : f64, int8 = 3.200000e+01 : f64}}
// RING-NEXT: hw.device @c1 kind chiplet
// RING-NEXT: hw.device @c2 kind chiplet
// RING-NEXT: hw.device @c3 kind chiplet
// RING-NEXT: hw.topology ring [@c0, @c1, @c2, @c3] bw 1.280000e+02 lat 2.000000e+01 {type = "d2d"}
// RING-NEXT: }
// RING-NEXT: moe.model @m {

// MESH: hw.system @edge_chiplet_8_mesh kind chiplet
// MESH-NEXT: hw.device @c_0_0 kind chiplet at [0, 0]
// MESH: hw.device @c_1_3 kind chiplet at [1, 3]
// MESH-NEXT: hw.topology mesh [@c_0_0, @c_0_1, @c_0_2, @c_0_3, @c_1_0, @c_1_1, @c_1_2, @c_1_3] rows 2 cols 4 bw 1.280000e+02 lat 2.000000e+01 {type = "d2d"}

// NDP: hw.system @gpu_ndp_edge kind gpu_ndp
// NDP-NEXT: hw.device @gpu kind gpu
// NDP-NEXT: hw.device @host kind cpu
// NDP-NEXT: hw.device @ndp0 kind ndp {attached_to = @host,
// NDP: hw.device @ndp7 kind ndp {attached_to = @host,
// NDP-NEXT: hw.topology pcie [@gpu, @host] hub @host bw 3.150000e+01 lat 1.000000e+03 {type = "pcie"}
// NDP-NEXT: hw.topology pcie [@host, @ndp0, @ndp1, @ndp2, @ndp3, @ndp4, @ndp5, @ndp6, @ndp7] hub @host bw 3.840000e+01 lat 1.000000e+02 {type = "ddr"}

// The implicit switch of a switch topology is not a declared device.
// SWITCH: hw.system @nvl72 kind gpu_cluster
// SWITCH: hw.device @gpu71 kind gpu
// SWITCH-NOT: hw.device
// SWITCH: hw.topology switch [@gpu0,
// SWITCH-SAME: @gpu71] bw 9.000000e+02 lat 5.000000e+02 {type = "nvlink"}

// FILE: hw.system @two_chiplets kind chiplet attributes {description = "Two chiplets joined by one link (test input)", source_name = "two-chiplets"} {
// FILE-NEXT: hw.device @left kind chiplet at [0, 0] {offchip_bytes = 1073741824 : i64, offchip_gbps = 2.560000e+01 : f64, onchip_bytes = 1048576 : i64, peak_tflops = {bf16 = 8.000000e+00 : f64}}
// FILE-NEXT: hw.device @right kind chiplet at [0, 1]
// FILE-NEXT: hw.link @left -> @right bw 6.400000e+01 lat 1.500000e+01 bidirectional {type = "d2d"}
// FILE-NEXT: }

// ONCE: hw.system @edge_chiplet_4
// ONCE-NOT: hw.system

// REPLACE-NOT: hw.system @edge_chiplet_4
// REPLACE: hw.system @wafer_8x8 kind wafer
// REPLACE-NOT: hw.system
