//===- MoeTypes.td - Types of the moe dialect --------------*- tablegen -*-===//

#ifndef MOESAIC_MOE_TYPES
#define MOESAIC_MOE_TYPES

include "Moe/MoeDialect.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

def Moe_RouteType : Moe_Type<"Route", "route"> {
  let summary = "A routing decision: each token's top-k experts and weights";
  let description = [{
    The result of a `moe.router`: for every token in flight, the `top_k`
    experts (out of `experts`) it is sent to and their combine weights.

    ```mlir
    !moe.route<experts = 64, top_k = 6>
    ```
  }];
  let parameters = (ins "int64_t":$experts, "int64_t":$topK);
  let assemblyFormat = "`<` `experts` `=` $experts `,` `top_k` `=` $topK `>`";
  let genVerifyDecl = 1;
}

def Moe_DispatchedType : Moe_Type<"Dispatched", "dispatched"> {
  let summary = "Tokens grouped by the expert they were dispatched to";
  let description = [{
    The hidden states of the token batch, grouped per expert after a
    `moe.dispatch` (and after `moe.experts` computed on them).

    ```mlir
    !moe.dispatched<experts = 8, hidden = 4096, bf16>
    ```
  }];
  let parameters = (ins "int64_t":$experts, "int64_t":$hidden,
                        "::mlir::Type":$elementType);
  let assemblyFormat = [{
    `<` `experts` `=` $experts `,` `hidden` `=` $hidden `,` $elementType `>`
  }];
  let genVerifyDecl = 1;
}

/// Hidden states of the token batch: a rank-2 tensor, tokens dynamic, hidden
/// size static.
def Moe_Tokens : Type<
    And<[AnyRankedTensor.predicate,
         CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() == 2">,
         CPred<"!::llvm::cast<::mlir::RankedTensorType>($_self).isDynamicDim(1)">]>,
    "token hidden states (tensor<?xHxT>)", "::mlir::RankedTensorType">;

#endif // MOESAIC_MOE_TYPES
