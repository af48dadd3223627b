// RUN: moe-opt %s -split-input-file -verify-diagnostics

hw.schedule @plan strategy "x" model @m target @t {
  // expected-error @+1 {{'hw.observed_load' op steps must be positive}}
  hw.observed_load layer 0 steps 0 [1, 2]
}

// -----

hw.schedule @plan strategy "x" model @m target @t {
  // expected-error @+1 {{'hw.observed_load' op token counts must be non-negative}}
  hw.observed_load layer 0 steps 1 [1, -2]
}

// -----

hw.schedule @plan strategy "x" model @m target @t {
  // expected-error @+1 {{'hw.shadow_experts' op max_shadows must be non-negative}}
  hw.shadow_experts layer 0 on [@c0] max_shadows -1 budget_bytes 0
}

// -----

hw.schedule @plan strategy "x" model @m target @t {
  // expected-error @+1 {{'hw.shadow_experts' op layer must be a layer index}}
  hw.shadow_experts layer -3 on [@c0] max_shadows 1 budget_bytes 0
}
