// RUN: moe-opt %s --split-input-file --verify-diagnostics

df.program "p" layer 0 {
  %a = df.input "a"
  %b = df.input "b"
  // expected-error @+1 {{control "route" needs exactly one input, got 2}}
  %r:2 = df.where %a, %b control "route" -> 2
  df.output "o" %r#0, %r#1
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{unknown control "mean" (expected "threshold")}}
  %w = df.when %a threshold 1 reset "none" control "mean"
  df.output "o" %w
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{unknown control "random" (expected "gating", "trajectory", "links", "select" or "route")}}
  %r:1 = df.where %a control "random" -> 1
  df.output "o" %r#0
}
