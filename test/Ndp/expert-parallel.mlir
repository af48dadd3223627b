// RUN: moe-opt %S/Inputs/tiny-edge.mlir --moe-ndp-expert-parallel | FileCheck %s

// MoNDE: expert e whole on unit e mod 2.
// CHECK: hw.place_experts layer 0 {{\[}}[@ndp0], [@ndp1], [@ndp0], [@ndp1], [@ndp0], [@ndp1], [@ndp0], [@ndp1]]
