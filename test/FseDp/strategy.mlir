// RUN: moe-opt %moesaic_src/examples/tiny-moe.mlir --hw=edge-chiplet-8-mesh --strategy=fse-dp --workload=batch=4,trace=zipf:1.2,seed=1,steps=2 --schedule=%t.schedule.json --report=%t.report.json | FileCheck %s --check-prefix=IR
// RUN: %python -c "import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True, separators=(',', ':')))" < %t.schedule.json | FileCheck %s --check-prefix=SCHED
// RUN: %python -c "import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True, separators=(',', ':')))" < %t.report.json | FileCheck %s --check-prefix=REPORT
// RUN: not moe-opt %moesaic_src/examples/tiny-moe.mlir --hw=wafer-8x8 --strategy=fse-dp -o /dev/null 2>&1 | FileCheck %s --check-prefix=WAFER

// The whole pipeline: ring, shards and stream schedules in the hw.schedule.
// IR: hw.schedule @{{"?fse.dp_plan"?}} strategy "fse-dp" model @tiny_moe target @edge_chiplet_8_mesh
// IR: hw.stream_ring rule "snake" order [@c_0_0, @c_0_1, @c_0_2, @c_0_3, @c_1_3, @c_1_2, @c_1_1, @c_1_0]
// IR: hw.place_dense layer 0 "attention" on {{.*}} mode tensor
// IR: hw.stream_shards layer 0 experts 8 homes [@c_0_0, @c_0_1, @c_0_2, @c_0_3, @c_1_3, @c_1_2, @c_1_1, @c_1_0] shard_bytes 6144 chunk_bytes 6144 chunks 1
// IR: hw.stream_shards layer 1
// IR: hw.stream_schedule layer 0 template "arc" order "longest-first" loads "interleaved" holders "split" buffers 6 x 6144
// IR: hw.stream_schedule layer 1

// The schedule JSON carries the static decisions and the runtime tables.
// SCHED: "stream_ring":{"order":["c_0_0","c_0_1","c_0_2","c_0_3","c_1_3","c_1_2","c_1_1","c_1_0"],"rule":"snake"}
// SCHED: "stream_schedule":{"buffer_bytes":6144,"buffers":6,"compute_ticks":0,"dram_ticks":21,"holders":"split","link_ticks":16,"loads":"interleaved","order":"longest-first","template":"arc","us_per_tick":0.00425}
// SCHED-SAME: "stream_shards":{"chunk_bytes":6144,"chunks":1,"experts":8,"homes":["c_0_0","c_0_1","c_0_2","c_0_3","c_1_3","c_1_2","c_1_1","c_1_0"],"shard_bytes":6144}

// The report: the stream buffers (6 x 6144 bytes) are the on-chip peak of
// the MoE part, and the runtime's own statistics: with 4 or 5 of 8 experts
// active, a single holder's in-links would carry 4 shards against one DRAM
// shard per expert, so rule V6 gives each expert 2 holders.
// REPORT: "fse_dp":{{.*}}"mean_holders_per_expert":2{{.*}}"ring_rule":"snake"{{.*}}"stream_buffer_bytes":36864

// WAFER: error: strategy 'fse-dp' does not serve wafer systems{{.*}}(it serves chiplet)
