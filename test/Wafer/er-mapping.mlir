// ER-Mapping on a 4 x 4 wafer: every die gets one expert unit, the rings
// partition the dies, and the modelled cost is recorded on the rings op.
// RUN: moe-opt %S/Inputs/moe16.mlir --pass-pipeline="builtin.module(moe-attach-target{hw=%S/Inputs/wafer-4x4.json},moe-create-schedule{strategy=er-mapping targets=wafer},moe-wafer-er-mapping{batch=64 ring-size=4})" | FileCheck %s
// RUN: moe-opt %S/Inputs/moe4.mlir --pass-pipeline="builtin.module(moe-attach-target{hw=%S/Inputs/wafer-4x4.json},moe-create-schedule{strategy=er-mapping targets=wafer},moe-wafer-er-mapping{batch=256 ring-size=2})" | FileCheck %s --check-prefix=SHARDS

// CHECK:      hw.schedule @er_mapping_plan strategy "er-mapping" model @moe16 target @wafer_4x4_test {
// Compact 2 x 2 rings: every ring edge is one hop.
// CHECK-NEXT:   hw.wafer_rings dispatch "owner" rings {{\[}}[@d_0_0, @d_1_0, @d_1_1, @d_0_1], [@d_0_2, @d_1_2, @d_1_3, @d_0_3], [@d_2_0, @d_3_0, @d_3_1, @d_2_1], [@d_2_2, @d_3_2, @d_3_3, @d_2_3]]
// CHECK-SAME:   candidate = "compact rings, owner dispatch"
// CHECK-SAME:   ring_size = 4 : i64
// CHECK-NEXT:   hw.wafer_experts experts 16 shards 1 per_die 1 units [@d_{{[0-3]}}_{{[0-3]}}
// CHECK-NOT:    hw.wafer_balancer

// Four experts on sixteen dies: each expert split into four slices on four
// distinct dies.
// SHARDS:      hw.wafer_rings dispatch "owner"
// SHARDS-SAME: ring_size = 2 : i64
// SHARDS:      hw.wafer_experts experts 4 shards 4 per_die 1 units
