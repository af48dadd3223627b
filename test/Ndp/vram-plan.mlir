// RUN: moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-vram-plan="max-batch=4 context=1024" | FileCheck %s
// RUN: moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-vram-plan="policy=lru max-batch=1 context=2048 workspace-fraction=0" | FileCheck %s --check-prefix=LRU

// tiny: attention 3 x 64x64 bf16 = 24576 bytes, router 64x8 bf16 = 1024;
// KV 2 x 32 bf16 = 128 bytes per position per token; workspace 5 % of 1 GiB.
// CHECK: hw.schedule @plan
// CHECK-NEXT: hw.ndp_vram_plan on @gpu vram 1073741824 non_expert 25600 kv 524288 workspace 53687091 experts 1019504845 policy online
// CHECK-SAME: chunk_bytes = 4194304 : i64, context = 1024 : i64, decay = 9.000000e-01 : f64, hysteresis = 1.500000e+00 : f64, max_batch = 4 : i64

// 1 token x 2048 positions x 128 bytes = 262144; no workspace.
// LRU: hw.ndp_vram_plan on @gpu vram 1073741824 non_expert 25600 kv 262144 workspace 0 experts 1073454080 policy lru
