// RUN: moe-opt %s -split-input-file -verify-diagnostics --moe-ndp-tensor-split

// A gpu-ndp system without NDP units.
hw.system @nondp kind gpu_ndp {
  hw.device @gpu kind gpu {peak_tflops = {bf16 = 100.0}, offchip_bytes = 1073741824, offchip_gbps = 700.0}
  hw.device @host kind cpu {peak_tflops = {bf16 = 2.0}, offchip_bytes = 68719476736, offchip_gbps = 150.0}
  hw.topology pcie [@gpu, @host] hub @host bw 32.0 lat 1000.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 1> -> !moe.dispatched<experts = 4, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 32 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 4, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 1> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
// expected-error @+1 {{moe-ndp-tensor-split: @nondp has no NDP units to split experts across}}
hw.schedule @p strategy "ndp-tp" model @m target @nondp {
}

// -----

// Experts of 1 row cannot be split across 2 units.
hw.system @edge kind gpu_ndp {
  hw.device @gpu kind gpu {peak_tflops = {bf16 = 100.0}, offchip_bytes = 1073741824, offchip_gbps = 700.0}
  hw.device @host kind cpu {peak_tflops = {bf16 = 2.0}, offchip_bytes = 68719476736, offchip_gbps = 150.0}
  hw.device @ndp0 kind ndp {attached_to = @host, peak_tflops = {bf16 = 0.5}, offchip_bytes = 34359738368, offchip_gbps = 76.8}
  hw.device @ndp1 kind ndp {attached_to = @host, peak_tflops = {bf16 = 0.5}, offchip_bytes = 34359738368, offchip_gbps = 76.8}
  hw.topology pcie [@gpu, @host, @ndp0, @ndp1] hub @host bw 32.0 lat 1000.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 1> -> !moe.dispatched<experts = 4, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 1 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 4, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 1> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
// expected-error @+1 {{moe-ndp-tensor-split: layer 0's experts have 1 rows, fewer than the 2 NDP units}}
hw.schedule @p strategy "ndp-tp" model @m target @edge {
}
