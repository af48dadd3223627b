// The wafer baseline: rings of consecutive dies in row-major order and
// experts filling the dies in row-major order.
// RUN: moe-opt %S/Inputs/moe16.mlir --pass-pipeline="builtin.module(moe-attach-target{hw=%S/Inputs/wafer-4x4.json},moe-create-schedule{strategy=wafer-baseline targets=wafer},moe-wafer-row-major{ring-size=4})" | FileCheck %s

// CHECK:      hw.schedule @wafer_baseline_plan strategy "wafer-baseline"
// CHECK-NEXT:   hw.wafer_rings dispatch "owner" rings {{\[}}[@d_0_0, @d_0_1, @d_0_2, @d_0_3], [@d_1_0, @d_1_1, @d_1_2, @d_1_3], [@d_2_0, @d_2_1, @d_2_2, @d_2_3], [@d_3_0, @d_3_1, @d_3_2, @d_3_3]] domains {{\[}}[@d_0_0, @d_0_1, @d_0_2, @d_0_3, @d_1_0, @d_1_1, @d_1_2, @d_1_3, @d_2_0, @d_2_1, @d_2_2, @d_2_3, @d_3_0, @d_3_1, @d_3_2, @d_3_3]] {candidate = "row-major baseline", ring_size = 4 : i64}
// CHECK-NEXT:   hw.wafer_experts experts 16 shards 1 per_die 1 units [@d_0_0, @d_0_1, @d_0_2, @d_0_3, @d_1_0, @d_1_1, @d_1_2, @d_1_3, @d_2_0, @d_2_1, @d_2_2, @d_2_3, @d_3_0, @d_3_1, @d_3_2, @d_3_3]
