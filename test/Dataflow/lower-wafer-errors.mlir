// RUN: moe-opt %s -split-input-file -verify-diagnostics --moe-df-lower-wafer

hw.system @w kind wafer {
  hw.device @d_0_0 kind die at [0, 0] {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_0_1 kind die at [0, 1] {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_1_0 kind die at [1, 0] {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_1_1 kind die at [1, 1] {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.topology mesh [@d_0_0, @d_0_1, @d_1_0, @d_1_1] rows 2 cols 2 bw 1.000000e+03 lat 5.000000e+01
}
moe.model @m {
  %x = moe.input : tensor<?x256xbf16>
  %a = moe.attention %x layer 0 heads 8 kv_heads 8 head_dim 32 : tensor<?x256xbf16>
  %b = moe.add %x, %a : tensor<?x256xbf16>
  %r = moe.router %b layer 0 scoring softmax renormalize : tensor<?x256xbf16> -> !moe.route<experts = 4, top_k = 2>
  %d = moe.dispatch %b, %r : tensor<?x256xbf16>, !moe.route<experts = 4, top_k = 2> -> !moe.dispatched<experts = 4, hidden = 256, bf16>
  %e = moe.experts %d layer 0 ffn 512 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 256, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 4, hidden = 256, bf16>, !moe.route<experts = 4, top_k = 2> -> tensor<?x256xbf16>
  %o = moe.add %b, %c : tensor<?x256xbf16>
  moe.output %o : tensor<?x256xbf16>
}
// No expert placement.
// expected-error @+1 {{moe-df-lower-wafer: schedule 'plan' has no hw.wafer_experts (run moe-wafer-er-mapping or moe-wafer-row-major)}}
hw.schedule @plan strategy "er-mapping" model @m target @w {
}

// -----

hw.system @w kind wafer {
  hw.device @d_0_0 kind die at [0, 0] {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_0_1 kind die at [0, 1] {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_1_0 kind die at [1, 0] {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_1_1 kind die at [1, 1] {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.topology mesh [@d_0_0, @d_0_1, @d_1_0, @d_1_1] rows 2 cols 2 bw 1.000000e+03 lat 5.000000e+01
}
moe.model @m {
  %x = moe.input : tensor<?x256xbf16>
  %a = moe.attention %x layer 0 heads 8 kv_heads 8 head_dim 32 : tensor<?x256xbf16>
  %b = moe.add %x, %a : tensor<?x256xbf16>
  %r = moe.router %b layer 0 scoring softmax renormalize : tensor<?x256xbf16> -> !moe.route<experts = 4, top_k = 2>
  %d = moe.dispatch %b, %r : tensor<?x256xbf16>, !moe.route<experts = 4, top_k = 2> -> !moe.dispatched<experts = 4, hidden = 256, bf16>
  %e = moe.experts %d layer 0 ffn 512 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 256, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 4, hidden = 256, bf16>, !moe.route<experts = 4, top_k = 2> -> tensor<?x256xbf16>
  %o = moe.add %b, %c : tensor<?x256xbf16>
  moe.output %o : tensor<?x256xbf16>
}
// No balancer: nothing migrates, nothing to program.
// expected-error @+1 {{moe-df-lower-wafer: schedule 'plan' has no hw.wafer_balancer (run moe-wafer-ni-balancer)}}
hw.schedule @plan strategy "er-mapping" model @m target @w {
  hw.wafer_experts experts 4 shards 1 per_die 1 units [@d_0_0, @d_0_1, @d_1_0, @d_1_1]
}

// -----

hw.system @w kind wafer {
  hw.device @d_0_0 kind die at [0, 0] {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_0_1 kind die at [0, 1] {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_1_0 kind die at [1, 0] {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_1_1 kind die at [1, 1] {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.topology mesh [@d_0_0, @d_0_1, @d_1_0, @d_1_1] rows 2 cols 2 bw 1.000000e+03 lat 5.000000e+01
}
moe.model @m {
  %x = moe.input : tensor<?x256xbf16>
  %a = moe.attention %x layer 0 heads 8 kv_heads 8 head_dim 32 : tensor<?x256xbf16>
  %b = moe.add %x, %a : tensor<?x256xbf16>
  %r = moe.router %b layer 0 scoring softmax renormalize : tensor<?x256xbf16> -> !moe.route<experts = 4, top_k = 2>
  %d = moe.dispatch %b, %r : tensor<?x256xbf16>, !moe.route<experts = 4, top_k = 2> -> !moe.dispatched<experts = 4, hidden = 256, bf16>
  %e = moe.experts %d layer 0 ffn 512 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 256, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 4, hidden = 256, bf16>, !moe.route<experts = 4, top_k = 2> -> tensor<?x256xbf16>
  %o = moe.add %b, %c : tensor<?x256xbf16>
  moe.output %o : tensor<?x256xbf16>
}
// Stop-the-world staging has no slots.
// expected-error @+1 {{moe-df-lower-wafer: schedule 'plan' stages migrations "stop-the-world": only non-invasive staging has slots to program}}
hw.schedule @plan strategy "er-mapping" model @m target @w {
  hw.wafer_experts experts 4 shards 1 per_die 1 units [@d_0_0, @d_0_1, @d_1_0, @d_1_1]
  hw.wafer_balancer staging "stop-the-world" window 4 trigger 1.3 max_swaps 4 cooldown 4 chunks 2 cold_fraction 0.5 horizon 8
}
