//===- DfOps.td - when/where dataflow ops ------------------*- tablegen -*-===//

#ifndef MOESAIC_DF_OPS
#define MOESAIC_DF_OPS

include "Df/DfDialect.td"
include "Hw/HwInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"

def Df_ProgramOp : Df_Op<"program", [SingleBlock, NoTerminator,
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface,
                              ["exportsSameAs", "exportReferenceTo"]>]> {
  let summary = "A when/where dataflow program (container)";
  let description = [{
    Holds one acyclic dataflow graph. Its body may only hold `df` nodes;
    every stream a node produces must be consumed (no dangling port); port
    names of `df.input` and of `df.output` are unique; at least one output.
    Extra attributes are parameters of the program (the fse-dp lowering
    records `chiplets`, `experts`, `chunks`). Inside a `hw.schedule` it is a
    schedule entry of layer `layer` and exports itself as
    `"dataflow": {"name", "params", "nodes": [...]}` (docs/dataflow.md); a
    program equal to an earlier layer's but for its name (same parameters,
    equivalent body) exports as `{"name", "same_as_layer": L}`.

    ```mlir
    df.program "relay" layer 0 {
      %a = df.input "a"
      %f = df.when %a threshold 2 reset "on_fire"
      df.output "pairs" %f
    }
    ```
  }];
  let arguments = (ins StrAttr:$sym_name, I64Attr:$layer);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name `layer` $layer attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
}

def Df_ProgramRefOp : Df_Op<"program_ref", [
    DeclareOpInterfaceMethods<Hw_ScheduleEntryOpInterface>]> {
  let summary = "Layer `layer` runs another layer's program";
  let description = [{
    A layer whose when/where program is another layer's (same parameters,
    same graph) names that `df.program` instead of holding a copy:
    `moe-df-lower-fsedp` writes one program per distinct (chiplets,
    experts, chunks) and a `df.program_ref` for every other layer, so the
    IR of a model with 58 equal MoE layers holds one program, not 58. The
    named program must be a `df.program` in the same block (the
    `hw.schedule`). Inside a schedule it is an entry of layer `layer` and
    exports as `"dataflow": {"name": <its name>, "same_as_layer": <the
    program's layer>}` (docs/dataflow.md, "JSON form"): the runtimes load
    the named program under this layer's name.

    ```mlir
    df.program "fsedp.layer0" layer 0 attributes {chiplets = 2 : i64, chunks = 2 : i64, experts = 2 : i64} {
      ...
    }
    df.program_ref "fsedp.layer1" layer 1 to "fsedp.layer0"
    ```
  }];
  let arguments = (ins StrAttr:$sym_name, I64Attr:$layer, StrAttr:$program);
  let assemblyFormat = "$sym_name `layer` $layer `to` $program attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The program it names (null when there is none: the verifier
    /// rejects that).
    ProgramOp getTarget();
  }];
}

def Df_InputOp : Df_Op<"input", [HasParent<"ProgramOp">]> {
  let summary = "An input port of the program";
  let description = [{
    Tokens enter the program here. `at` labels the port for the runtime
    that feeds it (the fse-dp lowering: `[p]` tokens resident on logical
    chiplet p; `[e, s]` shard s of expert e).

    ```mlir
    %t = df.input "tokens" at [2]
    ```
  }];
  let arguments = (ins StrAttr:$port, OptionalAttr<DenseI64ArrayAttr>:$at);
  let results = (outs Df_Stream:$out);
  let assemblyFormat = "$port (`at` $at^)? attr-dict";
}

def Df_OutputOp : Df_Op<"output", [HasParent<"ProgramOp">]> {
  let summary = "An output port of the program";
  let description = [{
    Records, in order, every token arriving on any of its inputs: the
    program's decisions (for fse-dp: which expert activates, which chiplet
    holds its tokens, when an expert may start on a holder).

    ```mlir
    df.output "active" %a0, %a1
    ```
  }];
  let arguments = (ins StrAttr:$port, Variadic<Df_Stream>:$inputs);
  let assemblyFormat = "$port $inputs attr-dict";
  let hasVerifier = 1;
}

