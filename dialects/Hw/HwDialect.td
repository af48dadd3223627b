//===- HwDialect.td - The target-system dialect ------------*- tablegen -*-===//

#ifndef MOESAIC_HW_DIALECT
#define MOESAIC_HW_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Hw_Dialect : Dialect {
  let name = "hw";
  let cppNamespace = "::moesaic::hw";
  let summary = "Multi-die target systems and the schedules mapped onto them";
  let description = [{
    The `hw` dialect describes the hardware an MoE model is mapped onto and
    holds the lowering's decisions. A `hw.system` lists devices (chiplets,
    wafer dies, GPUs, NDP units, host CPUs) with their coordinates and
    memory/compute figures, the links between them, and topology shorthands
    (ring, 2D mesh, switch, PCIe star) that stand for many links.

    The IR holds names, coordinates and references only; all derived facts
    (routes, hop counts, link contention) come from the C++ target model
    (`moesaic::SystemModel`) built from the `hw.system` op, the same class
    the JSON hardware files load into.

    ```mlir
    hw.system @pair kind chiplet {
      hw.device @c0 kind chiplet at [0, 0] {peak_tflops = {bf16 = 16.0}, onchip_bytes = 4194304, offchip_bytes = 4294967296, offchip_gbps = 51.2}
      hw.device @c1 kind chiplet at [0, 1] {peak_tflops = {bf16 = 16.0}, onchip_bytes = 4194304, offchip_bytes = 4294967296, offchip_gbps = 51.2}
      hw.link @c0 -> @c1 bw 100.0 lat 20.0 bidirectional
    }
    ```
  }];
}

class Hw_Op<string mnemonic, list<Trait> traits = []>
    : Op<Hw_Dialect, mnemonic, traits>;

#endif // MOESAIC_HW_DIALECT
