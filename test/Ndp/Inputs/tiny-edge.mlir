// A small gpu-ndp system (1 GiB GPU, two NDP units of unequal bandwidth)
// and the tiny-moe model, with an empty schedule for the GPU-NDP passes.
hw.system @edge kind gpu_ndp {
  hw.device @gpu kind gpu {peak_tflops = {bf16 = 100.0}, offchip_bytes = 1073741824, offchip_gbps = 700.0}
  hw.device @host kind cpu {peak_tflops = {bf16 = 2.0}, offchip_bytes = 68719476736, offchip_gbps = 150.0}
  hw.device @ndp0 kind ndp {attached_to = @host, peak_tflops = {bf16 = 0.5}, offchip_bytes = 34359738368, offchip_gbps = 76.8}
  hw.device @ndp1 kind ndp {attached_to = @host, peak_tflops = {bf16 = 0.5}, offchip_bytes = 34359738368, offchip_gbps = 38.4}
  hw.topology pcie [@gpu, @host] hub @host bw 32.0 lat 1000.0
  hw.topology pcie [@host, @ndp0, @ndp1] hub @host bw 38.4 lat 100.0
}
moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %v1 = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  %v2 = moe.add %x, %v1 : tensor<?x64xbf16>
  %v3 = moe.router %v2 layer 0 scoring softmax renormalize : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %v4 = moe.dispatch %v2, %v3 : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %v5 = moe.experts %v4 layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %v6 = moe.combine %v5, %v3 : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  %v7 = moe.add %v2, %v6 : tensor<?x64xbf16>
  moe.output %v7 : tensor<?x64xbf16>
}
hw.schedule @plan strategy "ndp-tp" model @tiny target @edge {
}
