// The four GPU-NDP strategies end to end on a GPU too small for the tiny
// model's experts (4.5 MiB of VRAM: at batch 4, ~4 experts fit after the weights, KV
// cache and workspace).
// RUN: moe-opt %moesaic_src/examples/tiny-moe.mlir --hw=%S/Inputs/gpu-ndp-small.json --strategy=ndp-tp --workload=batch=2,steps=4 --schedule=- -o /dev/null | FileCheck %s --check-prefix=SCHED
// RUN: moe-opt %moesaic_src/examples/tiny-moe.mlir --hw=%S/Inputs/gpu-ndp-small.json --strategy=ndp-tp -o - | FileCheck %s --check-prefix=IR
// RUN: moe-opt %moesaic_src/examples/tiny-moe.mlir --hw=%S/Inputs/gpu-ndp-small.json --compare=ndp-ondemand,ndp-fiddler,ndp-monde,ndp-tp --workload=batch=4,steps=4 --report=- -o /dev/null | FileCheck %s --check-prefix=REPORT
// RUN: not moe-opt %moesaic_src/examples/tiny-moe.mlir --hw=edge-chiplet-4 --strategy=ndp-tp 2>&1 | FileCheck %s --check-prefix=KIND
// RUN: not moe-opt %moesaic_src/examples/qwen3-30b-a3b.mlir --hw=%S/Inputs/gpu-ndp-small.json --strategy=ndp-monde 2>&1 | FileCheck %s --check-prefix=NOFIT --implicit-check-not=error:
// A batch whose KV cache does not fit VRAM is refused (it was simulated as
// if it fitted, which could beat the lower bound).
// RUN: not moe-opt %moesaic_src/examples/tiny-moe.mlir --hw=%S/Inputs/gpu-ndp-small.json --strategy=ndp-tp --workload=batch=8,steps=1 -o /dev/null 2>&1 | FileCheck %s --check-prefix=KVFIT
// KVFIT: error: strategy 'ndp-tp': model 'tiny_moe' does not fit on 'gpu': non-expert weights ({{.*}}) + KV cache for 8 x 4096 tokens (8.0 MiB (8388608 bytes)) + workspace ({{.*}}) exceed its {{.*}} of VRAM (the KV cache is sized for the workload's batch and context: a smaller batch or a shorter context=N in --workload needs less)
// RUN: moe-opt %moesaic_src/examples/tiny-moe.mlir --hw=%S/Inputs/gpu-ndp-small.json --strategy=ndp-tp --workload=batch=8,steps=1,context=256 -o /dev/null

// IR: hw.schedule @ndp_tp_plan strategy "ndp-tp"
// IR: hw.place_dense layer 0 "attention" on [@gpu] mode single
// Without --workload the default workload (batch 1) sizes the KV cache.
// IR: hw.ndp_vram_plan on @gpu vram 4718592 non_expert 51200 kv 1048576 workspace 235929 experts 3382887 policy online
// IR-SAME: max_batch = 1
// IR: hw.ndp_tensor_split layer 0 across [@ndp0, @ndp1, @ndp2, @ndp3, @ndp4, @ndp5, @ndp6, @ndp7] rows [16, 16, 16, 16, 16, 16, 16, 16] reduce_on @host
// IR: hw.ndp_tensor_split layer 1
// IR: hw.ndp_balance cold "ndp-tp" granularity 4

// SCHED: "index": -1,
// SCHED-NEXT: "ndp_balance": {
// SCHED-NEXT: "cold": "ndp-tp",
// SCHED-NEXT: "granularity": 4
// The plan's KV cache is the workload's: 2 tokens x 4096 positions.
// SCHED: "ndp_vram_plan": {
// SCHED: "expert_cache_bytes": 2334311,
// SCHED: "kv_bytes": 2097152,
// SCHED: "max_batch": 2,
// SCHED: "policy": "online",
// SCHED: "index": 0,
// SCHED: "ndp_tensor_split": {
// SCHED-NEXT: "reduce_on": "host",
// SCHED: "strategy": "ndp-tp",

// Every strategy reports its placement counts; ndp-tp's NDP units are
// balanced (tensor parallel), MoNDE's are not (whole experts per unit).
// REPORT: "cold_on": "fetch",
// REPORT: "experts_on_ndp": 0,
// REPORT: "strategy": "ndp-ondemand",
// REPORT: "cold_on": "cpu",
// REPORT: "strategy": "ndp-fiddler",
// REPORT: "cold_on": "ndp-ep",
// REPORT: "ndp_balance": [[MONDE:[0-9.]+]],
// REPORT: "strategy": "ndp-monde",
// REPORT: "cold_on": "ndp-tp",
// REPORT: "ndp_balance": 1{{(\.0+[0-9]*)?}},
// REPORT: "strategy": "ndp-tp",

// KIND: error: strategy 'ndp-tp' does not serve chiplet systems {{.*}}(it serves gpu-ndp)

// A model whose non-expert weights alone exceed VRAM, through the CLI.
// NOFIT: error: strategy 'ndp-monde': model 'qwen3_30b_a3b' does not fit on 'gpu': its non-expert weights alone need 1.7 GiB (1837105152 bytes) but the GPU has 4.5 MiB (4718592 bytes) of VRAM
