// Four hand-written programs: "b" equals "a" but for its name, "c" differs
// in a threshold, "d" in a parameter (the exporter's sharing test).
hw.system @ring4 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c2 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c3 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1, @c2, @c3] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x4096xbf16>
  %r = moe.router %x layer 0 scoring softmax renormalize : tensor<?x4096xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x4096xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 4096, bf16>
  %e = moe.experts %d layer 0 ffn 14336 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 4096, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 4096, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x4096xbf16>
  moe.output %c : tensor<?x4096xbf16>
}
hw.schedule @plan strategy "x" model @m target @ring4 {
  df.program "a" layer 0 attributes {k = 1 : i64} {
    %a = df.input "in"
    %w = df.when %a threshold 2 reset "none"
    df.output "out" %w
  }
  df.program "b" layer 1 attributes {k = 1 : i64} {
    %a = df.input "in"
    %w = df.when %a threshold 2 reset "none"
    df.output "out" %w
  }
  df.program "c" layer 2 attributes {k = 1 : i64} {
    %a = df.input "in"
    %w = df.when %a threshold 3 reset "none"
    df.output "out" %w
  }
  df.program "d" layer 3 attributes {k = 2 : i64} {
    %a = df.input "in"
    %w = df.when %a threshold 2 reset "none"
    df.output "out" %w
  }
}