def Df_WhereOp : Df_Op<"where", [HasParent<"ProgramOp">]> {
  let summary = "Routes m input streams to n outputs by an n x m adjacency";
  let description = [{
    A token arriving on input `i` is copied to every output `j` with
    `A[j][i] = 1`. The adjacency is either static (`adjacency`, an n x m
    integer tensor of 0/1), or supplied at run time through a control port
    (`control`):
    - `"gating"`: the gating of the batch. Each token carries its top-k
      expert choice; a token on input `i` goes to output `e * m + i` for
      every expert `e` it picked (n = experts x m).
    - `"trajectory"`: the trajectory the runtime picked for expert `at[0]`:
      input `s` (the shard homed on logical chiplet s) goes to every
      chiplet of the arc its stream is delivered to by virtualization rule
      V3 (the chiplets it only passes are the `"links"` wheres' business)
      (n = m).
    - `"links"`: the same trajectory seen by the ring links, `at [expert,
      direction]`: input `s` goes to output `p` when the stream of the shard
      homed on s crosses the directed link leaving chiplet p clockwise
      (direction 0, p -> p+1) or counter-clockwise (direction 1,
      p -> p-1) (n = m).
    - `"select"`: a placement the runtime chose: input `i` goes to the one
      output it set for `i` (or nowhere); any n (er-mapping: expert unit i
      to the die that holds it).
    - `"route"`: one input; a token goes to every output a run-time table
      lists for its payload (er-mapping staging: a migration chunk to
      every link on its move's route).

    ```mlir
    %o:2 = df.where %a adjacency dense<[[1], [1]]> : tensor<2x1xi8> -> 2
    %d:8 = df.where %t0, %t1 control "gating" -> 8
    ```
  }];
  let arguments = (ins Variadic<Df_Stream>:$inputs,
                       OptionalAttr<AnyIntElementsAttr>:$adjacency,
                       OptionalAttr<StrAttr>:$control,
                       OptionalAttr<DenseI64ArrayAttr>:$at);
  let results = (outs Variadic<Df_Stream>:$outputs);
  let assemblyFormat = [{
    $inputs (`adjacency` $adjacency^)? (`control` $control^)? (`at` $at^)?
    attr-dict `->` custom<StreamCount>(type($outputs))
  }];
  let hasVerifier = 1;
}

def Df_WhenOp : Df_Op<"when", [HasParent<"ProgramOp">]> {
  let summary = "Threshold node: fires once its inputs reach a threshold";
  let description = [{
    Each token arriving on any input adds one to the node's state; when the
    state reaches `threshold` (> 0) the node emits one token. `reset`:
    `"none"` fires at most once (later tokens are absorbed), `"on_fire"`
    subtracts the threshold and may fire again. With `control
    "threshold"` the runtime sets the threshold per run through a control
    port (at least the static `threshold`, which is then a lower bound):
    er-mapping's trigger fires a die's node once its windowed load exceeds
    `trigger` x the mean, a mean only the run knows.

    ```mlir
    %ready = df.when %holding, %shards threshold 9 reset "none" at [3, 1]
    %hot = df.when %die threshold 1 reset "none" control "threshold" at [5]
    ```
  }];
  let arguments = (ins Variadic<Df_Stream>:$inputs, I64Attr:$threshold,
                       StrAttr:$reset, OptionalAttr<DenseI64ArrayAttr>:$at,
                       OptionalAttr<StrAttr>:$control);
  let results = (outs Df_Stream:$out);
  // A when with a static threshold (no control port).
  let builders = [OpBuilder<(ins "::mlir::Type":$out,
      "::mlir::ValueRange":$inputs, "::mlir::IntegerAttr":$threshold,
      "::mlir::StringAttr":$reset, "::mlir::DenseI64ArrayAttr":$at), [{
    build($_builder, $_state, out, inputs, threshold, reset, at,
          ::mlir::StringAttr());
  }]>];
  let assemblyFormat = [{
    $inputs `threshold` $threshold `reset` $reset (`control` $control^)?
    (`at` $at^)? attr-dict
  }];
  let hasVerifier = 1;
}

#endif // MOESAIC_DF_OPS
