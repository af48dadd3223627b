// RUN: moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-vram-plan --moe-ndp-tensor-split --moe-ndp-load-balance="granularity=8" | FileCheck %s --check-prefix=TP
// RUN: moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-vram-plan=policy=profile --moe-ndp-expert-parallel --moe-ndp-load-balance=cold=ndp-ep | FileCheck %s --check-prefix=EP
// RUN: moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-vram-plan=policy=profile --moe-ndp-load-balance=cold=cpu | FileCheck %s --check-prefix=CPU
// RUN: moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-vram-plan=policy=lru --moe-ndp-load-balance=cold=fetch | FileCheck %s --check-prefix=FETCH

// TP: hw.ndp_vram_plan {{.*}} policy online
// TP-NEXT: hw.ndp_tensor_split layer 0
// TP-NEXT: hw.ndp_balance cold "ndp-tp" granularity 8

// EP: hw.ndp_vram_plan {{.*}} policy profile
// EP-NEXT: hw.place_experts layer 0
// EP-NEXT: hw.ndp_balance cold "ndp-ep" granularity 4

// CPU: hw.ndp_balance cold cpu granularity 4
// FETCH: hw.ndp_balance cold fetch granularity 4
