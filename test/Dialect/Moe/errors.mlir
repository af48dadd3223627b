// Every diagnostic of the moe dialect's verifiers (lib/Dialect/Moe), one
// case per message. (describeModel in MoeModelDesc.cpp repeats the
// model-level checks for IR that was never verified; on verified IR they
// cannot fire, so they have no case here.)
// RUN: moe-opt %s -split-input-file -verify-diagnostics --allow-unregistered-dialect

// Type verifiers (!moe.route, !moe.dispatched) run when the type is parsed.

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{route needs a positive number of experts, got 0}}
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 0, top_k = 1>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{route top_k must be in [1, experts=8], got 9}}
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 9>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{route top_k must be in [1, experts=8], got 0}}
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 0>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  // expected-error @+1 {{dispatched tokens need a positive number of experts, got -1}}
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = -1, hidden = 64, bf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  // expected-error @+1 {{dispatched tokens need a positive hidden size, got 0}}
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 0, bf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  // expected-error @+1 {{dispatched element type must be an integer or float type, got 'index'}}
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, index>
}

// -----

// The body ends with moe.output (an unregistered op may be a terminator
// for the generic verifier, but not for moe.model).

// expected-error @+1 {{'moe.model' op body must end with 'moe.output'}}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  "test.terminator"() : () -> ()
}

// -----

// Generic form: the body takes no block arguments.

// expected-error @+1 {{'moe.model' op body takes no block arguments; use 'moe.input'}}
"moe.model"() <{sym_name = "m"}> ({
^bb0(%arg0: tensor<?x64xbf16>):
  "moe.output"(%arg0) : (tensor<?x64xbf16>) -> ()
}) : () -> ()

// -----

// Layer indices never decrease along the body.

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-note @+1 {{layer 1 is here}}
  %a = moe.attention %x layer 1 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.attention' op layer 0 follows layer 1; layers must not decrease}}
  %b = moe.attention %a layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  moe.output %b : tensor<?x64xbf16>
}

// -----

// moe.input lives in a moe.model.

// expected-error @+1 {{'moe.input' op expects parent op 'moe.model'}}
%x = moe.input : tensor<?x64xbf16>

// -----

