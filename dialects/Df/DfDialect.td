//===- DfDialect.td - when/where dataflow dialect ----------*- tablegen -*-===//
//
// A dataflow program built from the two control primitives of the
// neuromorphic dataflow model (docs/dataflow.md): `where` routes tokens by an
// adjacency matrix, `when` is a threshold node that fires once enough tokens
// have arrived. Edges are SSA values of type `!df.stream`.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DF_DIALECT
#define MOESAIC_DF_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Df_Dialect : Dialect {
  let name = "df";
  let cppNamespace = "::moesaic::df";
  let summary = "Dataflow programs of `when` and `where` nodes";
  let description = [{
    A `df.program` is an acyclic graph whose nodes are ports (`df.input`,
    `df.output`), routing nodes (`df.where`) and threshold nodes
    (`df.when`); its edges are SSA values of type `!df.stream`, each carrying
    a sequence of tokens. The program is written in dominance order, so
    every edge goes forward: the graph is acyclic by construction.

    ```mlir
    df.program "demo" layer 0 {
      %a = df.input "a"
      %b = df.input "b"
      %r:2 = df.where %a, %b adjacency dense<[[1, 1], [0, 1]]> : tensor<2x2xi8> -> 2
      %f = df.when %r#0, %r#1 threshold 3 reset "none"
      df.output "fired" %f
    }
    ```
  }];
  let useDefaultTypePrinterParser = 1;
}

class Df_Op<string mnemonic, list<Trait> traits = []>
    : Op<Df_Dialect, mnemonic, traits>;

def Df_StreamType : TypeDef<Df_Dialect, "Stream"> {
  let mnemonic = "stream";
  let summary = "An edge of a dataflow program: a sequence of tokens";
}

def Df_Stream : Type<CPred<"::llvm::isa<::moesaic::df::StreamType>($_self)">,
    "dataflow stream", "::moesaic::df::StreamType">,
    BuildableType<"::moesaic::df::StreamType::get($_builder.getContext())">;

#endif // MOESAIC_DF_DIALECT
