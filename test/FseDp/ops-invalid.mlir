// RUN: moe-opt %s --split-input-file --verify-diagnostics

hw.system @ring4 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c2 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c3 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1, @c2, @c3] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @plan strategy "fse-dp" model @m target @ring4 {
  // expected-error @below {{'hw.stream_ring' op is not a valid ring embedding (rule V1): logical neighbours 0 ('c0') and 1 ('c2') are not joined by a link in both directions}}
  hw.stream_ring rule "ring" order [@c0, @c2, @c1, @c3]
}

// -----

hw.system @ring4 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @plan strategy "fse-dp" model @m target @ring4 {
  hw.stream_ring rule "ring" order [@c0, @c1]
  // expected-error @below {{'hw.stream_shards' op homes must follow the stream ring's order (rule V2: shard s lives at ring position s)}}
  hw.stream_shards layer 0 experts 8 homes [@c1, @c0] shard_bytes 100 chunk_bytes 50 chunks 2
}

// -----

hw.system @ring2 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @plan strategy "fse-dp" model @m target @ring2 {
  // expected-error @below {{'hw.stream_shards' op 3 chunks of 50 bytes do not tile a shard of 100 bytes}}
  hw.stream_shards layer 0 experts 8 homes [@c0, @c1] shard_bytes 100 chunk_bytes 50 chunks 3
}

// -----

hw.system @ring2 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 1048576 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @plan strategy "fse-dp" model @m target @ring2 {
  hw.stream_shards layer 0 experts 8 homes [@c0, @c1] shard_bytes 1000000 chunk_bytes 500000 chunks 2
  // expected-error @below {{'hw.stream_schedule' op layer 0: stream buffers need 3000000 bytes but chiplet 'c1' has 1048576 bytes of SRAM (shortfall 1951424 bytes)}}
  hw.stream_schedule layer 0 template "arc" order "longest-first" loads "interleaved" holders "split" buffers 6 x 500000 ticks link 16 dram 30 compute 0 us_per_tick 0.25
}

// -----

hw.system @ring2 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
// The schedule checks each stream schedule against its layer's shards (an
// index built once): layer 1 has none.
hw.schedule @plan strategy "fse-dp" model @m target @ring2 {
  hw.stream_shards layer 0 experts 8 homes [@c0, @c1] shard_bytes 1000000 chunk_bytes 500000 chunks 2
  hw.stream_schedule layer 0 template "arc" order "longest-first" loads "interleaved" holders "split" buffers 6 x 500000 ticks link 16 dram 30 compute 0 us_per_tick 0.25
  // expected-error @below {{'hw.stream_schedule' op layer 1 has no hw.stream_shards}}
  hw.stream_schedule layer 1 template "arc" order "longest-first" loads "interleaved" holders "split" buffers 6 x 500000 ticks link 16 dram 30 compute 0 us_per_tick 0.25
}

// -----

hw.system @ring2 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
// The shards may follow the schedule that reads them; its buffers must hold
// one of their chunks.
hw.schedule @plan strategy "fse-dp" model @m target @ring2 {
  // expected-error @below {{'hw.stream_schedule' op buffers of 400000 bytes must hold one chunk of 500000 bytes}}
  hw.stream_schedule layer 0 template "arc" order "longest-first" loads "interleaved" holders "split" buffers 6 x 400000 ticks link 16 dram 30 compute 0 us_per_tick 0.25
  hw.stream_shards layer 0 experts 8 homes [@c0, @c1] shard_bytes 1000000 chunk_bytes 500000 chunks 2
}

// -----

hw.system @ring2 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @plan strategy "fse-dp" model @m target @ring2 {
  hw.stream_shards layer 0 experts 8 homes [@c0, @c1] shard_bytes 1000 chunk_bytes 500 chunks 2
  // expected-error @below {{'hw.stream_schedule' op template must be "arc" (rule V3), not "tree"}}
  hw.stream_schedule layer 0 template "tree" order "longest-first" loads "interleaved" holders "split" buffers 6 x 500 ticks link 16 dram 30 compute 0 us_per_tick 0.25
}

// -----

hw.system @ring2 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @plan strategy "fse-dp" model @m target @ring2 {
  hw.stream_shards layer 0 experts 8 homes [@c0, @c1] shard_bytes 1000 chunk_bytes 500 chunks 2
  // A negative tick count must be caught (I64Attr getters are unsigned).
  // expected-error @below {{'hw.stream_schedule' op buffer bytes, link/dram ticks and us_per_tick must be positive, compute ticks non-negative}}
  hw.stream_schedule layer 0 template "arc" order "longest-first" loads "interleaved" holders "split" buffers 6 x 500 ticks link 16 dram 30 compute -1 us_per_tick 0.25
}

// -----

hw.system @ring2 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @plan strategy "fse-dp" model @m target @ring2 {
  hw.stream_shards layer 0 experts 8 homes [@c0, @c1] shard_bytes 1000 chunk_bytes 500 chunks 2
  // expected-error @below {{'hw.stream_schedule' op loads must be "interleaved" or "sequential" (rule V5), not "random"}}
  hw.stream_schedule layer 0 template "arc" order "longest-first" loads "random" holders "split" buffers 6 x 500 ticks link 16 dram 30 compute 0 us_per_tick 0.25
}

// -----

hw.system @ring2 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
hw.schedule @plan strategy "fse-dp" model @m target @ring2 {
  hw.stream_shards layer 0 experts 8 homes [@c0, @c1] shard_bytes 1000 chunk_bytes 500 chunks 2
  // expected-error @below {{'hw.stream_schedule' op holders must be "split" or "single" (rule V6), not "all"}}
  hw.stream_schedule layer 0 template "arc" order "longest-first" loads "interleaved" holders "all" buffers 6 x 500 ticks link 16 dram 30 compute 0 us_per_tick 0.25
}

// -----

hw.system @ring2 kind chiplet {
  hw.device @c0 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.device @c1 kind chiplet {onchip_bytes = 8388608 : i64, offchip_bytes = 17179869184 : i64, offchip_gbps = 68.3 : f64, peak_tflops = {bf16 = 16.0 : f64}}
  hw.topology ring [@c0, @c1] bw 128.0 lat 20.0
}
moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  moe.output %x : tensor<?x64xbf16>
}
// Ticks a decision could carry past the runtime scheduler's 32 bits (8
// experts of 2 chunks, each chunk 200 million ticks of DRAM): refused with
// the bound, not left to wrap at run time.
hw.schedule @plan strategy "fse-dp" model @m target @ring2 {
  hw.stream_shards layer 0 experts 8 homes [@c0, @c1] shard_bytes 1000 chunk_bytes 500 chunks 2
  // expected-error @below {{'hw.stream_schedule' op layer 0: a decision could reach 7.00E+09 ticks (link 16, DRAM 200000000, compute 0 ticks per chunk, 2 chunks per shard, 8 experts), past the runtime scheduler's 32-bit ticks}}
  hw.stream_schedule layer 0 template "arc" order "longest-first" loads "interleaved" holders "split" buffers 6 x 500 ticks link 16 dram 200000000 compute 0 us_per_tick 0.25
}
