// RUN: moe-opt %s -split-input-file -verify-diagnostics --moe-ndp-vram-plan

// A model whose non-expert weights alone (25600 bytes) exceed VRAM (16 KiB).
hw.system @small kind gpu_ndp {
  hw.device @gpu kind gpu {peak_tflops = {bf16 = 100.0}, offchip_bytes = 16384, offchip_gbps = 700.0}
  hw.device @host kind cpu {peak_tflops = {bf16 = 2.0}, offchip_bytes = 68719476736, offchip_gbps = 150.0}
  hw.device @ndp0 kind ndp {attached_to = @host, peak_tflops = {bf16 = 0.5}, offchip_bytes = 34359738368, offchip_gbps = 76.8}
  hw.topology pcie [@gpu, @host, @ndp0] hub @host bw 32.0 lat 1000.0
}
moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %v1 = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  %r = moe.router %v1 layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %v1, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
// expected-error @+1 {{model 'tiny' does not fit on 'gpu': its non-expert weights alone need 25.0 KiB (25600 bytes) but the GPU has 16.0 KiB (16384 bytes) of VRAM}}
hw.schedule @p strategy "ndp-tp" model @tiny target @small {
}

// -----

// The weights fit but not with the KV cache of 4 tokens x 4096 positions.
hw.system @small kind gpu_ndp {
  hw.device @gpu kind gpu {peak_tflops = {bf16 = 100.0}, offchip_bytes = 1048576, offchip_gbps = 700.0}
  hw.device @host kind cpu {peak_tflops = {bf16 = 2.0}, offchip_bytes = 68719476736, offchip_gbps = 150.0}
  hw.device @ndp0 kind ndp {attached_to = @host, peak_tflops = {bf16 = 0.5}, offchip_bytes = 34359738368, offchip_gbps = 76.8}
  hw.topology pcie [@gpu, @host, @ndp0] hub @host bw 32.0 lat 1000.0
}
moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %v1 = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  %r = moe.router %v1 layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %v1, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
// expected-error @+1 {{model 'tiny' does not fit on 'gpu': non-expert weights (25.0 KiB (25600 bytes)) + KV cache for 4 x 4096 tokens (2.0 MiB (2097152 bytes)) + workspace (51.2 KiB (52428 bytes)) exceed its 1.0 MiB (1048576 bytes) of VRAM}}
hw.schedule @p strategy "ndp-tp" model @tiny target @small {
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
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 1> -> !moe.dispatched<experts = 4, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 32 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 4, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 1> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
// expected-error @+1 {{moe-ndp-vram-plan needs a gpu-ndp system; @chips is a chiplet system}}
hw.schedule @p strategy "ndp-tp" model @m target @chips {
}
