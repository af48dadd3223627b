// RUN: moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-tensor-split | FileCheck %s
// RUN: moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-tensor-split="reduce-on=gpu quantum=1" | FileCheck %s --check-prefix=GPU

// 128 rows in proportion to 76.8 : 38.4 GB/s in blocks of 16 rows: 5.33 :
// 2.67 blocks -> 5 : 3 (largest remainder). Gathering two partials on the
// host uses both DDR links at once and crosses PCIe once: the cheapest.
// CHECK: hw.ndp_tensor_split layer 0 across [@ndp0, @ndp1] rows [80, 48] reduce_on @host
// CHECK-NOT: hw.ndp_tensor_split

// 128 x 2/3 = 85.3 -> 85 rows, 42.7 -> 43 rows.
// GPU: hw.ndp_tensor_split layer 0 across [@ndp0, @ndp1] rows [85, 43] reduce_on @gpu
