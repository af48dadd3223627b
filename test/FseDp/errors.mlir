// RUN: moe-opt %s --split-input-file --verify-diagnostics --moe-fsedp-virtualize --moe-fsedp-shard-experts --moe-fsedp-schedule-trajectories

// A 3 x 3 mesh has no Hamiltonian cycle: no ring for the streams.
hw.system @mesh9 kind chiplet {
  hw.device @d00 kind chiplet at [0, 0] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @d01 kind chiplet at [0, 1] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @d02 kind chiplet at [0, 2] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @d10 kind chiplet at [1, 0] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @d11 kind chiplet at [1, 1] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @d12 kind chiplet at [1, 2] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @d20 kind chiplet at [2, 0] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @d21 kind chiplet at [2, 1] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @d22 kind chiplet at [2, 2] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology mesh [@d00, @d01, @d02, @d10, @d11, @d12, @d20, @d21, @d22] rows 3 cols 3 bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
// expected-error @below {{'mesh9': a 3 x 3 mesh has no Hamiltonian cycle (both sides odd), so expert streams cannot follow a logical ring}}
hw.schedule @plan strategy "fse-dp" model @m target @mesh9 {
}

// -----

// A 1 x 4 mesh is a line: no cycle either.
hw.system @line4 kind chiplet {
  hw.device @d0 kind chiplet at [0, 0] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @d1 kind chiplet at [0, 1] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @d2 kind chiplet at [0, 2] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @d3 kind chiplet at [0, 3] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology mesh [@d0, @d1, @d2, @d3] rows 1 cols 4 bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
// expected-error @below {{'line4': a 1 x 4 mesh is a line, which has no Hamiltonian cycle, so expert streams cannot follow a logical ring (declare a ring topology if its ends are joined)}}
hw.schedule @plan strategy "fse-dp" model @m target @line4 {
}

// -----

// Not a chiplet system.
hw.system @wafer kind wafer {
  hw.device @d0 kind die at [0, 0] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @d1 kind die at [0, 1] {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology mesh [@d0, @d1] rows 1 cols 2 bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
// expected-error @below {{fse-dp serves chiplet systems only; 'wafer' is a wafer system}}
hw.schedule @plan strategy "fse-dp" model @m target @wafer {
}

// -----

// 64 KiB of SRAM cannot hold six 40960-byte chunks: the layer is named
// with the shortfall (6 x 40960 - 32768 = 212992 bytes).
hw.system @small kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 65536 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 65536 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1] bw 128.0 lat 20.0
}
// expected-error @below {{fse-dp cannot stream model 'm' on 'small': MoE layer 0: stream buffers need 6 x 40960 = 245760 bytes per chiplet but 'c0' gives them 32768 bytes (50 % of 65536 bytes of SRAM); shortfall 212992 bytes}}
moe.model @m {
  %x = moe.input : tensor<?x4096xbf16>
  %r = moe.router %x layer 0 scoring softmax renormalize : tensor<?x4096xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x4096xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 4096, bf16>
  %e = moe.experts %d layer 0 ffn 14336 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 4096, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 4096, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x4096xbf16>
  moe.output %c : tensor<?x4096xbf16>
}
hw.schedule @plan strategy "fse-dp" model @m target @small {
}

// -----

// No hw.schedule at all.
// expected-error @below {{moe-fsedp-virtualize needs a hw.schedule (run moe-create-schedule first)}}
module {
  moe.model @m {
    %x = moe.input : tensor<?x64xbf16>
    moe.output %x : tensor<?x64xbf16>
  }
}
