// RUN: moe-opt %s -split-input-file -verify-diagnostics --moe-attach-target=hw=edge-chiplet-4 --moe-create-schedule=strategy=eplb --moe-eplb-balance="workload=batch=4 redundant=-5"

// A negative count other than -1 (one per device) is refused.
// expected-error @+1 {{moe-eplb-balance: redundant must be -1 (one replica per device) or at least 0, got -5}}
module {
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %a = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  %r = moe.router %a layer 0 scoring softmax renormalize : tensor<?x64xbf16> -> !moe.route<experts = 6, top_k = 2>
  %d = moe.dispatch %a, %r : tensor<?x64xbf16>, !moe.route<experts = 6, top_k = 2> -> !moe.dispatched<experts = 6, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 6, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 6, hidden = 64, bf16>, !moe.route<experts = 6, top_k = 2> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
}

