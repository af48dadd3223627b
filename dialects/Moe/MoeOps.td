//===- MoeOps.td - Operations of the moe dialect -----------*- tablegen -*-===//

#ifndef MOESAIC_MOE_OPS
#define MOESAIC_MOE_OPS

include "Moe/MoeDialect.td"
include "Moe/MoeTypes.td"
include "Moe/MoeEnums.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

//===----------------------------------------------------------------------===//
// Structure
//===----------------------------------------------------------------------===//

def Moe_ModelOp : Moe_Op<"model", [Symbol, SingleBlock, IsolatedFromAbove]> {
  let summary = "A whole model: the ops of one forward (decode) step";
  let description = [{
    The container of a model. Its single block takes the token batch with
    `moe.input`, runs the layers in order, and ends with `moe.output`.
    Every layer op carries its transformer `layer` index; indices never
    decrease along the block. Optional attributes record where the model
    came from (`source`) and the total parameter bytes as imported
    (`params_bytes`, which may include weights such as embeddings that no
    op below accounts for).

    ```mlir
    moe.model @mixtral attributes {source = "mixtral.onnx"} {
      %x = moe.input : tensor<?x4096xbf16>
      ...
      moe.output %y : tensor<?x4096xbf16>
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       OptionalAttr<StrAttr>:$source,
                       OptionalAttr<I64Attr>:$params_bytes);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The first moe.input of the body, if any.
    mlir::Value getInputValue();
  }];
}

def Moe_InputOp : Moe_Op<"input", [Pure, HasParent<"ModelOp">]> {
  let summary = "The hidden states of the tokens entering the model";
  let description = [{
    Produces the token batch's hidden states after embedding.
    `context` is the KV-cache length each decode token attends to (used to
    cost attention; default 4096).

    ```mlir
    %x = moe.input : tensor<?x4096xbf16>
    %x = moe.input context 32768 : tensor<?x7168xbf16>
    ```
  }];
  let arguments = (ins OptionalAttr<I64Attr>:$context);
  let results = (outs Moe_Tokens:$tokens);
  let assemblyFormat = "(`context` $context^)? attr-dict `:` type($tokens)";
  let hasVerifier = 1;
}

def Moe_OutputOp : Moe_Op<"output", [Terminator, HasParent<"ModelOp">]> {
  let summary = "Ends a model, returning the final hidden states";
  let description = [{
    ```mlir
    moe.output %y : tensor<?x4096xbf16>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

//===----------------------------------------------------------------------===//
// Dense compute
//===----------------------------------------------------------------------===//

def Moe_AttentionOp : Moe_Op<"attention",
    [Pure, AllTypesMatch<["input", "output"]>]> {
  let summary = "A self-attention block (projections, scores, output)";
  let description = [{
    Multi-head or grouped-query attention over the hidden states:
    `heads` query heads, `kv_heads` key/value heads (`kv_heads` divides
    `heads`; equal for MHA), each of `head_dim`. Q/K/V/O projection weights
    are implied by these sizes and the hidden size of the operand type.
    Optional `q_lora_rank`/`kv_lora_rank` describe DeepSeek's multi-head
    latent attention (MLA): the KV cache then holds `kv_lora_rank` values
    per token instead of `2 * kv_heads * head_dim`.

    ```mlir
    %a = moe.attention %x layer 0 heads 32 kv_heads 8 head_dim 128 : tensor<?x4096xbf16>
    ```
  }];
  let arguments = (ins Moe_Tokens:$input, I64Attr:$layer, I64Attr:$heads,
                       I64Attr:$kv_heads, I64Attr:$head_dim,
                       OptionalAttr<I64Attr>:$q_lora_rank,
                       OptionalAttr<I64Attr>:$kv_lora_rank);
  let results = (outs Moe_Tokens:$output);
  let assemblyFormat = [{
    $input `layer` $layer `heads` $heads `kv_heads` $kv_heads `head_dim` $head_dim
    attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def Moe_DenseOp : Moe_Op<"dense", [Pure, AllTypesMatch<["input", "output"]>]> {
  let summary = "A dense feed-forward (MLP) block";
  let description = [{
    A feed-forward block applied to every token: `H -> ffn -> H` with the
    given activation (gated activations such as `swiglu` have three weight
    matrices, others two). Weight element type defaults to the activation
    type.

    ```mlir
    %f = moe.dense %a layer 0 ffn 18432 act swiglu : tensor<?x7168xbf16>
    ```
  }];
  let arguments = (ins Moe_Tokens:$input, I64Attr:$layer, I64Attr:$ffn,
                       Moe_Activation:$act);
  let results = (outs Moe_Tokens:$output);
  let assemblyFormat = [{
    $input `layer` $layer `ffn` $ffn `act` $act attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def Moe_ComputeOp : Moe_Op<"compute", [Pure]> {
  let summary = "Generic compute with a known cost (norms, embeddings, ...)";
  let description = [{
    Any computation that is neither attention, a dense FFN nor an MoE part:
    the importer uses it for ONNX ops it does not recognise and for
    embeddings, norms and the LM head. `kind` names what it was (e.g. the
    ONNX op type); `flops_per_token` and `weight_bytes` are what the cost
    model charges. `layer` is -1 outside transformer layers.

    ```mlir
    %n = moe.compute "RMSNormalization" (%x) layer 0 flops_per_token 12288 weight_bytes 8192 : (tensor<?x4096xbf16>) -> tensor<?x4096xbf16>
    ```
  }];
  let arguments = (ins StrAttr:$kind, Variadic<AnyType>:$inputs,
                       I64Attr:$layer, F64Attr:$flops_per_token,
                       I64Attr:$weight_bytes);
  let results = (outs AnyType:$output);
  let assemblyFormat = [{
    $kind `(` $inputs `)` `layer` $layer `flops_per_token` $flops_per_token
    `weight_bytes` $weight_bytes attr-dict `:` functional-type($inputs, $output)
  }];
  let hasVerifier = 1;
}

def Moe_AddOp : Moe_Op<"add", [Pure, SameOperandsAndResultType]> {
  let summary = "Element-wise sum of hidden states (residual connections)";
  let description = [{
    ```mlir
    %s = moe.add %x, %y : tensor<?x4096xbf16>
    ```
  }];
  let arguments = (ins Moe_Tokens:$lhs, Moe_Tokens:$rhs);
  let results = (outs Moe_Tokens:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Mixture of experts
//===----------------------------------------------------------------------===//

def Moe_RouterOp : Moe_Op<"router", [Pure]> {
  let summary = "Scores every expert per token and picks the top-k";
  let description = [{
    The gate of an MoE layer. The result type fixes the number of experts
    and `top_k`. `scoring` is the function applied to the router logits:
    `softmax`, `sigmoid`, `sigmoid_bias` (DeepSeek-V3: sigmoid plus a
    per-expert bias used only for selection) or `sparsemixer` (Phi-3.5).
    `renormalize` rescales the chosen weights to sum to one.
    Group-limited routing (`groups G pick P`) splits the experts into `G`
    groups and picks the top-k only among the best `P` groups.
    `scale` multiplies the routing weights (DeepSeek-V3: 2.5);
    `capacity` is a capacity factor (Switch), absent when unlimited.

    ```mlir
    %r = moe.router %x layer 3 scoring softmax renormalize : tensor<?x4096xbf16> -> !moe.route<experts = 8, top_k = 2>
    %r = moe.router %x layer 3 scoring sigmoid_bias renormalize groups 8 pick 4 scale 2.5 : tensor<?x7168xbf16> -> !moe.route<experts = 256, top_k = 8>
    ```
  }];
  let arguments = (ins Moe_Tokens:$input, I64Attr:$layer, Moe_Scoring:$scoring,
                       UnitAttr:$renormalize,
                       OptionalAttr<I64Attr>:$groups,
                       OptionalAttr<I64Attr>:$pick,
                       OptionalAttr<F64Attr>:$scale,
                       OptionalAttr<F64Attr>:$capacity);
  let results = (outs Moe_RouteType:$route);
  let assemblyFormat = [{
    $input `layer` $layer `scoring` $scoring (`renormalize` $renormalize^)?
    (`groups` $groups^)? (`pick` $pick^)? (`scale` $scale^)?
    (`capacity` $capacity^)? attr-dict `:` type($input) `->` qualified(type($route))
  }];
  let hasVerifier = 1;
}

def Moe_DispatchOp : Moe_Op<"dispatch", [Pure]> {
  let summary = "Sends every token to the experts its route chose";
  let description = [{
    Groups the token batch by expert according to the route. On a
    multi-device target this is where tokens cross devices (all-to-all under
    expert parallelism); the lowering passes decide how.

    ```mlir
    %d = moe.dispatch %x, %r : tensor<?x4096xbf16>, !moe.route<experts = 8, top_k = 2> -> !moe.dispatched<experts = 8, hidden = 4096, bf16>
    ```
  }];
  let arguments = (ins Moe_Tokens:$input, Moe_RouteType:$route);
  let results = (outs Moe_DispatchedType:$output);
  let assemblyFormat = [{
    $input `,` $route attr-dict `:` type($input) `,` qualified(type($route)) `->`
    qualified(type($output))
  }];
  let hasVerifier = 1;
}

def Moe_ExpertsOp : Moe_Op<"experts", [Pure, AllTypesMatch<["input", "output"]>]> {
  let summary = "The routed experts of one MoE layer";
  let description = [{
    `experts` independent FFNs (count and hidden size from the operand type),
    each `H -> ffn -> H` with the given activation, applied to the tokens
    dispatched to them. `weights` is the weight element type (`bf16`, `f16`,
    `f8E4M3FN`, `i8`, `i4`, `i2` for quantised experts); quantised weights
    carry a `block_size` for their scales. `bias` marks experts with biases.

    ```mlir
    %e = moe.experts %d layer 0 ffn 14336 act swiglu weights bf16 : !moe.dispatched<experts = 8, hidden = 4096, bf16>
    %q = moe.experts %d layer 0 ffn 768 act swiglu weights i4 block_size 128 : !moe.dispatched<experts = 128, hidden = 2048, bf16>
    ```
  }];
  let arguments = (ins Moe_DispatchedType:$input, I64Attr:$layer, I64Attr:$ffn,
                       Moe_Activation:$act, TypeAttr:$weights,
                       OptionalAttr<I64Attr>:$block_size, UnitAttr:$bias);
  let results = (outs Moe_DispatchedType:$output);
  let assemblyFormat = [{
    $input `layer` $layer `ffn` $ffn `act` $act `weights` $weights
    (`block_size` $block_size^)? (`bias` $bias^)? attr-dict `:` qualified(type($input))
  }];
  let hasVerifier = 1;
}

def Moe_CombineOp : Moe_Op<"combine", [Pure]> {
  let summary = "Weights expert outputs by the route and sums them per token";
  let description = [{
    The inverse of `moe.dispatch`: brings every token's expert outputs back
    to it and sums them with the routing weights.

    ```mlir
    %y = moe.combine %e, %r : !moe.dispatched<experts = 8, hidden = 4096, bf16>, !moe.route<experts = 8, top_k = 2> -> tensor<?x4096xbf16>
    ```
  }];
  let arguments = (ins Moe_DispatchedType:$input, Moe_RouteType:$route);
  let results = (outs Moe_Tokens:$output);
  let assemblyFormat = [{
    $input `,` $route attr-dict `:` qualified(type($input)) `,` qualified(type($route)) `->`
    type($output)
  }];
  let hasVerifier = 1;
}

def Moe_SharedExpertsOp : Moe_Op<"shared_experts",
    [Pure, AllTypesMatch<["input", "output"]>]> {
  let summary = "Experts every token goes through (DeepSeek, Qwen2-MoE)";
  let description = [{
    `count` shared experts of `ffn` each, applied to every token in
    addition to the routed experts. `gated` marks a sigmoid gate scaling the
    shared output per token (Qwen2-MoE).

    ```mlir
    %s = moe.shared_experts %x layer 1 count 2 ffn 1408 act swiglu : tensor<?x2048xbf16>
    %s = moe.shared_experts %x layer 1 count 1 ffn 5632 act swiglu gated : tensor<?x2048xbf16>
    ```
  }];
  let arguments = (ins Moe_Tokens:$input, I64Attr:$layer, I64Attr:$count,
                       I64Attr:$ffn, Moe_Activation:$act, UnitAttr:$gated);
  let results = (outs Moe_Tokens:$output);
  let assemblyFormat = [{
    $input `layer` $layer `count` $count `ffn` $ffn `act` $act
    (`gated` $gated^)? attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

#endif // MOESAIC_MOE_OPS
