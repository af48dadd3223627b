// Two top-1 MoE layers whose experts differ in size (FFN 512 and 1024),
// so the largest expert decides whole-expert buffering.
moe.model @two_sizes {
  %x = moe.input : tensor<?x64xbf16>
  %a0 = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  %r0 = moe.router %a0 layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 1>
  %d0 = moe.dispatch %a0, %r0 : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 1> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e0 = moe.experts %d0 layer 0 ffn 512 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %c0 = moe.combine %e0, %r0 : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 1> -> tensor<?x64xbf16>
  %y0 = moe.add %a0, %c0 : tensor<?x64xbf16>
  %a1 = moe.attention %y0 layer 1 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  %r1 = moe.router %a1 layer 1 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 1>
  %d1 = moe.dispatch %a1, %r1 : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 1> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e1 = moe.experts %d1 layer 1 ffn 1024 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %c1 = moe.combine %e1, %r1 : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 1> -> tensor<?x64xbf16>
  %y1 = moe.add %a1, %c1 : tensor<?x64xbf16>
  moe.output %y1 : tensor<?x64xbf16>
}
