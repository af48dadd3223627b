// A 4-chiplet ring and three MoE layers: layers 0 and 1 of 2 experts (equal
// fse-dp programs), layer 2 of 4 experts (a program of its own).
hw.system @ring4 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c2 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c3 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1, @c2, @c3] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x4096xbf16>
  %r0 = moe.router %x layer 0 scoring softmax renormalize : tensor<?x4096xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d0 = moe.dispatch %x, %r0 : tensor<?x4096xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 4096, bf16>
  %e0 = moe.experts %d0 layer 0 ffn 14336 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 4096, bf16>
  %c0 = moe.combine %e0, %r0 : !moe.dispatched<experts = 2, hidden = 4096, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x4096xbf16>
  %r1 = moe.router %c0 layer 1 scoring softmax renormalize : tensor<?x4096xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d1 = moe.dispatch %c0, %r1 : tensor<?x4096xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 4096, bf16>
  %e1 = moe.experts %d1 layer 1 ffn 14336 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 4096, bf16>
  %c1 = moe.combine %e1, %r1 : !moe.dispatched<experts = 2, hidden = 4096, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x4096xbf16>
  %r2 = moe.router %c1 layer 2 scoring softmax renormalize : tensor<?x4096xbf16> -> !moe.route<experts = 4, top_k = 1>
  %d2 = moe.dispatch %c1, %r2 : tensor<?x4096xbf16>, !moe.route<experts = 4, top_k = 1> -> !moe.dispatched<experts = 4, hidden = 4096, bf16>
  %e2 = moe.experts %d2 layer 2 ffn 14336 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 4096, bf16>
  %c2 = moe.combine %e2, %r2 : !moe.dispatched<experts = 4, hidden = 4096, bf16>, !moe.route<experts = 4, top_k = 1> -> tensor<?x4096xbf16>
  moe.output %c2 : tensor<?x4096xbf16>
}
hw.schedule @plan strategy "fse-dp" model @m target @ring4 {
}