moe.model @m {
  // expected-error @+1 {{'moe.input' op context must be positive, got 0}}
  %y = moe.input context 0 : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

// Hidden states are tensor<?xHxT>.

moe.model @m {
  // expected-error @+1 {{'moe.input' op result #0 must be token hidden states (tensor<?xHxT>), but got 'tensor<?x?xbf16>'}}
  %x = moe.input : tensor<?x?xbf16>
  moe.output %x : tensor<?x?xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.attention' op layer index must be non-negative, got -1}}
  %y = moe.attention %x layer -1 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.attention' op heads must be positive, got 0}}
  %y = moe.attention %x layer 0 heads 0 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.attention' op kv_heads must be positive, got 0}}
  %y = moe.attention %x layer 0 heads 4 kv_heads 0 head_dim 16 : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.attention' op head_dim must be positive, got 0}}
  %y = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 0 : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.attention' op kv_heads (3) must divide heads (4)}}
  %y = moe.attention %x layer 0 heads 4 kv_heads 3 head_dim 16 : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.attention' op q_lora_rank must be positive, got 0}}
  %y = moe.attention %x layer 0 heads 4 kv_heads 4 head_dim 16 {kv_lora_rank = 16 : i64, q_lora_rank = 0 : i64} : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.attention' op kv_lora_rank must be positive, got -8}}
  %y = moe.attention %x layer 0 heads 4 kv_heads 4 head_dim 16 {kv_lora_rank = -8 : i64} : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.dense' op layer index must be non-negative, got -3}}
  %y = moe.dense %x layer -3 ffn 128 act swiglu : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.dense' op ffn must be positive, got 0}}
  %y = moe.dense %x layer 0 ffn 0 act swiglu : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.compute' op layer must be -1 (outside layers) or a layer index, got -2}}
  %y = moe.compute "Norm" (%x) layer -2 flops_per_token 1.0 weight_bytes 0 : (tensor<?x64xbf16>) -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.compute' op flops_per_token must be finite and non-negative}}
  %y = moe.compute "Norm" (%x) layer 0 flops_per_token -1.0 weight_bytes 0 : (tensor<?x64xbf16>) -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.compute' op flops_per_token must be finite and non-negative}}
  %y = moe.compute "Norm" (%x) layer 0 flops_per_token 0x7FF0000000000000 weight_bytes 0 : (tensor<?x64xbf16>) -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.compute' op weight_bytes must be non-negative, got -5}}
  %y = moe.compute "Norm" (%x) layer 0 flops_per_token 1.0 weight_bytes -5 : (tensor<?x64xbf16>) -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.compute' op kind must name what the compute is}}
  %y = moe.compute "" (%x) layer 0 flops_per_token 1.0 weight_bytes 0 : (tensor<?x64xbf16>) -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.router' op layer index must be non-negative, got -1}}
  %r = moe.router %x layer -1 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.router' op group-limited routing needs both 'groups' and 'pick'}}
  %r = moe.router %x layer 0 scoring softmax groups 4 : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.router' op group-limited routing needs both 'groups' and 'pick'}}
  %r = moe.router %x layer 0 scoring softmax pick 2 : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.router' op groups (3) must be positive and divide the number of experts (8)}}
  %r = moe.router %x layer 0 scoring softmax groups 3 pick 1 : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.router' op groups (0) must be positive and divide the number of experts (8)}}
  %r = moe.router %x layer 0 scoring softmax groups 0 pick 1 : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.router' op pick (5) must be in [1, groups=4]}}
  %r = moe.router %x layer 0 scoring softmax groups 4 pick 5 : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.router' op pick (0) must be in [1, groups=4]}}
  %r = moe.router %x layer 0 scoring softmax groups 4 pick 0 : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.router' op top_k (4) exceeds the experts in the picked groups (2)}}
  %r = moe.router %x layer 0 scoring softmax groups 4 pick 1 : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 4>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.router' op scale must be positive}}
  %r = moe.router %x layer 0 scoring softmax scale 0.0 : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.router' op capacity factor must be positive}}
  %r = moe.router %x layer 0 scoring softmax capacity -1.0 : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 2>
  // expected-error @+1 {{'moe.dispatch' op dispatches to 8 experts but the route has 4}}
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 4, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  // expected-error @+1 {{'moe.dispatch' op hidden size 32 differs from the input's 64}}
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 32, bf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  // expected-error @+1 {{'moe.dispatch' op element type differs from the input's}}
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, f16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %s = moe.input : tensor<?x32xbf16>
  %r = moe.router %s layer 0 scoring softmax : tensor<?x32xbf16> -> !moe.route<experts = 8, top_k = 2>
  // expected-error @+1 {{'moe.dispatch' op route was computed on hidden size 32}}
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  // expected-error @+1 {{'moe.experts' op layer index must be non-negative, got -1}}
  %e = moe.experts %d layer -1 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  // expected-error @+1 {{'moe.experts' op ffn must be positive, got 0}}
  %e = moe.experts %d layer 0 ffn 0 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  // expected-error @+1 {{'moe.experts' op weights must be an integer or float type, got 'index'}}
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights index : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  // expected-error @+1 {{'moe.experts' op quantised weights must be i2, i3, i4 or i8, got 'i16'}}
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights i16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  // expected-error @+1 {{'moe.experts' op block_size applies to quantised (integer) weights only}}
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 block_size 64 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  // expected-error @+1 {{'moe.experts' op block_size must be positive, got 0}}
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights i4 block_size 0 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  // expected-error @+1 {{'moe.experts' op layer 1 differs from its router's layer 0}}
  %e = moe.experts %d layer 1 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %q = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 2>
  // expected-error @+1 {{'moe.combine' op combines 8 experts but the route has 4}}
  %y = moe.combine %e, %q : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 4, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  // expected-error @+1 {{'moe.combine' op hidden size 64 differs from the result's 32}}
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x32xbf16>
  moe.output %y : tensor<?x32xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  // expected-error @+1 {{'moe.combine' op element type differs from the result's}}
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xf16>
  moe.output %y : tensor<?x64xf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  // expected-error @+1 {{'moe.shared_experts' op layer index must be non-negative, got -1}}
  %s = moe.shared_experts %x layer -1 count 1 ffn 64 act swiglu : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  // expected-error @+1 {{'moe.shared_experts' op count must be positive, got 0}}
  %s = moe.shared_experts %x layer 0 count 0 ffn 64 act swiglu : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  // expected-error @+1 {{'moe.shared_experts' op ffn must be positive, got 0}}
  %s = moe.shared_experts %x layer 0 count 1 ffn 0 act swiglu : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

// Model level: every layer has one router, then its experts and shared
// experts, of matching shape.

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-note @+1 {{the first is here}}
  %r2 = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  // expected-error @+1 {{'moe.router' op is the second moe.router of layer 0}}
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  // expected-note @+1 {{the first is here}}
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  // expected-error @+1 {{'moe.experts' op is the second moe.experts of layer 0}}
  %e2 = moe.experts %e layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  // expected-error @+1 {{'moe.experts' op has no moe.router before it in layer 1}}
  %e2 = moe.experts %e layer 1 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  %r1 = moe.router %y layer 1 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 4, top_k = 2>
  // expected-error @+1 {{'moe.experts' op has 8 experts but the router of layer 1 scores 4}}
  %e1 = moe.experts %e layer 1 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %z = moe.input : tensor<?x32xbf16>
  %rz = moe.router %z layer 0 scoring softmax : tensor<?x32xbf16> -> !moe.route<experts = 8, top_k = 2>
  %dz = moe.dispatch %z, %rz : tensor<?x32xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 32, bf16>
  %ez = moe.experts %dz layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 32, bf16>
  %x = moe.input : tensor<?x64xbf16>
  %r1 = moe.router %x layer 1 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  // expected-error @+1 {{'moe.experts' op has hidden size 32 but the router of layer 1 reads 64}}
  %e1 = moe.experts %ez layer 1 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 32, bf16>
  moe.output %e1 : !moe.dispatched<experts = 8, hidden = 32, bf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.shared_experts' op has no moe.router before it in layer 0}}
  %y = moe.shared_experts %x layer 0 count 1 ffn 64 act swiglu : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %z = moe.input : tensor<?x32xbf16>
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  // expected-error @+1 {{'moe.shared_experts' op has hidden size 32 but the router of layer 0 reads 64}}
  %s = moe.shared_experts %z layer 0 count 1 ffn 64 act swiglu : tensor<?x32xbf16>
  moe.output %y : tensor<?x64xbf16>
}

// -----

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.router' op routes layer 0 but no moe.experts follows}}
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  moe.output %r : !moe.route<experts = 8, top_k = 2>
}

// -----

// MLA: a query LoRA rank comes with a latent KV cache.
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.attention' op q_lora_rank (multi-head latent attention) needs kv_lora_rank}}
  %y = moe.attention %x layer 0 heads 4 kv_heads 4 head_dim 16 {q_lora_rank = 32 : i64} : tensor<?x64xbf16>
  moe.output %y : tensor<?x64xbf16>
}
