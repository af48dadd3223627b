// Every op, type and attribute of the moe dialect survives print -> parse ->
// print unchanged, in the custom and in the generic form.
// RUN: moe-opt %s > %t.custom
// RUN: moe-opt %t.custom > %t.again
// RUN: diff %t.custom %t.again
// RUN: moe-opt %s --mlir-print-op-generic | moe-opt > %t.fromgeneric
// RUN: diff %t.custom %t.fromgeneric
// RUN: FileCheck %s < %t.custom

moe.model @full attributes {params_bytes = 123456 : i64, source = "full.onnx"} {
  %x = moe.input context 32768 : tensor<?x64xbf16>
  %e = moe.compute "Embedding" () layer -1 flops_per_token 0.0 weight_bytes 4096 : () -> tensor<?x64xbf16>
  %n = moe.compute "RMSNormalization" (%x, %e) layer 0 flops_per_token 192.5 weight_bytes 128 : (tensor<?x64xbf16>, tensor<?x64xbf16>) -> tensor<?x64xbf16>
  %a = moe.attention %n layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  %m = moe.attention %a layer 0 heads 4 kv_heads 4 head_dim 16 {kv_lora_rank = 32 : i64, q_lora_rank = 48 : i64} : tensor<?x64xbf16>
  %s = moe.add %x, %m : tensor<?x64xbf16>
  %f0 = moe.dense %s layer 0 ffn 256 act silu : tensor<?x64xbf16>
  %f1 = moe.dense %f0 layer 0 ffn 256 act swiglu : tensor<?x64xbf16>
  %f2 = moe.dense %f1 layer 0 ffn 256 act gelu : tensor<?x64xbf16>
  %f3 = moe.dense %f2 layer 0 ffn 256 act geglu : tensor<?x64xbf16>
  %f4 = moe.dense %f3 layer 0 ffn 256 act relu : tensor<?x64xbf16>
  %f5 = moe.dense %f4 layer 0 ffn 256 act identity : tensor<?x64xbf16>
  %f6 = moe.dense %f5 layer 0 ffn 256 act clamped_swiglu : tensor<?x64xbf16>
  %r1 = moe.router %f6 layer 1 scoring softmax renormalize : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d1 = moe.dispatch %f6, %r1 : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %x1 = moe.experts %d1 layer 1 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y1 = moe.combine %x1, %r1 : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  %sh1 = moe.shared_experts %f6 layer 1 count 2 ffn 96 act swiglu : tensor<?x64xbf16>
  %r2 = moe.router %y1 layer 2 scoring sigmoid_bias renormalize groups 4 pick 2 scale 2.5 : tensor<?x64xbf16> -> !moe.route<experts = 16, top_k = 4>
  %d2 = moe.dispatch %y1, %r2 : tensor<?x64xbf16>, !moe.route<experts = 16, top_k = 4> -> !moe.dispatched<experts = 16, hidden = 64, bf16>
  %x2 = moe.experts %d2 layer 2 ffn 32 act swiglu weights i4 block_size 128 : !moe.dispatched<experts = 16, hidden = 64, bf16>
  %y2 = moe.combine %x2, %r2 : !moe.dispatched<experts = 16, hidden = 64, bf16>, !moe.route<experts = 16, top_k = 4> -> tensor<?x64xbf16>
  %sh2 = moe.shared_experts %y1 layer 2 count 1 ffn 64 act swiglu gated : tensor<?x64xbf16>
  %r3 = moe.router %y2 layer 3 scoring sigmoid capacity 1.25 : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 1>
  %d3 = moe.dispatch %y2, %r3 : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 1> -> !moe.dispatched<experts = 4, hidden = 64, bf16>
  %x3 = moe.experts %d3 layer 3 ffn 32 act gelu weights f8E4M3FN bias : !moe.dispatched<experts = 4, hidden = 64, bf16>
  %y3 = moe.combine %x3, %r3 : !moe.dispatched<experts = 4, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 1> -> tensor<?x64xbf16>
  %r4 = moe.router %y3 layer 4 scoring sparsemixer : tensor<?x64xbf16> -> !moe.route<experts = 16, top_k = 2>
  %d4 = moe.dispatch %y3, %r4 : tensor<?x64xbf16>, !moe.route<experts = 16, top_k = 2> -> !moe.dispatched<experts = 16, hidden = 64, bf16>
  %x4 = moe.experts %d4 layer 4 ffn 32 act swiglu weights i8 block_size 32 : !moe.dispatched<experts = 16, hidden = 64, bf16>
  %y4 = moe.combine %x4, %r4 : !moe.dispatched<experts = 16, hidden = 64, bf16>, !moe.route<experts = 16, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y4, %sh1, %sh2 : tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>
}

