// RUN: moe-opt %s --moe-fsedp-virtualize --moe-fsedp-shard-experts | FileCheck %s
// RUN: moe-opt %s --moe-fsedp-virtualize --moe-fsedp-shard-experts="buffer-fraction=0.25" | FileCheck %s --check-prefix=QUARTER

// Mixtral-8x7B's expert shape on a 4-chiplet ring: 352321536 bytes per
// expert, 88080384 per shard; 4 MiB of buffers / 6 slots = 699050-byte
// chunks, 127 of them per shard. Layer 1's tiny shard (12288 bytes) is
// below the 40960-byte latency floor, so it streams whole.
// CHECK: hw.stream_ring rule "ring" order [@c0, @c1, @c2, @c3]
// CHECK: hw.stream_shards layer 0 experts 8 homes [@c0, @c1, @c2, @c3] shard_bytes 88080384 chunk_bytes 699050 chunks 127
// CHECK: hw.stream_shards layer 1 experts 8 homes [@c0, @c1, @c2, @c3] shard_bytes 12288 chunk_bytes 12288 chunks 1
// A quarter of SRAM: 349525-byte chunks.
// QUARTER: hw.stream_shards layer 0 experts 8 homes [@c0, @c1, @c2, @c3] shard_bytes 88080384 chunk_bytes 349525 chunks 253
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
  %r1 = moe.router %c layer 1 scoring softmax renormalize : tensor<?x4096xbf16> -> !moe.route<experts = 8, top_k = 2>
  %d1 = moe.dispatch %c, %r1 : tensor<?x4096xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 4096, bf16>
  %e1 = moe.experts %d1 layer 1 ffn 2 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 4096, bf16>
  %c1 = moe.combine %e1, %r1 : !moe.dispatched<experts = 8, hidden = 4096, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x4096xbf16>
  moe.output %c1 : tensor<?x4096xbf16>
}
hw.schedule @plan strategy "fse-dp" model @m target @ring4 {
}
