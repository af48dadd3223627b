// RUN: moe-opt %s -split-input-file -verify-diagnostics --moe-df-lower-ndp-tp

hw.system @edge kind gpu_ndp {
  hw.device @gpu kind gpu {peak_tflops = {bf16 = 100.0}, offchip_bytes = 1073741824, offchip_gbps = 700.0}
  hw.device @host kind cpu {peak_tflops = {bf16 = 2.0}, offchip_bytes = 68719476736, offchip_gbps = 150.0}
  hw.device @ndp0 kind ndp {attached_to = @host, peak_tflops = {bf16 = 0.5}, offchip_bytes = 34359738368, offchip_gbps = 76.8}
  hw.topology pcie [@gpu, @host, @ndp0] hub @host bw 32.0 lat 1000.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 1> -> !moe.dispatched<experts = 4, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 32 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 4, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 1> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
// No VRAM plan.
// expected-error @+1 {{moe-df-lower-ndp-tp: schedule 'p' has no hw.ndp_vram_plan (run moe-ndp-vram-plan)}}
hw.schedule @p strategy "ndp-tp" model @m target @edge {
}

// -----

hw.system @edge kind gpu_ndp {
  hw.device @gpu kind gpu {peak_tflops = {bf16 = 100.0}, offchip_bytes = 1073741824, offchip_gbps = 700.0}
  hw.device @host kind cpu {peak_tflops = {bf16 = 2.0}, offchip_bytes = 68719476736, offchip_gbps = 150.0}
  hw.device @ndp0 kind ndp {attached_to = @host, peak_tflops = {bf16 = 0.5}, offchip_bytes = 34359738368, offchip_gbps = 76.8}
  hw.topology pcie [@gpu, @host, @ndp0] hub @host bw 32.0 lat 1000.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 1> -> !moe.dispatched<experts = 4, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 32 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 4, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 1> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
// An LRU cache is MoE-OnDemand's, not ndp-tp's.
// expected-error @+1 {{moe-df-lower-ndp-tp: schedule 'p' caches experts by policy 'lru', ndp-tp's runtime program needs the online prefetcher}}
hw.schedule @p strategy "ndp-tp" model @m target @edge {
  hw.ndp_vram_plan on @gpu vram 1073741824 non_expert 0 kv 0 workspace 0 experts 1000000 policy lru {chunk_bytes = 4194304 : i64, context = 4096 : i64, decay = 9.000000e-01 : f64, hysteresis = 1.500000e+00 : f64, max_batch = 4 : i64}
}

// -----

hw.system @edge kind gpu_ndp {
  hw.device @gpu kind gpu {peak_tflops = {bf16 = 100.0}, offchip_bytes = 1073741824, offchip_gbps = 700.0}
  hw.device @host kind cpu {peak_tflops = {bf16 = 2.0}, offchip_bytes = 68719476736, offchip_gbps = 150.0}
  hw.device @ndp0 kind ndp {attached_to = @host, peak_tflops = {bf16 = 0.5}, offchip_bytes = 34359738368, offchip_gbps = 76.8}
  hw.topology pcie [@gpu, @host, @ndp0] hub @host bw 32.0 lat 1000.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 1> -> !moe.dispatched<experts = 4, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 32 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 4, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 1> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
// No balancer policy.
// expected-error @+1 {{moe-df-lower-ndp-tp: schedule 'p' has no hw.ndp_balance (run moe-ndp-load-balance)}}
hw.schedule @p strategy "ndp-tp" model @m target @edge {
  hw.ndp_vram_plan on @gpu vram 1073741824 non_expert 0 kv 0 workspace 0 experts 1000000 policy online {chunk_bytes = 4194304 : i64, context = 4096 : i64, decay = 9.000000e-01 : f64, hysteresis = 1.500000e+00 : f64, max_batch = 4 : i64}
  hw.ndp_tensor_split layer 0 across [@ndp0] rows [32] reduce_on @host
}

// -----

hw.system @edge kind gpu_ndp {
  hw.device @gpu kind gpu {peak_tflops = {bf16 = 100.0}, offchip_bytes = 1073741824, offchip_gbps = 700.0}
  hw.device @host kind cpu {peak_tflops = {bf16 = 2.0}, offchip_bytes = 68719476736, offchip_gbps = 150.0}
  hw.device @ndp0 kind ndp {attached_to = @host, peak_tflops = {bf16 = 0.5}, offchip_bytes = 34359738368, offchip_gbps = 76.8}
  hw.topology pcie [@gpu, @host, @ndp0] hub @host bw 32.0 lat 1000.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 1> -> !moe.dispatched<experts = 4, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 32 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 4, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 1> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
// Cold experts on the CPU (Fiddler) have no NDP slices to route.
// expected-error @+1 {{moe-df-lower-ndp-tp: schedule 'p' runs cold experts by 'cpu', not ndp-tp's tensor split}}
hw.schedule @p strategy "ndp-tp" model @m target @edge {
  hw.ndp_vram_plan on @gpu vram 1073741824 non_expert 0 kv 0 workspace 0 experts 1000000 policy online {chunk_bytes = 4194304 : i64, context = 4096 : i64, decay = 9.000000e-01 : f64, hysteresis = 1.500000e+00 : f64, max_batch = 4 : i64}
  hw.ndp_tensor_split layer 0 across [@ndp0] rows [32] reduce_on @host
  hw.ndp_balance cold cpu granularity 4
}

// -----

hw.system @edge kind gpu_ndp {
  hw.device @gpu kind gpu {peak_tflops = {bf16 = 100.0}, offchip_bytes = 1073741824, offchip_gbps = 700.0}
  hw.device @host kind cpu {peak_tflops = {bf16 = 2.0}, offchip_bytes = 68719476736, offchip_gbps = 150.0}
  hw.device @ndp0 kind ndp {attached_to = @host, peak_tflops = {bf16 = 0.5}, offchip_bytes = 34359738368, offchip_gbps = 76.8}
  hw.topology pcie [@gpu, @host, @ndp0] hub @host bw 32.0 lat 1000.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 1> -> !moe.dispatched<experts = 4, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 32 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 4, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 1> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
// No tensor split of the MoE layer.
// expected-error @+1 {{moe-df-lower-ndp-tp: schedule 'p' has no hw.ndp_tensor_split of MoE layer 0 (run moe-ndp-tensor-split)}}
hw.schedule @p strategy "ndp-tp" model @m target @edge {
  hw.ndp_vram_plan on @gpu vram 1073741824 non_expert 0 kv 0 workspace 0 experts 1000000 policy online {chunk_bytes = 4194304 : i64, context = 4096 : i64, decay = 9.000000e-01 : f64, hysteresis = 1.500000e+00 : f64, max_batch = 4 : i64}
  hw.ndp_balance cold "ndp-tp" granularity 4
}
