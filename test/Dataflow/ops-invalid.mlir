// RUN: moe-opt %s --split-input-file --verify-diagnostics

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{adjacency must be 2 x 1 (outputs x inputs)}}
  %r:2 = df.where %a adjacency dense<[[1, 1]]> : tensor<1x2xi8> -> 2
  df.output "o" %r#0, %r#1
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{adjacency entries must be 0 or 1}}
  %r:1 = df.where %a adjacency dense<[[2]]> : tensor<1x1xi8> -> 1
  df.output "o" %r#0
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{needs exactly one of a static `adjacency` and a `control` port}}
  %r:1 = df.where %a -> 1
  df.output "o" %r#0
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{needs exactly one of a static `adjacency` and a `control` port}}
  %r:1 = df.where %a adjacency dense<[[1]]> : tensor<1x1xi8> control "gating" -> 1
  df.output "o" %r#0
}

// -----

df.program "p" layer 0 attributes {experts = 3 : i64} {
  %a = df.input "a"
  %b = df.input "b"
  // expected-error @+1 {{control "gating" routes to 2 experts, the program has 3}}
  %r:4 = df.where %a, %b control "gating" -> 4
  df.output "o" %r#0, %r#1, %r#2, %r#3
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  %b = df.input "b"
  // expected-error @+1 {{control "gating" needs experts x 2 outputs, got 3}}
  %r:3 = df.where %a, %b control "gating" -> 3
  df.output "o" %r#0, %r#1, %r#2
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{control "trajectory" needs as many outputs as inputs (one per chiplet), got 2 x 1}}
  %r:2 = df.where %a control "trajectory" at [0] -> 2
  df.output "o" %r#0, %r#1
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{control "trajectory" needs `at [expert]`}}
  %r:1 = df.where %a control "trajectory" -> 1
  df.output "o" %r#0
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{control "links" needs as many outputs as inputs (one per chiplet), got 2 x 1}}
  %r:2 = df.where %a control "links" at [0, 0] -> 2
  df.output "o" %r#0, %r#1
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{control "links" needs `at [expert, direction]` with direction 0 (clockwise) or 1 (counter-clockwise)}}
  %r:1 = df.where %a control "links" at [0, 2] -> 1
  df.output "o" %r#0
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{unknown control "random"}}
  %r:1 = df.where %a control "random" -> 1
  df.output "o" %r#0
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{threshold must be positive, got 0}}
  %w = df.when %a threshold 0 reset "none"
  df.output "o" %w
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{reset must be "none" or "on_fire", got "sometimes"}}
  %w = df.when %a threshold 1 reset "sometimes"
  df.output "o" %w
}

// -----

df.program "p" layer 0 {
  // expected-error @+1 {{result #0 is a dangling stream: nothing consumes it}}
  %a = df.input "a"
  %b = df.input "b"
  df.output "o" %b
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{duplicate input port 'a'}}
  %b = df.input "a"
  df.output "o" %a, %b
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  df.output "o" %a
  // expected-error @+1 {{duplicate output port 'o'}}
  df.output "o" %a
}

// -----

// expected-error @+1 {{'p' has no df.output}}
df.program "p" layer 0 {
}

// -----

df.program "p" layer 0 {
  // expected-error @+1 {{stream count must be in 1..2^20, got 0}}
  %r = df.where %a control "gating" -> 0
}

// -----

// A cycle: an edge may only come from an earlier node.
df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{operand #1 does not dominate this use}}
  %w = df.when %a, %v threshold 2 reset "none"
  // expected-note @+1 {{operand defined here}}
  %v = df.when %w threshold 1 reset "none"
  df.output "o" %v
}

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{'hw.stream_ring' op expects parent op 'hw.schedule'}}
  hw.stream_ring rule "ring" order [@c0]
  df.output "o" %a
}

// -----

// expected-error @+1 {{'df.input' op expects parent op 'df.program'}}
%a = df.input "a"

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  // expected-error @+1 {{is not a df node: a df.program holds only df.input, df.where, df.when, df.output}}
  builtin.module {
  }
  df.output "o" %a
}

// -----

// expected-error @+1 {{'df.program_ref' op names no df.program 'missing' in its block}}
df.program_ref "p.layer1" layer 1 to "missing"

// -----

df.program "p" layer 0 {
  %a = df.input "a"
  df.output "o" %a
}
df.program_ref "p.layer1" layer 1 to "p"
// expected-error @+1 {{'df.program_ref' op names 'p.layer1', a df.program_ref: it must name a df.program}}
df.program_ref "p.layer2" layer 2 to "p.layer1"
