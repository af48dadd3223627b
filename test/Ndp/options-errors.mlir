// RUN: not moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-tensor-split=reduce-on=disk 2>&1 | FileCheck %s
// RUN: not moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-load-balance 2>&1 | FileCheck %s --check-prefix=NOVRAM
// RUN: not moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-vram-plan --moe-ndp-load-balance 2>&1 | FileCheck %s --check-prefix=NOSPLIT
// RUN: not moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-vram-plan --moe-ndp-load-balance=cold=ndp-ep 2>&1 | FileCheck %s --check-prefix=NOPLACE
// RUN: not moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-vram-plan --moe-ndp-load-balance="cold=cpu granularity=0" 2>&1 | FileCheck %s --check-prefix=GRAIN
// RUN: not moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-vram-plan=policy=fifo 2>&1 | FileCheck %s --check-prefix=POLICY
// RUN: not moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-vram-plan --moe-ndp-load-balance=cold=disk 2>&1 | FileCheck %s --check-prefix=COLD

// CHECK: error: moe-ndp-tensor-split: unknown reduce-on 'disk' (expected auto, host, gpu or ndp)
// NOVRAM: error: moe-ndp-load-balance: the schedule has no hw.ndp_vram_plan (run moe-ndp-vram-plan)
// NOSPLIT: error: moe-ndp-load-balance: cold=ndp-tp needs a hw.ndp_tensor_split of MoE layer 0 (run moe-ndp-tensor-split)
// NOPLACE: error: moe-ndp-load-balance: cold=ndp-ep needs a hw.place_experts of MoE layer 0 (run moe-ndp-expert-parallel)
// GRAIN: error: moe-ndp-load-balance: granularity must be in [1, 64], got 0
// POLICY: error: moe-ndp-vram-plan: unknown policy 'fifo' (expected online, lru or profile)
// COLD: error: moe-ndp-load-balance: unknown cold placement 'disk' (expected ndp-tp, ndp-ep, cpu or fetch)
