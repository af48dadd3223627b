// RUN: moe-opt %s -split-input-file -verify-diagnostics --moe-attach-target=hw=edge-chiplet-16-mesh --moe-create-schedule=strategy=tp --moe-shard-experts

// An FFN of 8 cannot be split into 16 slices.
module {
  // expected-error @+1 {{moe-shard-experts: layer 0 experts have an FFN of 8, too narrow to split across 16 devices}}
  moe.model @narrow {
    %x = moe.input : tensor<?x64xbf16>
    %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 1>
    %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 1> -> !moe.dispatched<experts = 4, hidden = 64, bf16>
    %e = moe.experts %d layer 0 ffn 8 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 64, bf16>
    %c = moe.combine %e, %r : !moe.dispatched<experts = 4, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 1> -> tensor<?x64xbf16>
    moe.output %c : tensor<?x64xbf16>
  }
}

// -----

// A model without MoE layer has nothing to shard.
module {
  // expected-error @+1 {{moe-shard-experts: model @dense has no MoE layer to shard}}
  moe.model @dense {
    %x = moe.input : tensor<?x64xbf16>
    moe.output %x : tensor<?x64xbf16>
  }
}
