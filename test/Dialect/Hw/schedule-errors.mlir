// Every diagnostic of the schedule ops (hw.schedule, hw.place_dense,
// hw.place_experts, hw.shard_experts) in lib/Dialect/Hw/HwOps.cpp.
// RUN: moe-opt %s -split-input-file -verify-diagnostics

// hw.schedule names a model and a system of the enclosing module.

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
// expected-error @+1 {{'hw.schedule' op targets @nope, which is not a hw.system here}}
hw.schedule @s strategy "ep" model @tiny target @nope {
  hw.place_dense layer 0 "attention" on [@c0] mode single
}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
// expected-error @+1 {{'hw.schedule' op schedules @nope, which is not a model here}}
hw.schedule @s strategy "ep" model @nope target @pair {

}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
// expected-error @+1 {{'hw.schedule' op schedules @pair, which is not a model here}}
hw.schedule @s strategy "ep" model @pair target @pair {

}

// -----

// expected-error @+1 {{'hw.place_dense' op expects parent op 'hw.schedule'}}
hw.place_dense layer 0 "attention" on [@c0] mode single

// -----

// hw.place_dense

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.place_dense' op layer must be -1 or a layer index}}
  hw.place_dense layer -2 "Embedding" on [@c0] mode single
}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.place_dense' op needs at least one device}}
  hw.place_dense layer 0 "attention" on [] mode data
}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.place_dense' op mode single takes exactly one device}}
  hw.place_dense layer 0 "attention" on [@c0, @c1] mode single
}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.place_dense' op placement names @zz, which is not a device of @pair}}
  hw.place_dense layer 0 "attention" on [@c0, @zz] mode tensor
}

// -----

// hw.place_experts

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.place_experts' op layer must be a layer index}}
  hw.place_experts layer -1 [[@c0], [@c1]]
}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.place_experts' op places no experts}}
  hw.place_experts layer 0 []
}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.place_experts' op expert 1 needs a non-empty list of devices}}
  hw.place_experts layer 0 [[@c0], []]
}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.place_experts' op expert 0 needs a non-empty list of devices}}
  hw.place_experts layer 0 [@c0, @c1]
}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.place_experts' op expert 0 must list device symbols}}
  hw.place_experts layer 0 [[1], [@c1]]
}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.place_experts' op expert 1 names @zz, which is not a device of @pair}}
  hw.place_experts layer 0 [[@c0], [@zz]]
}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.place_experts' op expert 0 lists @c0 twice}}
  hw.place_experts layer 0 [[@c0, @c0], [@c1]]
}

// -----

// hw.shard_experts

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.shard_experts' op layer must be a layer index}}
  hw.shard_experts layer -1 across [@c0, @c1] shard_bytes 1024
}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.shard_experts' op needs at least one device}}
  hw.shard_experts layer 0 across [] shard_bytes 1024
}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.shard_experts' op shard_bytes must be positive}}
  hw.shard_experts layer 0 across [@c0, @c1] shard_bytes 0
}

// -----

moe.model @tiny {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 2, top_k = 1>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 2, top_k = 1> -> !moe.dispatched<experts = 2, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 2, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 2, hidden = 64, bf16>, !moe.route<experts = 2, top_k = 1> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
hw.system @pair kind chiplet {
  hw.device @c0 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c1 kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @c0 -> @c1 bw 1.0 lat 1.0 bidirectional
}
hw.schedule @s strategy "ep" model @tiny target @pair {
  // expected-error @+1 {{'hw.shard_experts' op sharding names @zz, which is not a device of @pair}}
  hw.shard_experts layer 0 across [@zz] shard_bytes 1024
}
