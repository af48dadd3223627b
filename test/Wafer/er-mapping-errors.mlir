// RUN: moe-opt %s -split-input-file -verify-diagnostics --moe-wafer-er-mapping

// A chiplet ring is not a wafer mesh.
hw.system @ring kind chiplet {
  hw.device @c0 kind chiplet {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @c1 kind chiplet {offchip_bytes = 17179869184 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.topology ring [@c0, @c1] bw 1.280000e+02 lat 2.000000e+01
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
// expected-error @+1 {{moe-wafer-er-mapping: target 'ring' is not a wafer mesh}}
hw.schedule @plan strategy "er-mapping" model @m target @ring {
}

// -----

// Experts of 3 x 4096 x 14336 x 2 bytes: two per die exceed 1 GiB.
hw.system @w kind wafer {
  hw.device @d_0_0 kind die at [0, 0] {offchip_bytes = 536870912 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_0_1 kind die at [0, 1] {offchip_bytes = 536870912 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_1_0 kind die at [1, 0] {offchip_bytes = 536870912 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_1_1 kind die at [1, 1] {offchip_bytes = 536870912 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.topology mesh [@d_0_0, @d_0_1, @d_1_0, @d_1_1] rows 2 cols 2 bw 1.000000e+03 lat 5.000000e+01
}
// expected-error @+1 {{the mesh is too small for the model's experts: each of the 4 dies would hold 0.7 GB of experts but has 0.5 GB of memory}}
moe.model @m {
  %x = moe.input : tensor<?x4096xbf16>
  %a = moe.attention %x layer 0 heads 8 kv_heads 8 head_dim 32 : tensor<?x4096xbf16>
  %b = moe.add %x, %a : tensor<?x4096xbf16>
  %r = moe.router %b layer 0 scoring softmax renormalize : tensor<?x4096xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %b, %r : tensor<?x4096xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 4096, bf16>
  %e = moe.experts %d layer 0 ffn 14336 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 4096, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 4096, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x4096xbf16>
  %o = moe.add %b, %c : tensor<?x4096xbf16>
  moe.output %o : tensor<?x4096xbf16>
}
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
// expected-error @+1 {{moe-wafer-er-mapping: schedule @plan already holds a wafer placement}}
hw.schedule @plan strategy "er-mapping" model @m target @w {
  hw.wafer_rings dispatch "owner" rings [[@d_0_0, @d_0_1], [@d_1_0, @d_1_1]] domains [[@d_0_0, @d_0_1, @d_1_0, @d_1_1]]
  hw.wafer_experts experts 4 shards 1 per_die 1 units [@d_0_0, @d_0_1, @d_1_0, @d_1_1]
}

// -----

// Three dies: no power-of-two ring of at least 3 dies divides them (the
// capacity is not the reason, so the error does not say so).
hw.system @w kind wafer {
  hw.device @d_0_0 kind die at [0, 0] {offchip_bytes = 536870912 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_0_1 kind die at [0, 1] {offchip_bytes = 536870912 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.device @d_0_2 kind die at [0, 2] {offchip_bytes = 536870912 : i64, offchip_gbps = 1.228800e+03 : f64, onchip_bytes = 67108864 : i64, peak_tflops = {bf16 = 5.000000e+02 : f64}}
  hw.topology mesh [@d_0_0, @d_0_1, @d_0_2] rows 1 cols 3 bw 1.000000e+03 lat 5.000000e+01
}
// expected-error @+1 {{no ring size for the 3 dies: the rings are powers of two of at least 3 dies dividing the die count (give the strategy's ring-size option another divisor of 3)}}
moe.model @m {
  %x = moe.input : tensor<?x256xbf16>
  %a = moe.attention %x layer 0 heads 8 kv_heads 8 head_dim 32 : tensor<?x256xbf16>
  %b = moe.add %x, %a : tensor<?x256xbf16>
  %r = moe.router %b layer 0 scoring softmax renormalize : tensor<?x256xbf16> -> !moe.route<experts = 3, top_k = 2>
  %d = moe.dispatch %b, %r : tensor<?x256xbf16>, !moe.route<experts = 3, top_k = 2> -> !moe.dispatched<experts = 3, hidden = 256, bf16>
  %e = moe.experts %d layer 0 ffn 512 act swiglu weights bf16 : !moe.dispatched<experts = 3, hidden = 256, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 3, hidden = 256, bf16>, !moe.route<experts = 3, top_k = 2> -> tensor<?x256xbf16>
  %o = moe.add %b, %c : tensor<?x256xbf16>
  moe.output %o : tensor<?x256xbf16>
}
hw.schedule @plan strategy "er-mapping" model @m target @w {
}
