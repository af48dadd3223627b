//===- HwEnums.td - Enumerations of the hw dialect ---------*- tablegen -*-===//

#ifndef MOESAIC_HW_ENUMS
#define MOESAIC_HW_ENUMS

include "mlir/IR/EnumAttr.td"

def Hw_SystemKind : I32EnumAttr<"SystemKindAttr", "kind of target system", [
    I32EnumAttrCase<"chiplet", 0>, I32EnumAttrCase<"wafer", 1>,
    I32EnumAttrCase<"gpu_ndp", 2>,
    I32EnumAttrCase<"gpu_cluster", 3>]> {
  let cppNamespace = "::moesaic::hw";
}

def Hw_DeviceKind : I32EnumAttr<"DeviceKindAttr", "kind of device", [
    I32EnumAttrCase<"chiplet", 0>, I32EnumAttrCase<"die", 1>,
    I32EnumAttrCase<"gpu", 2>, I32EnumAttrCase<"ndp", 3>,
    I32EnumAttrCase<"cpu", 4>, I32EnumAttrCase<"switch_", 5, "switch">]> {
  let cppNamespace = "::moesaic::hw";
}

def Hw_TopologyKind : I32EnumAttr<"TopologyKindAttr", "topology shorthand", [
    I32EnumAttrCase<"ring", 1>, I32EnumAttrCase<"mesh", 2>,
    I32EnumAttrCase<"switch_", 3, "switch">, I32EnumAttrCase<"pcie", 4>]> {
  let cppNamespace = "::moesaic::hw";
}

#endif // MOESAIC_HW_ENUMS
