// RUN: moe-opt %s --moe-attach-target=hw=edge-chiplet-4 --moe-create-schedule=strategy=fastermoe --moe-place-experts-round-robin --moe-fastermoe-shadowing | FileCheck %s
// RUN: moe-opt %s --moe-attach-target=hw=edge-chiplet-4 --moe-create-schedule=strategy=fastermoe --moe-place-experts-round-robin --moe-fastermoe-shadowing=max-shadows=2 | FileCheck %s --check-prefix=CAP

// The chiplets' DRAM has room for every expert of the layer as a shadow.
// CHECK: hw.place_experts layer 0
// CHECK-NEXT: hw.shadow_experts layer 0 on [@c0, @c1, @c2, @c3] max_shadows 6 budget_bytes 294912
// CHECK-NEXT: }

// CAP: hw.shadow_experts layer 0 on [@c0, @c1, @c2, @c3] max_shadows 2 budget_bytes 98304

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %a = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  %r = moe.router %a layer 0 scoring softmax renormalize : tensor<?x64xbf16> -> !moe.route<experts = 6, top_k = 2>
  %d = moe.dispatch %a, %r : tensor<?x64xbf16>, !moe.route<experts = 6, top_k = 2> -> !moe.dispatched<experts = 6, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 6, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 6, hidden = 64, bf16>, !moe.route<experts = 6, top_k = 2> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
