// RUN: moe-opt %s -split-input-file -verify-diagnostics --moe-ndp-expert-parallel

// MoNDE's placement needs NDP units.
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
// expected-error @+1 {{moe-ndp-expert-parallel: @nondp has no NDP units to place experts on}}
hw.schedule @p strategy "ndp-monde" model @m target @nondp {
}

// -----

// Not a gpu-ndp system.
hw.system @chips kind chiplet {
  hw.device @c0 kind chiplet at [0, 0] {peak_tflops = {bf16 = 16.0}, onchip_bytes = 4194304, offchip_bytes = 4294967296, offchip_gbps = 51.2}
  hw.device @c1 kind chiplet at [0, 1] {peak_tflops = {bf16 = 16.0}, onchip_bytes = 4194304, offchip_bytes = 4294967296, offchip_gbps = 51.2}
  hw.topology ring [@c0, @c1] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
// expected-error @+1 {{moe-ndp-expert-parallel needs a gpu-ndp system; @chips is a chiplet system}}
hw.schedule @p strategy "ndp-monde" model @m target @chips {
}
