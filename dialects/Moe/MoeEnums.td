//===- MoeEnums.td - Enumerations of the moe dialect -------*- tablegen -*-===//

#ifndef MOESAIC_MOE_ENUMS
#define MOESAIC_MOE_ENUMS

include "mlir/IR/EnumAttr.td"

def Moe_Activation : I32EnumAttr<"Activation", "expert or FFN activation", [
    I32EnumAttrCase<"silu", 0>, I32EnumAttrCase<"swiglu", 1>,
    I32EnumAttrCase<"gelu", 2>, I32EnumAttrCase<"geglu", 3>,
    I32EnumAttrCase<"relu", 4>, I32EnumAttrCase<"identity", 5>,
    I32EnumAttrCase<"clamped_swiglu", 6>]> {
  let cppNamespace = "::moesaic::moe";
}

def Moe_Scoring : I32EnumAttr<"Scoring", "router scoring function", [
    I32EnumAttrCase<"softmax", 0>, I32EnumAttrCase<"sigmoid", 1>,
    I32EnumAttrCase<"sigmoid_bias", 2>, I32EnumAttrCase<"sparsemixer", 3>]> {
  let cppNamespace = "::moesaic::moe";
}

#endif // MOESAIC_MOE_ENUMS
