//===- Passes.td - Moesaic's passes ------------------------*- tablegen -*-===//
//
// Every pass of the project, one C++ file each under lib/Transforms/. Each
// description carries an example of its input and output.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_PASSES
#define MOESAIC_PASSES

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Common
//===----------------------------------------------------------------------===//

def AttachTarget : Pass<"moe-attach-target", "mlir::ModuleOp"> {
  let summary = "Materialises a hardware preset or file as a hw.system";
  let description = [{
    Loads the target named by `hw` (a preset name such as `edge-chiplet-4`,
    or a path to a JSON hardware description), validates it, and inserts the
    equivalent `hw.system` op at the start of the module. A module that
    already holds a `hw.system` of that name is left unchanged; a module
    holding a different system is rejected unless `replace` is set.

    Input:
    ```mlir
    moe.model @m { ... }
    ```
    Output of `--moe-attach-target="hw=edge-chiplet-4"`:
    ```mlir
    hw.system @edge_chiplet_4 kind chiplet attributes {...} {
      hw.device @c0 kind chiplet {...}
      ...
      hw.topology ring [@c0, @c1, @c2, @c3] bw 128.0 lat 20.0
    }
    moe.model @m { ... }
    ```
  }];
  let options = [
    Option<"hw", "hw", "std::string", /*default=*/"\"\"",
           "Preset name or path of a JSON hardware description">,
    Option<"replace", "replace", "bool", /*default=*/"false",
           "Replace a hw.system the module already holds">,
  ];
  let dependentDialects = ["::moesaic::hw::HwDialect"];
}

include "Transforms/BaselinePasses.td"
include "Transforms/NdpPasses.td"
include "Transforms/WaferPasses.td"
include "Transforms/FseDpPasses.td"
include "Transforms/DataflowPasses.td"
include "Transforms/DataflowRuntimePasses.td"

#endif // MOESAIC_PASSES
