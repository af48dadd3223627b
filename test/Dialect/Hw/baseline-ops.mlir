// RUN: moe-opt %s | moe-opt | FileCheck %s

// The baselines' schedule ops print back as written.
// CHECK: hw.observed_load layer 0 steps 4 [12, 3, 0, 7, 1, 1]
// CHECK: hw.shadow_experts layer 0 on [@c0, @c1] max_shadows 2 budget_bytes 98304

module {
  hw.system @edge_chiplet_4 kind chiplet attributes {description = "4 edge chiplets in one package on a UCIe die-to-die ring, one LPDDR5X interface per chiplet"} {
    hw.device @c0 kind chiplet {offchip_bytes = 17179869184 : i64, offchip_channels = 4 : i64, offchip_gbps = 6.830000e+01 : f64, onchip_bytes = 8388608 : i64, peak_tflops = {bf16 = 1.600000e+01 : f64, fp16 = 1.600000e+01 : f64, int8 = 3.200000e+01 : f64}}
    hw.device @c1 kind chiplet {offchip_bytes = 17179869184 : i64, offchip_channels = 4 : i64, offchip_gbps = 6.830000e+01 : f64, onchip_bytes = 8388608 : i64, peak_tflops = {bf16 = 1.600000e+01 : f64, fp16 = 1.600000e+01 : f64, int8 = 3.200000e+01 : f64}}
    hw.device @c2 kind chiplet {offchip_bytes = 17179869184 : i64, offchip_channels = 4 : i64, offchip_gbps = 6.830000e+01 : f64, onchip_bytes = 8388608 : i64, peak_tflops = {bf16 = 1.600000e+01 : f64, fp16 = 1.600000e+01 : f64, int8 = 3.200000e+01 : f64}}
    hw.device @c3 kind chiplet {offchip_bytes = 17179869184 : i64, offchip_channels = 4 : i64, offchip_gbps = 6.830000e+01 : f64, onchip_bytes = 8388608 : i64, peak_tflops = {bf16 = 1.600000e+01 : f64, fp16 = 1.600000e+01 : f64, int8 = 3.200000e+01 : f64}}
    hw.topology ring [@c0, @c1, @c2, @c3] bw 1.280000e+02 lat 2.000000e+01 {type = "d2d"}
  }
  moe.model @m {
    %0 = moe.input : tensor<?x64xbf16>
    %1 = moe.attention %0 layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
    %2 = moe.router %1 layer 0 scoring softmax renormalize : tensor<?x64xbf16> -> !moe.route<experts = 6, top_k = 2>
    %3 = moe.dispatch %1, %2 : tensor<?x64xbf16>, !moe.route<experts = 6, top_k = 2> -> !moe.dispatched<experts = 6, hidden = 64, bf16>
    %4 = moe.experts %3 layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 6, hidden = 64, bf16>
    %5 = moe.combine %4, %2 : !moe.dispatched<experts = 6, hidden = 64, bf16>, !moe.route<experts = 6, top_k = 2> -> tensor<?x64xbf16>
    moe.output %5 : tensor<?x64xbf16>
  }
  hw.schedule @plan strategy "x" model @m target @edge_chiplet_4 {
    hw.observed_load layer 0 steps 4 [12, 3, 0, 7, 1, 1]
    hw.shadow_experts layer 0 on [@c0, @c1] max_shadows 2 budget_bytes 98304
  }
}
