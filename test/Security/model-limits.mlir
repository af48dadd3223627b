// Absurd sizes in a model are one verifier error each, before any pass or
// cost formula sees them (limits in moesaic/Model/ModelDesc.h:
// dimensions <= 2^24, experts <= 2^16, weights <= 1 PiB).
// RUN: moe-opt %s -split-input-file -verify-diagnostics

moe.model @huge_experts {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{route has 4611686018427387904 experts, more than the supported 65536}}
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 4611686018427387904, top_k = 2>
  moe.output %x : tensor<?x64xbf16>
}

// -----

moe.model @negative_experts {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{route needs a positive number of experts, got -8}}
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = -8, top_k = 2>
  moe.output %x : tensor<?x64xbf16>
}

// -----

moe.model @huge_hidden {
  // expected-error @+1 {{'moe.input' op has a tensor dimension of 1099511627776; at most 16777216 is supported}}
  %x = moe.input : tensor<?x1099511627776xbf16>
  moe.output %x : tensor<?x1099511627776xbf16>
}

// -----

moe.model @huge_ffn {
  %x = moe.input : tensor<?x64xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
  // expected-error @+1 {{'moe.experts' op ffn is 4611686018427387904, more than the supported 16777216}}
  %e = moe.experts %d layer 0 ffn 4611686018427387904 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}

// -----

moe.model @negative_heads {
  %x = moe.input : tensor<?x64xbf16>
  // expected-error @+1 {{'moe.attention' op heads must be positive, got -4}}
  %a = moe.attention %x layer 0 heads -4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  moe.output %a : tensor<?x64xbf16>
}

// -----

// Each size is within the limits, but 65536 experts of 3 x 2^24 x 2^24 bf16
// weights overflow 64-bit byte counts: refused, not wrapped.
// expected-error @+1 {{'moe.model' op weights come to more than 2^63 bytes, more than the supported 1125899906842624 (1 PiB)}}
moe.model @overflowing_product {
  %x = moe.input : tensor<?x16777216xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x16777216xbf16> -> !moe.route<experts = 65536, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x16777216xbf16>, !moe.route<experts = 65536, top_k = 2> -> !moe.dispatched<experts = 65536, hidden = 16777216, bf16>
  %e = moe.experts %d layer 0 ffn 16777216 act swiglu weights bf16 : !moe.dispatched<experts = 65536, hidden = 16777216, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 65536, hidden = 16777216, bf16>, !moe.route<experts = 65536, top_k = 2> -> tensor<?x16777216xbf16>
  moe.output %c : tensor<?x16777216xbf16>
}

// -----

// 256 experts of 3 x 2^16 x 2^24 bf16 weights (1.5 PiB) and the router:
// within 64 bits, so the exact count is given.
// expected-error @+1 {{'moe.model' op weights come to 1688849893818368 bytes}}
moe.model @too_large {
  %x = moe.input : tensor<?x65536xbf16>
  %r = moe.router %x layer 0 scoring softmax : tensor<?x65536xbf16> -> !moe.route<experts = 256, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x65536xbf16>, !moe.route<experts = 256, top_k = 2> -> !moe.dispatched<experts = 256, hidden = 65536, bf16>
  %e = moe.experts %d layer 0 ffn 16777216 act swiglu weights bf16 : !moe.dispatched<experts = 256, hidden = 65536, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 256, hidden = 65536, bf16>, !moe.route<experts = 256, top_k = 2> -> tensor<?x65536xbf16>
  moe.output %c : tensor<?x65536xbf16>
}
