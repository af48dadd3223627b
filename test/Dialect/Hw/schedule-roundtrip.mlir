// The schedule ops (hw.schedule, hw.place_dense in every mode,
// hw.place_experts with replicas, hw.shard_experts) survive print -> parse ->
// print unchanged, in the custom and in the generic form.
// RUN: moe-opt %s > %t.custom
// RUN: moe-opt %t.custom > %t.again
// RUN: diff %t.custom %t.again
// RUN: moe-opt %s --mlir-print-op-generic | moe-opt > %t.fromgeneric
// RUN: diff %t.custom %t.fromgeneric
// RUN: FileCheck %s < %t.custom

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %a = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  %r = moe.router %a layer 0 scoring softmax renormalize : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 2>
  %d = moe.dispatch %a, %r : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 2> -> !moe.dispatched<experts = 4, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 4, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet at [0, 0] {peak_tflops = {bf16 = 1.600000e+01 : f64}}
  hw.device @c1 kind chiplet at [0, 1] {peak_tflops = {bf16 = 1.600000e+01 : f64}}
  hw.link @c0 -> @c1 bw 1.000000e+02 lat 2.000000e+01 bidirectional
}

hw.schedule @ep strategy "ep" model @tiny target @pair {
  hw.place_dense layer -1 "Embedding" on [@c0] mode single
  hw.place_dense layer 0 "attention" on [@c0, @c1] mode data
  hw.place_dense layer 0 "router" on [@c0, @c1] mode tensor
  hw.place_experts layer 0 [[@c0], [@c1, @c0], [@c1], [@c0]] {note = "replica of expert 1"}
}

hw.schedule @tp strategy "tp" model @tiny target @pair {
  hw.shard_experts layer 0 across [@c0, @c1] shard_bytes 24576
}

// CHECK-LABEL: moe.model @tiny {
// CHECK-NEXT: [[V0:%[0-9]+]] = moe.input : tensor<?x64xbf16>
// CHECK-NEXT: [[V1:%[0-9]+]] = moe.attention [[V0]] layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
// CHECK-NEXT: [[V2:%[0-9]+]] = moe.router [[V1]] layer 0 scoring softmax renormalize : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 2>
// CHECK-NEXT: [[V3:%[0-9]+]] = moe.dispatch [[V1]], [[V2]] : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 2> -> !moe.dispatched<experts = 4, hidden = 64, bf16>
// CHECK-NEXT: [[V4:%[0-9]+]] = moe.experts [[V3]] layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 4, hidden = 64, bf16>
// CHECK-NEXT: [[V5:%[0-9]+]] = moe.combine [[V4]], [[V2]] : !moe.dispatched<experts = 4, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 2> -> tensor<?x64xbf16>
// CHECK-NEXT: moe.output [[V5]] : tensor<?x64xbf16>
// CHECK-NEXT: }
// CHECK-LABEL: hw.system @pair kind chiplet {
// CHECK-NEXT: hw.device @c0 kind chiplet at [0, 0] {peak_tflops = {bf16 = 1.600000e+01 : f64}}
// CHECK-NEXT: hw.device @c1 kind chiplet at [0, 1] {peak_tflops = {bf16 = 1.600000e+01 : f64}}
// CHECK-NEXT: hw.link @c0 -> @c1 bw 1.000000e+02 lat 2.000000e+01 bidirectional
// CHECK-NEXT: }
// CHECK-LABEL: hw.schedule @ep strategy "ep" model @tiny target @pair {
// CHECK-NEXT: hw.place_dense layer -1 "Embedding" on [@c0] mode single
// CHECK-NEXT: hw.place_dense layer 0 "attention" on [@c0, @c1] mode data
// CHECK-NEXT: hw.place_dense layer 0 "router" on [@c0, @c1] mode tensor
// CHECK-NEXT: hw.place_experts layer 0 {{\[\[}}@c0], [@c1, @c0], [@c1], [@c0]] {note = "replica of expert 1"}
// CHECK-NEXT: }
// CHECK-LABEL: hw.schedule @tp strategy "tp" model @tiny target @pair {
// CHECK-NEXT: hw.shard_experts layer 0 across [@c0, @c1] shard_bytes 24576
// CHECK-NEXT: }
