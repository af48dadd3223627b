// Every diagnostic of the hw system-description ops (lib/Dialect/Hw/HwOps.cpp)
// and of the whole-system checks the target model runs on a hw.system
// (lib/Dialect/Hw/HwSystemModel.cpp, SystemModel::validate and finalize).
// RUN: moe-opt %s -split-input-file -verify-diagnostics --allow-unregistered-dialect

// Only devices, links and topologies live in a system.

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
  // expected-error @+1 {{'test.op' op is not allowed in a hw.system (expected hw.device, hw.link or hw.topology)}}
  "test.op"() : () -> ()
}

// -----

// expected-error @+1 {{'hw.device' op expects parent op 'hw.system'}}
hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}

// -----

// hw.device

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op memory sizes must be non-negative}}
  hw.device @c kind chiplet {onchip_bytes = -1 : i64, peak_tflops = {bf16 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op memory sizes must be non-negative}}
  hw.device @c kind chiplet {offchip_bytes = -4096 : i64, offchip_gbps = 1.0, peak_tflops = {bf16 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op offchip_gbps must be finite and non-negative}}
  hw.device @c kind chiplet {offchip_gbps = -1.0, peak_tflops = {bf16 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op has off-chip memory but no positive offchip_gbps}}
  hw.device @c kind chiplet {offchip_bytes = 4096 : i64, peak_tflops = {bf16 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op offchip_channels must be positive, got 0}}
  hw.device @c kind chiplet {offchip_bytes = 4096 : i64, offchip_gbps = 1.0, offchip_channels = 0 : i64, peak_tflops = {bf16 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op coordinates must be [row, col] with non-negative entries}}
  hw.device @c kind chiplet at [0] {peak_tflops = {bf16 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op coordinates must be [row, col] with non-negative entries}}
  hw.device @c kind chiplet at [-1, 0] {peak_tflops = {bf16 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op peak_tflops 'bf16' must be a positive float}}
  hw.device @c kind chiplet {peak_tflops = {bf16 = 0.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op peak_tflops 'int8' must be a positive float}}
  hw.device @c kind chiplet {peak_tflops = {int8 = 32 : i64}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op an NDP unit needs peak_tflops}}
  hw.device @n kind ndp {attached_to = @a, offchip_bytes = 1024 : i64, offchip_gbps = 1.0}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op only NDP units are attached_to a host}}
  hw.device @c kind chiplet {attached_to = @a, peak_tflops = {bf16 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op switches are implied by 'hw.topology switch'}}
  hw.device @sw kind switch
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

// hw.link

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.link' op bandwidth must be positive, got 0}}
  hw.link @a -> @b bw 0.0 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.link' op bandwidth must be positive, got -2}}
  hw.link @a -> @b bw -2.0 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.link' op latency must be non-negative, got -1}}
  hw.link @a -> @b bw 1.0 lat -1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.link' op joins @a to itself}}
  hw.link @a -> @a bw 1.0 lat 1.0
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

// expected-error @+1 {{'hw.link' op expects parent op 'hw.system'}}
hw.link @a -> @b bw 1.0 lat 1.0

// -----

// hw.topology

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op bandwidth must be positive, got 0}}
  hw.topology ring [@a, @b] bw 0.0 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op latency must be non-negative, got -5}}
  hw.topology ring [@a, @b] bw 1.0 lat -5.0
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op needs at least two members}}
  hw.topology switch [@a] bw 1.0 lat 1.0
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op a mesh needs 'rows' and 'cols'}}
  hw.topology mesh [@a, @b] rows 1 bw 1.0 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op only a mesh takes 'rows' and 'cols'}}
  hw.topology ring [@a, @b] rows 1 cols 2 bw 1.0 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op only a pcie topology takes a 'hub'}}
  hw.topology switch [@a, @b] hub @a bw 1.0 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op a pcie topology needs a 'hub'}}
  hw.topology pcie [@a, @b] bw 1.0 lat 1.0
}

// -----

// Whole-system checks: the target model built from the system.

hw.system @s kind chiplet {
  // expected-note @+1 {{a is here}}
  hw.device @a kind chiplet at [0, 1] {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op has the coordinates of a}}
  hw.device @b kind chiplet at [0, 1] {peak_tflops = {bf16 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op is attached to unknown device @nowhere}}
  hw.device @n kind ndp {attached_to = @nowhere, peak_tflops = {bf16 = 1.0}}
  hw.topology ring [@a, @b, @n] bw 1.0 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.link' op refers to unknown device @c}}
  hw.link @a -> @c bw 1.0 lat 1.0
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op refers to unknown device @c}}
  hw.topology ring [@a, @b, @c] bw 1.0 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op refers to unknown device @h}}
  hw.topology pcie [@a, @b] hub @h bw 1.0 lat 1.0
}

// -----

// expected-error @+1 {{'hw.system' op has 2 devices but no hw.link or hw.topology joining them}}
hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
}

// -----

// expected-error @+1 {{'hw.system' op the system has no devices}}
hw.system @empty kind chiplet {
}

// -----