moe.model @f16_model {
  %x = moe.input : tensor<?x32xf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x32xf16> -> !moe.route<experts = 2, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x32xf16>, !moe.route<experts = 2, top_k = 2> -> !moe.dispatched<experts = 2, hidden = 32, f16>
  %e = moe.experts %d layer 0 ffn 64 act relu weights f16 : !moe.dispatched<experts = 2, hidden = 32, f16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 32, f16>, !moe.route<experts = 2, top_k = 2> -> tensor<?x32xf16>
  moe.output %y : tensor<?x32xf16>
}

moe.model @no_results {
  moe.output
}

// CHECK-LABEL: moe.model @full attributes {params_bytes = 123456 : i64, source = "full.onnx"} {
// CHECK-NEXT: [[V0:%[0-9]+]] = moe.input context 32768 : tensor<?x64xbf16>
// CHECK-NEXT: [[V1:%[0-9]+]] = moe.compute "Embedding"() layer -1 flops_per_token 0.000000e+00 weight_bytes 4096 : () -> tensor<?x64xbf16>
// CHECK-NEXT: [[V2:%[0-9]+]] = moe.compute "RMSNormalization"([[V0]], [[V1]]) layer 0 flops_per_token 1.925000e+02 weight_bytes 128 : (tensor<?x64xbf16>, tensor<?x64xbf16>) -> tensor<?x64xbf16>
// CHECK-NEXT: [[V3:%[0-9]+]] = moe.attention [[V2]] layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
// CHECK-NEXT: [[V4:%[0-9]+]] = moe.attention [[V3]] layer 0 heads 4 kv_heads 4 head_dim 16 {kv_lora_rank = 32 : i64, q_lora_rank = 48 : i64} : tensor<?x64xbf16>
// CHECK-NEXT: [[V5:%[0-9]+]] = moe.add [[V0]], [[V4]] : tensor<?x64xbf16>
// CHECK-NEXT: [[V6:%[0-9]+]] = moe.dense [[V5]] layer 0 ffn 256 act silu : tensor<?x64xbf16>
// CHECK-NEXT: [[V7:%[0-9]+]] = moe.dense [[V6]] layer 0 ffn 256 act swiglu : tensor<?x64xbf16>
// CHECK-NEXT: [[V8:%[0-9]+]] = moe.dense [[V7]] layer 0 ffn 256 act gelu : tensor<?x64xbf16>
// CHECK-NEXT: [[V9:%[0-9]+]] = moe.dense [[V8]] layer 0 ffn 256 act geglu : tensor<?x64xbf16>
// CHECK-NEXT: [[V10:%[0-9]+]] = moe.dense [[V9]] layer 0 ffn 256 act relu : tensor<?x64xbf16>
// CHECK-NEXT: [[V11:%[0-9]+]] = moe.dense [[V10]] layer 0 ffn 256 act identity : tensor<?x64xbf16>
// CHECK-NEXT: [[V12:%[0-9]+]] = moe.dense [[V11]] layer 0 ffn 256 act clamped_swiglu : tensor<?x64xbf16>
// CHECK-NEXT: [[V13:%[0-9]+]] = moe.router [[V12]] layer 1 scoring softmax renormalize : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
// CHECK-NEXT: [[V14:%[0-9]+]] = moe.dispatch [[V12]], [[V13]] : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
// CHECK-NEXT: [[V15:%[0-9]+]] = moe.experts [[V14]] layer 1 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
// CHECK-NEXT: [[V16:%[0-9]+]] = moe.combine [[V15]], [[V13]] : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
// CHECK-NEXT: [[V17:%[0-9]+]] = moe.shared_experts [[V12]] layer 1 count 2 ffn 96 act swiglu : tensor<?x64xbf16>
// CHECK-NEXT: [[V18:%[0-9]+]] = moe.router [[V16]] layer 2 scoring sigmoid_bias renormalize groups 4 pick 2 scale 2.500000e+00 : tensor<?x64xbf16> -> !moe.route<experts = 16, top_k = 4>
// CHECK-NEXT: [[V19:%[0-9]+]] = moe.dispatch [[V16]], [[V18]] : tensor<?x64xbf16>, !moe.route<experts = 16, top_k = 4> -> !moe.dispatched<experts = 16, hidden = 64, bf16>
// CHECK-NEXT: [[V20:%[0-9]+]] = moe.experts [[V19]] layer 2 ffn 32 act swiglu weights i4 block_size 128 : !moe.dispatched<experts = 16, hidden = 64, bf16>
// CHECK-NEXT: [[V21:%[0-9]+]] = moe.combine [[V20]], [[V18]] : !moe.dispatched<experts = 16, hidden = 64, bf16>, !moe.route<experts = 16, top_k = 4> -> tensor<?x64xbf16>
// CHECK-NEXT: [[V22:%[0-9]+]] = moe.shared_experts [[V16]] layer 2 count 1 ffn 64 act swiglu gated : tensor<?x64xbf16>
// CHECK-NEXT: [[V23:%[0-9]+]] = moe.router [[V21]] layer 3 scoring sigmoid capacity 1.250000e+00 : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 1>
// CHECK-NEXT: [[V24:%[0-9]+]] = moe.dispatch [[V21]], [[V23]] : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 1> -> !moe.dispatched<experts = 4, hidden = 64, bf16>
// CHECK-NEXT: [[V25:%[0-9]+]] = moe.experts [[V24]] layer 3 ffn 32 act gelu weights f8E4M3FN bias : !moe.dispatched<experts = 4, hidden = 64, bf16>
// CHECK-NEXT: [[V26:%[0-9]+]] = moe.combine [[V25]], [[V23]] : !moe.dispatched<experts = 4, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 1> -> tensor<?x64xbf16>
// CHECK-NEXT: [[V27:%[0-9]+]] = moe.router [[V26]] layer 4 scoring sparsemixer : tensor<?x64xbf16> -> !moe.route<experts = 16, top_k = 2>
// CHECK-NEXT: [[V28:%[0-9]+]] = moe.dispatch [[V26]], [[V27]] : tensor<?x64xbf16>, !moe.route<experts = 16, top_k = 2> -> !moe.dispatched<experts = 16, hidden = 64, bf16>
// CHECK-NEXT: [[V29:%[0-9]+]] = moe.experts [[V28]] layer 4 ffn 32 act swiglu weights i8 block_size 32 : !moe.dispatched<experts = 16, hidden = 64, bf16>
// CHECK-NEXT: [[V30:%[0-9]+]] = moe.combine [[V29]], [[V27]] : !moe.dispatched<experts = 16, hidden = 64, bf16>, !moe.route<experts = 16, top_k = 2> -> tensor<?x64xbf16>
// CHECK-NEXT: moe.output [[V30]], [[V17]], [[V22]] : tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>
// CHECK-NEXT: }
// CHECK-LABEL: moe.model @f16_model {
// CHECK-NEXT: [[V0:%[0-9]+]] = moe.input : tensor<?x32xf16>
// CHECK-NEXT: [[V1:%[0-9]+]] = moe.router [[V0]] layer 0 scoring softmax : tensor<?x32xf16> -> !moe.route<experts = 2, top_k = 2>
// CHECK-NEXT: [[V2:%[0-9]+]] = moe.dispatch [[V0]], [[V1]] : tensor<?x32xf16>, !moe.route<experts = 2, top_k = 2> -> !moe.dispatched<experts = 2, hidden = 32, f16>
// CHECK-NEXT: [[V3:%[0-9]+]] = moe.experts [[V2]] layer 0 ffn 64 act relu weights f16 : !moe.dispatched<experts = 2, hidden = 32, f16>
// CHECK-NEXT: [[V4:%[0-9]+]] = moe.combine [[V3]], [[V1]] : !moe.dispatched<experts = 2, hidden = 32, f16>, !moe.route<experts = 2, top_k = 2> -> tensor<?x32xf16>
// CHECK-NEXT: moe.output [[V4]] : tensor<?x32xf16>
// CHECK-NEXT: }
// CHECK-LABEL: moe.model @no_results {
// CHECK-NEXT: moe.output
// CHECK-NEXT: }
