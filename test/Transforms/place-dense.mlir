// RUN: moe-opt %s --moe-attach-target=hw=edge-chiplet-4 --moe-create-schedule=strategy=ep --moe-place-dense | FileCheck %s --check-prefix=DATA
// RUN: moe-opt %s --moe-attach-target=hw=edge-chiplet-4 --moe-create-schedule=strategy=tp --moe-place-dense=mode=tensor | FileCheck %s --check-prefix=TENSOR
// RUN: moe-opt %s --moe-attach-target=hw=edge-chiplet-4 --moe-create-schedule=strategy=one --moe-place-dense=mode=single | FileCheck %s --check-prefix=SINGLE

// Data parallel: every accelerator, attention then the router.
// DATA: hw.schedule @ep_plan
// DATA-NEXT: hw.place_dense layer 0 "attention" on [@c0, @c1, @c2, @c3] mode data
// DATA-NEXT: hw.place_dense layer 0 "router" on [@c0, @c1, @c2, @c3] mode data
// DATA-NEXT: }

// Tensor parallel attention; the router stays data parallel.
// TENSOR: hw.place_dense layer 0 "attention" on [@c0, @c1, @c2, @c3] mode tensor
// TENSOR-NEXT: hw.place_dense layer 0 "router" on [@c0, @c1, @c2, @c3] mode data

// Single: the first accelerator only.
// SINGLE: hw.place_dense layer 0 "attention" on [@c0] mode single
// SINGLE-NEXT: hw.place_dense layer 0 "router" on [@c0] mode single

moe.model @m {
  %x = moe.input : tensor<?x64xbf16>
  %a = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
  %r = moe.router %a layer 0 scoring softmax renormalize : tensor<?x64xbf16> -> !moe.route<experts = 6, top_k = 2>
  %d = moe.dispatch %a, %r : tensor<?x64xbf16>, !moe.route<experts = 6, top_k = 2> -> !moe.dispatched<experts = 6, hidden = 64, bf16>
  %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 6, hidden = 64, bf16>
  %c = moe.combine %e, %r : !moe.dispatched<experts = 6, hidden = 64, bf16>, !moe.route<experts = 6, top_k = 2> -> tensor<?x64xbf16>
  moe.output %c : tensor<?x64xbf16>
}
