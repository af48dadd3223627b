// RUN: moe-opt %s --moe-attach-target=hw=edge-chiplet-4 --moe-create-schedule="strategy=ep targets=chiplet,wafer" | FileCheck %s

// An empty schedule for the model and the attached system, at the end.
// CHECK: hw.system @edge_chiplet_4 kind chiplet
// CHECK: moe.model @m
// CHECK: hw.schedule @ep_plan strategy "ep" model @m target @edge_chiplet_4 {
// CHECK-NEXT: }

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %a = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  %r = moe.router %a layer 0 scoring softmax renormalize : tensor<?x64xbf16> -> !moe.route<experts = 6, top_k = 2>
  %d = moe.dispatch %a, %r : tensor<?x64xbf16>, !moe.route<experts = 6, top_k = 2> -> !moe.dispatched<experts = 6, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 6, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 6, hidden = 64, bf16>, !moe.route<experts = 6, top_k = 2> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