// expected-error @+1 {{'hw.system' op a device has no name}}
hw.system @s kind chiplet {
  hw.device @"" kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @"" -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-note @-1 {{see existing symbol definition here}}
  // expected-error @+1 {{redefinition of symbol named 'a'}}
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op ring topology lists device 'a' twice}}
  hw.topology ring [@a, @b, @a] bw 1.0 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @d00 kind chiplet at [0, 0] {peak_tflops = {bf16 = 1.0}}
  hw.device @d01 kind chiplet at [0, 1] {peak_tflops = {bf16 = 1.0}}
  hw.device @d10 kind chiplet at [1, 0] {peak_tflops = {bf16 = 1.0}}
  hw.device @d11 kind chiplet at [1, 1] {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op mesh topology needs positive rows and cols}}
  hw.topology mesh [@d00, @d01, @d10, @d11] rows 0 cols 2 bw 1.0 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @d00 kind chiplet at [0, 0] {peak_tflops = {bf16 = 1.0}}
  hw.device @d01 kind chiplet at [0, 1] {peak_tflops = {bf16 = 1.0}}
  hw.device @d10 kind chiplet at [1, 0] {peak_tflops = {bf16 = 1.0}}
  hw.device @d11 kind chiplet at [1, 1] {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op mesh topology of 2 x 2 has 3 members}}
  hw.topology mesh [@d00, @d01, @d10] rows 2 cols 2 bw 1.0 lat 1.0
  hw.link @d11 -> @d10 bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @d00 kind chiplet at [0, 0] {peak_tflops = {bf16 = 1.0}}
  hw.device @d01 kind chiplet at [0, 1] {peak_tflops = {bf16 = 1.0}}
  hw.device @d10 kind chiplet at [1, 0] {peak_tflops = {bf16 = 1.0}}
  hw.device @x kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op mesh member 'x' needs coordinates [row, col]}}
  hw.topology mesh [@d00, @d01, @d10, @x] rows 2 cols 2 bw 1.0 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @d00 kind chiplet at [0, 0] {peak_tflops = {bf16 = 1.0}}
  hw.device @d11 kind chiplet at [1, 1] {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op mesh member 'd11' lies outside the 2 x 1 mesh}}
  hw.topology mesh [@d00, @d11] rows 2 cols 1 bw 1.0 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @d00 kind chiplet at [0, 0] {peak_tflops = {bf16 = 1.0}}
  hw.device @d01 kind chiplet at [0, 1] {peak_tflops = {bf16 = 1.0}}
  hw.device @d10 kind chiplet at [1, 0] {peak_tflops = {bf16 = 1.0}}
  hw.device @d11 kind chiplet at [1, 1] {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.link' op link 0 ('d00' -> 'd11') joins mesh members that are not neighbours}}
  hw.link @d00 -> @d11 bw 1.0 lat 1.0
  hw.topology mesh [@d00, @d01, @d10, @d11] rows 2 cols 2 bw 1.0 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op pcie hub device 'c' is not one of the members}}
  hw.topology pcie [@a, @b] hub @c bw 1.0 lat 1.0
  hw.link @a -> @c bw 1.0 lat 1.0 bidirectional
}

// -----

// expected-error @+1 {{'hw.system' op device 'b' cannot reach device 'a' over any link}}
hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0
}

// -----

// expected-error @+1 {{'hw.system' op device 'a' cannot reach device 'c' over any link}}
hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @c kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @d kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
  hw.topology ring [@c, @d] bw 1.0 lat 1.0
}

// -----

// Peaks are keyed by the data types hardware files accept.
hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op peak_tflops has unknown data type 'fp4' (expected fp32, fp16, bf16, fp8, int8, int4, int3 or int2)}}
  hw.device @b kind chiplet {peak_tflops = {fp4 = 1.0}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

// A misspelt figure is refused, with the closest known name: kept, it
// would leave the device modelled without it.
hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op has unknown attribute 'offchip_gpbs' (did you mean 'offchip_gbps'?); it takes attached_to, coord, kind, offchip_bytes, offchip_channels, offchip_gbps, onchip_bytes, peak_tflops, sym_name}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}, offchip_gpbs = 100.0}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.link' op has unknown attribute 'latency'; it takes bidirectional, bw, dst, lat, src, type}}
  hw.link @a -> @b bw 1.0 lat 1.0 bidirectional {latency = 5.0}
}

// -----

// Dialect-prefixed attributes belong to their owners and are kept.
hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}, mytool.note = "spare"}
  // expected-error @+1 {{'hw.link' op bandwidth must be positive, got 0}}
  hw.link @a -> @a bw 0.0 lat 1.0
}

// -----

// The plausible ranges of hardware files hold in IR too: rates and
// latencies of 0 or in [1e-6, 1e9], sizes up to 2^56 bytes (1e-300 GB/s
// was accepted and gave latencies of 1e303 us).
hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.device' op offchip_gbps = 1.000000e-300 is outside the plausible range [1e-06, 1e+09]}}
  hw.device @b kind chiplet {offchip_gbps = 1.0e-300, peak_tflops = {bf16 = 1.0}}
}

// -----

hw.system @s kind chiplet {
  // expected-error @+1 {{'hw.device' op peak_tflops 'bf16' = 1.000000e+12 is outside the plausible range [1e-06, 1e+09]}}
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0e12}}
}

// -----

hw.system @s kind chiplet {
  // expected-error @+1 {{'hw.device' op memory sizes must be at most 2^56 bytes}}
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}, offchip_bytes = 9223372036854775807, offchip_gbps = 100.0}
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.link' op bandwidth 1.000000e+308 or latency 1.000000e+00 is outside the plausible range [1e-06, 1e+09]}}
  hw.link @a -> @b bw 1.0e308 lat 1.0
}

// -----

hw.system @s kind chiplet {
  hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  hw.device @b kind chiplet {peak_tflops = {bf16 = 1.0}}
  // expected-error @+1 {{'hw.topology' op bandwidth 1.000000e+00 or latency 1.000000e-09 is outside the plausible range [1e-06, 1e+09]}}
  hw.topology ring [@a, @b] bw 1.0 lat 1.0e-9
}
