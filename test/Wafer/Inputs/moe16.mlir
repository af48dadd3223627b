// A two-layer MoE with 16 experts (top-4) for the wafer tests.
moe.model @moe16 {
  %x = moe.input : tensor<?x256xbf16>
  %v1 = moe.attention %x layer 0 heads 8 kv_heads 8 head_dim 32 : tensor<?x256xbf16>
  %v2 = moe.add %x, %v1 : tensor<?x256xbf16>
  %v3 = moe.router %v2 layer 0 scoring softmax renormalize : tensor<?x256xbf16> -> !moe.route<experts = 16, top_k = 4>
  %v4 = moe.dispatch %v2, %v3 : tensor<?x256xbf16>, !moe.route<experts = 16, top_k = 4> -> !moe.dispatched<experts = 16, hidden = 256, bf16>
  %v5 = moe.experts %v4 layer 0 ffn 512 act swiglu weights bf16 : !moe.dispatched<experts = 16, hidden = 256, bf16>
  %v6 = moe.combine %v5, %v3 : !moe.dispatched<experts = 16, hidden = 256, bf16>, !moe.route<experts = 16, top_k = 4> -> tensor<?x256xbf16>
  %v7 = moe.add %v2, %v6 : tensor<?x256xbf16>
  %v8 = moe.attention %v7 layer 1 heads 8 kv_heads 8 head_dim 32 : tensor<?x256xbf16>
  %v9 = moe.add %v7, %v8 : tensor<?x256xbf16>
  %v10 = moe.router %v9 layer 1 scoring softmax renormalize : tensor<?x256xbf16> -> !moe.route<experts = 16, top_k = 4>
  %v11 = moe.dispatch %v9, %v10 : tensor<?x256xbf16>, !moe.route<experts = 16, top_k = 4> -> !moe.dispatched<experts = 16, hidden = 256, bf16>
  %v12 = moe.experts %v11 layer 1 ffn 512 act swiglu weights bf16 : !moe.dispatched<experts = 16, hidden = 256, bf16>
  %v13 = moe.combine %v12, %v10 : !moe.dispatched<experts = 16, hidden = 256, bf16>, !moe.route<experts = 16, top_k = 4> -> tensor<?x256xbf16>
  %v14 = moe.add %v9, %v13 : tensor<?x256xbf16>
  moe.output %v14 : tensor<?x256xbf16>
}
