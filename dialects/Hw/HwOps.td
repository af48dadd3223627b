//===- HwOps.td - System-description ops of the hw dialect -*- tablegen -*-===//

#ifndef MOESAIC_HW_OPS
#define MOESAIC_HW_OPS

include "Hw/HwDialect.td"
include "Hw/HwEnums.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/IR/BuiltinAttributes.td"

def Hw_SystemOp : Hw_Op<"system", [Symbol, SymbolTable, SingleBlock,
    NoTerminator, IsolatedFromAbove, HasOnlyGraphRegion,
    RegionKindInterface]> {
  let summary = "A target system: devices, links and topology";
  let description = [{
    Holds `hw.device`, `hw.link` and `hw.topology` ops. The verifier builds
    the target model and rejects inconsistent systems: links to unknown
    devices, non-positive bandwidths, duplicate coordinates, mesh links
    between non-neighbours, devices that cannot reach each other.
    `kind` selects which strategies can serve the system. `source_name`
    keeps the name the hardware file or preset gives the system when it is
    not a valid symbol (e.g. `edge-chiplet-4` for `@edge_chiplet_4`), so
    reports name the hardware as the user wrote it.

    ```mlir
    hw.system @ring4 kind chiplet attributes {description = "4 chiplets on a D2D ring"} {
      hw.device @c0 kind chiplet at [0, 0] {peak_tflops = {bf16 = 16.0}, onchip_bytes = 4194304, offchip_bytes = 4294967296, offchip_gbps = 51.2}
      ...
      hw.topology ring [@c0, @c1, @c2, @c3] bw 128.0 lat 20.0
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, Hw_SystemKind:$kind,
                       OptionalAttr<StrAttr>:$description,
                       OptionalAttr<StrAttr>:$source_name);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name `kind` $kind attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    static ::mlir::RegionKind getRegionKind(unsigned index) {
      return ::mlir::RegionKind::Graph;
    }
  }];
}

def Hw_DeviceOp : Hw_Op<"device", [Symbol, HasParent<"SystemOp">]> {
  let summary = "One device: chiplet, wafer die, GPU, NDP unit, CPU or switch";
  let description = [{
    A compute node with its memories. `at` gives mesh/ring coordinates
    `[row, col]`. Attributes:
    - `peak_tflops`: dictionary from data type (`bf16`, `fp16`, `fp8`,
      `int8`, `int4`, `fp32`) to peak TFLOP/s;
    - `onchip_bytes`: SRAM (or on-chip buffer) capacity;
    - `offchip_bytes`, `offchip_gbps`, `offchip_channels`: the directly
      attached DRAM/HBM/VRAM (for an NDP unit: its DIMM and internal
      bandwidth);
    - `attached_to`: for NDP units, the host whose memory they sit in.
    Other attributes are refused (with the closest known name), except
    dialect-prefixed ones (`tool.note`), which are kept for their owners.

    ```mlir
    hw.device @d_0_0 kind die at [0, 0] {peak_tflops = {bf16 = 250.0}, onchip_bytes = 67108864, offchip_bytes = 17179869184, offchip_gbps = 1000.0}
    hw.device @ndp0 kind ndp {attached_to = @host, peak_tflops = {bf16 = 1.0}, offchip_bytes = 34359738368, offchip_gbps = 102.4}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, Hw_DeviceKind:$kind,
                       OptionalAttr<DenseI64ArrayAttr>:$coord,
                       DefaultValuedAttr<DictionaryAttr, "{}">:$peak_tflops,
                       DefaultValuedAttr<I64Attr, "0">:$onchip_bytes,
                       DefaultValuedAttr<I64Attr, "0">:$offchip_bytes,
                       DefaultValuedAttr<F64Attr, "0.0">:$offchip_gbps,
                       OptionalAttr<I64Attr>:$offchip_channels,
                       OptionalAttr<FlatSymbolRefAttr>:$attached_to);
  let assemblyFormat = "$sym_name `kind` $kind (`at` $coord^)? attr-dict";
  let hasVerifier = 1;
}

def Hw_LinkOp : Hw_Op<"link", [HasParent<"SystemOp">]> {
  let summary = "A link between two devices";
  let description = [{
    `bw` in GB/s per direction, `lat` in nanoseconds. Without
    `bidirectional` the link carries data from `src` to `dst` only. `type`
    records the technology (`d2d`, `nvlink`, `pcie`, ...).

    ```mlir
    hw.link @gpu -> @host bw 32.0 lat 1000.0 bidirectional {type = "pcie"}
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$src, FlatSymbolRefAttr:$dst,
                       F64Attr:$bw, F64Attr:$lat, UnitAttr:$bidirectional,
                       OptionalAttr<StrAttr>:$type);
  let assemblyFormat = [{
    $src `->` $dst `bw` $bw `lat` $lat (`bidirectional` $bidirectional^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Hw_TopologyOp : Hw_Op<"topology", [HasParent<"SystemOp">]> {
  let summary = "A topology shorthand standing for many links";
  let description = [{
    Expands into bidirectional links among `members`:
    - `ring`: each member to the next, the last to the first;
    - `mesh`: members whose `at` coordinates are neighbours in a
      `rows x cols` grid (every member needs coordinates inside the grid);
    - `switch`: every member to an implicit switch (full bisection);
    - `pcie`: a star from the `hub` device to every other member.

    ```mlir
    hw.topology mesh [@d00, @d01, @d10, @d11] rows 2 cols 2 bw 500.0 lat 10.0
    hw.topology pcie [@gpu, @host] hub @host bw 32.0 lat 1000.0
    ```
  }];
  let arguments = (ins Hw_TopologyKind:$kind, FlatSymbolRefArrayAttr:$members,
                       OptionalAttr<I64Attr>:$rows, OptionalAttr<I64Attr>:$cols,
                       OptionalAttr<FlatSymbolRefAttr>:$hub,
                       F64Attr:$bw, F64Attr:$lat, OptionalAttr<StrAttr>:$type);
  let assemblyFormat = [{
    $kind $members (`rows` $rows^)? (`cols` $cols^)? (`hub` $hub^)?
    `bw` $bw `lat` $lat attr-dict
  }];
  let hasVerifier = 1;
}

#endif // MOESAIC_HW_OPS
