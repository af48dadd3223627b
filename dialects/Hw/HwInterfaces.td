//===- HwInterfaces.td - Interfaces of the hw dialect ------*- tablegen -*-===//
//
// ScheduleEntryOpInterface: every op that may sit in a `hw.schedule` body
// implements it, and the schedule exporter (`--schedule`, schema
// "moesaic.schedule/1") asks each op to write its own entries. A strategy
// family adding ops in its own Hw<Family>Ops.td implements this interface
// and needs no change to the exporter.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_HW_INTERFACES
#define MOESAIC_HW_INTERFACES

include "mlir/IR/OpBase.td"

def Hw_ScheduleEntryOpInterface : OpInterface<"ScheduleEntryOpInterface"> {
  let cppNamespace = "::moesaic::hw";
  let description = [{
    An entry of a static schedule. `getEntryLayer` says which transformer
    layer the entry belongs to (-1: the model outside its layers, e.g. the
    LM head). `exportTo` adds the op's keys to that layer's object in the
    schedule JSON (`{"index": L, ...}`); device references are written as
    device names (the SystemModel's names). Keys are snake_case and owned
    by one op kind each; an op that may appear several times per layer
    appends to an array under its key. An entry whose content equals an
    entry of an earlier layer (`exportsSameAs`) may be written as a
    reference to it (`exportReferenceTo`): `df.program` does, so a model's
    equal per-layer programs are written once.
  }];
  let methods = [
    InterfaceMethod<
      "The transformer layer this entry belongs to (-1: outside layers).",
      "int64_t", "getEntryLayer", (ins), [{}],
      /*defaultImplementation=*/[{ return $_op.getLayer(); }]>,
    InterfaceMethod<
      "Adds this entry's keys to its layer's object of the schedule JSON.",
      "void", "exportTo", (ins "::llvm::json::Object &":$layerEntry)>,
    InterfaceMethod<
      [{Whether `other` (an op of the same kind, of another layer) would
        export the same content but for its name: then the exporter writes
        this entry as a reference to `other`'s layer (`exportReferenceTo`)
        instead of its content. Default: never (every entry is written).}],
      "bool", "exportsSameAs", (ins "::mlir::Operation *":$other), [{}],
      /*defaultImplementation=*/[{ return false; }]>,
    InterfaceMethod<
      [{Adds this entry's keys as a reference to the entry of layer
        `sameAsLayer` whose content it shares (only called after
        `exportsSameAs` said so).}],
      "void", "exportReferenceTo",
      (ins "::llvm::json::Object &":$layerEntry, "int64_t":$sameAsLayer),
      [{}], /*defaultImplementation=*/[{ $_op.exportTo(layerEntry); }]>,
  ];
}

#endif // MOESAIC_HW_INTERFACES
