// RUN: moe-opt %s --pass-pipeline='builtin.module(moe-attach-target{hw=edge-chiplet-4},moe-create-schedule{strategy=eplb},moe-eplb-balance{workload=batch=16,trace=zipf:1.2,seed=1 redundant=6 profile-steps=2})' | FileCheck %s
// RUN: moe-opt %s --pass-pipeline='builtin.module(moe-attach-target{hw=edge-chiplet-4},moe-create-schedule{strategy=eplb},moe-eplb-balance{workload=batch=16,trace=zipf:1.2,seed=1 profile-steps=2})' | FileCheck %s --check-prefix=DEFAULT

// Observed load over 2 steps of 16 tokens (top-2: 64 choices). Six
// redundant replicas go, one at a time, to the highest load per replica:
// e0 (20 -> 10 -> 6.7), e3 (19 -> 9.5 -> 6.3), e2 (8 -> 4), e4 (7 -> 3.5).
// The 12 replicas are packed 3 per chiplet, heaviest first onto the least
// loaded chiplet that does not hold the expert yet.
// CHECK: hw.schedule @eplb_plan
// CHECK-NEXT: hw.place_experts layer 0 {{\[}}[@c0, @c1, @c2], [@c2], [@c2, @c3], [@c0, @c1, @c3], [@c0, @c1], [@c3]]
// CHECK-NEXT: hw.observed_load layer 0 steps 2 [20, 4, 8, 19, 7, 6]
// CHECK-NEXT: }

// Default: one redundant replica per device, 6 + 4 = 10 replicas do not
// divide over 4 devices, so two more are added (12, 3 slots each).
// DEFAULT: hw.place_experts layer 0 {{\[}}[@c0, @c1, @c2], [@c2], [@c2, @c3], [@c0, @c1, @c3], [@c0, @c1], [@c3]]

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %a = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  %r = moe.router %a layer 0 scoring softmax renormalize : tensor<?x64xbf16> -> !moe.route<experts = 6, top_k = 2>
  %d = moe.dispatch %a, %r : tensor<?x64xbf16>, !moe.route<experts = 6, top_k = 2> -> !moe.dispatched<experts = 6, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 6, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 6, hidden = 64, bf16>, !moe.route<experts = 6, top_k = 2> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
