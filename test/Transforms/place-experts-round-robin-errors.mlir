// RUN: moe-opt %s -split-input-file -verify-diagnostics --moe-attach-target=hw=edge-chiplet-4 --moe-create-schedule=strategy=ep --moe-place-experts-round-robin

// A model without MoE layer has nothing to place.
module {
  // expected-error @+1 {{moe-place-experts-round-robin: model @dense has no MoE layer to place}}
  moe.model @dense {
    %x = moe.input : tensor<?x64xbf16>
    %a = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
    moe.output %a : tensor<?x64xbf16>
  }
}
