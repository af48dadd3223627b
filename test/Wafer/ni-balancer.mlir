// NI-Balancer adds the migration policy; the chunk count follows from the
// expert unit size (3 x 256 x 512 x 2 bytes = 786432) and chunk-bytes.
// RUN: moe-opt %S/Inputs/moe16.mlir --pass-pipeline="builtin.module(moe-attach-target{hw=%S/Inputs/wafer-4x4.json},moe-create-schedule{strategy=er-mapping targets=wafer},moe-wafer-er-mapping{batch=64 ring-size=4},moe-wafer-ni-balancer{chunk-bytes=100000})" | FileCheck %s
// RUN: moe-opt %S/Inputs/moe16.mlir --pass-pipeline="builtin.module(moe-attach-target{hw=%S/Inputs/wafer-4x4.json},moe-create-schedule{strategy=wafer-baseline targets=wafer},moe-wafer-row-major,moe-wafer-ni-balancer{staging=stop-the-world trigger=1.5 window=2})" | FileCheck %s --check-prefix=STW

// CHECK:      hw.wafer_experts
// CHECK-NEXT: hw.wafer_balancer staging "non-invasive" window 4 trigger 1.300000e+00 max_swaps 4 cooldown 4 chunks 8 cold_fraction 5.000000e-01 horizon 8
// CHECK-NEXT: }

// STW: hw.wafer_balancer staging "stop-the-world" window 2 trigger 1.500000e+00 max_swaps 4 cooldown 4 chunks 1 cold_fraction 5.000000e-01 horizon 8
