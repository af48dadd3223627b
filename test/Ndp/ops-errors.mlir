// RUN: moe-opt %s -split-input-file -verify-diagnostics

hw.system @edge kind gpu_ndp {
  hw.device @gpu kind gpu {peak_tflops = {bf16 = 100.0}, offchip_bytes = 1073741824, offchip_gbps = 700.0}
  hw.device @host kind cpu {peak_tflops = {bf16 = 2.0}, offchip_bytes = 68719476736, offchip_gbps = 150.0}
  hw.device @ndp0 kind ndp {attached_to = @host, peak_tflops = {bf16 = 0.5}, offchip_bytes = 34359738368, offchip_gbps = 76.8}
  hw.topology pcie [@gpu, @host, @ndp0] hub @host bw 32.0 lat 1000.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @p strategy "ndp-tp" model @m target @edge {
  // expected-error @+1 {{'hw.ndp_vram_plan' op spends more than the 1000 bytes of VRAM}}
  hw.ndp_vram_plan on @gpu vram 1000 non_expert 600 kv 300 workspace 0 experts 200 policy online {chunk_bytes = 1024 : i64, context = 16 : i64, decay = 0.9 : f64, hysteresis = 1.5 : f64, max_batch = 1 : i64}
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
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @p strategy "ndp-tp" model @m target @edge {
  // expected-error @+1 {{'hw.ndp_vram_plan' op decay must be in (0, 1]}}
  hw.ndp_vram_plan on @gpu vram 1000 non_expert 0 kv 0 workspace 0 experts 0 policy online {chunk_bytes = 1024 : i64, context = 16 : i64, decay = 1.5 : f64, hysteresis = 1.5 : f64, max_batch = 1 : i64}
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
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @p strategy "ndp-tp" model @m target @edge {
  // expected-error @+1 {{'hw.ndp_tensor_split' op has 2 row counts for 1 units}}
  hw.ndp_tensor_split layer 0 across [@ndp0] rows [16, 16] reduce_on @host
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
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @p strategy "ndp-tp" model @m target @edge {
  // expected-error @+1 {{'hw.ndp_balance' op granularity must be in [1, 64]}}
  hw.ndp_balance cold cpu granularity 0
}

// -----

// NaN compares false with anything: refused all the same (it reached the
// schedule JSON as `nan`).
hw.system @edge kind gpu_ndp {
  hw.device @gpu kind gpu {peak_tflops = {bf16 = 100.0}, offchip_bytes = 1073741824, offchip_gbps = 700.0}
  hw.device @host kind cpu {peak_tflops = {bf16 = 2.0}, offchip_bytes = 68719476736, offchip_gbps = 150.0}
  hw.device @ndp0 kind ndp {attached_to = @host, peak_tflops = {bf16 = 0.5}, offchip_bytes = 34359738368, offchip_gbps = 76.8}
  hw.topology pcie [@gpu, @host, @ndp0] hub @host bw 32.0 lat 1000.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @p strategy "ndp-tp" model @m target @edge {
  // expected-error @+1 {{'hw.ndp_vram_plan' op decay must be in (0, 1]}}
  hw.ndp_vram_plan on @gpu vram 1000 non_expert 0 kv 0 workspace 0 experts 0 policy online {chunk_bytes = 1024 : i64, context = 16 : i64, decay = 0x7FF8000000000000 : f64, hysteresis = 1.5 : f64, max_batch = 1 : i64}
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
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @p strategy "ndp-tp" model @m target @edge {
  // expected-error @+1 {{'hw.ndp_vram_plan' op hysteresis must be a finite number of at least 1}}
  hw.ndp_vram_plan on @gpu vram 1000 non_expert 0 kv 0 workspace 0 experts 0 policy online {chunk_bytes = 1024 : i64, context = 16 : i64, decay = 0.9 : f64, hysteresis = 0x7FF8000000000000 : f64, max_batch = 1 : i64}
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
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @p strategy "ndp-tp" model @m target @edge {
  // expected-error @+1 {{'hw.ndp_vram_plan' op hysteresis must be a finite number of at least 1}}
  hw.ndp_vram_plan on @gpu vram 1000 non_expert 0 kv 0 workspace 0 experts 0 policy online {chunk_bytes = 1024 : i64, context = 16 : i64, decay = 0.9 : f64, hysteresis = 0x7FF0000000000000 : f64, max_batch = 1 : i64}
}

