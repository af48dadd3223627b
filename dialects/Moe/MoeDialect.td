//===- MoeDialect.td - The model-level MoE dialect ---------*- tablegen -*-===//

#ifndef MOESAIC_MOE_DIALECT
#define MOESAIC_MOE_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Moe_Dialect : Dialect {
  let name = "moe";
  let cppNamespace = "::moesaic::moe";
  let summary = "Model-level IR of Mixture-of-Experts transformers";
  let description = [{
    The `moe` dialect describes a transformer at the level a multi-die
    mapping compiler reasons about: attention blocks, dense feed-forward
    layers, generic compute, routers, routed experts, shared experts, and the
    dispatch/combine pair that moves tokens to their experts and back.

    Values are the hidden states of the token batch in flight
    (`tensor<?xHxT>`: any number of tokens, hidden size `H`, element type
    `T`), routing decisions (`!moe.route<experts = E, top_k = k>`) and
    dispatched token sets (`!moe.dispatched<experts = E, hidden = H, T>`).
    Shapes live in types and attributes so that verifiers can check them;
    weights are never materialised: only their shapes and data types matter.

    ```mlir
    moe.model @tiny {
      %x = moe.input : tensor<?x64xbf16>
      %a = moe.attention %x layer 0 heads 4 kv_heads 2 head_dim 16 : tensor<?x64xbf16>
      %r = moe.router %a layer 0 scoring softmax renormalize : tensor<?x64xbf16> -> !moe.route<experts = 8, top_k = 2>
      %d = moe.dispatch %a, %r : tensor<?x64xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 64, bf16>
      %e = moe.experts %d layer 0 ffn 128 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 64, bf16>
      %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 64, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x64xbf16>
      moe.output %y : tensor<?x64xbf16>
    }
    ```
  }];
  let useDefaultTypePrinterParser = 1;
}

class Moe_Op<string mnemonic, list<Trait> traits = []>
    : Op<Moe_Dialect, mnemonic, traits>;

class Moe_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Moe_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

#endif // MOESAIC_MOE_DIALECT
