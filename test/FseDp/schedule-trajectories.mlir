// RUN: moe-opt %s --moe-fsedp-virtualize --moe-fsedp-shard-experts --moe-fsedp-schedule-trajectories | FileCheck %s
// RUN: moe-opt %s --moe-fsedp-virtualize --moe-fsedp-shard-experts --moe-fsedp-schedule-trajectories=loads=sequential | FileCheck %s --check-prefix=SEQ
// RUN: moe-opt %s --moe-fsedp-virtualize --moe-fsedp-shard-experts --moe-fsedp-schedule-trajectories=loads=sideways --verify-diagnostics -o /dev/null
// RUN: moe-opt %s --moe-fsedp-virtualize --moe-fsedp-shard-experts --moe-fsedp-schedule-trajectories=holders=single | FileCheck %s --check-prefix=SINGLE
// RUN: not moe-opt %s --moe-fsedp-virtualize --moe-fsedp-shard-experts --moe-fsedp-schedule-trajectories=holders=many -o %t.never 2>&1 | FileCheck %s --check-prefix=HOLDERS
// RUN: not test -e %t.never

// Six double-buffered chunk slots per chiplet; a chunk crosses a 128 GB/s,
// 20 ns hop in 16 ticks (0.02 + 699050 / 128e3 = 5.4813 us, so 0.34258 us
// per tick) and leaves 68.3 GB/s DRAM in 10.235 us = 30 ticks.
// CHECK: hw.stream_ring
// CHECK: hw.stream_shards layer 0
// Each chiplet's DRAM takes the granules of all active experts round-robin
// (rule V5) unless asked to load expert by expert.
// Replicated tokens may split an expert over one holder per ring segment
// (rule V6) unless asked for one holder per expert.
// CHECK: hw.stream_schedule layer 0 template "arc" order "longest-first" loads "interleaved" holders "split" buffers 6 x 699050 ticks link 16 dram 30 compute 0 us_per_tick 0.342583
// SEQ: hw.stream_schedule layer 0 template "arc" order "longest-first" loads "sequential" holders "split" buffers 6 x 699050
// SINGLE: hw.stream_schedule layer 0 template "arc" order "longest-first" loads "interleaved" holders "single" buffers 6 x 699050
// HOLDERS: error: moe-fsedp-schedule-trajectories: holders must be split or single (rule V6), not 'many'
hw.system @ring4 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c2 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c3 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1, @c2, @c3] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x4096xbf16>
  %r = moe.router %x layer 0 scoring softmax renormalize : tensor<?x4096xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d = moe.dispatch %x, %r : tensor<?x4096xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 4096, bf16>
  %e = moe.experts %d layer 0 ffn 14336 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 4096, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 4096, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x4096xbf16>
  moe.output %c : tensor<?x4096xbf16>
}
// An unknown load order is refused (third RUN line).
// expected-error @below {{moe-fsedp-schedule-trajectories: loads must be interleaved or sequential (rule V5), not 'sideways'}}
hw.schedule @plan strategy "fse-dp" model @m target @ring4 {
}
