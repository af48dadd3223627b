//===- DfNdpTpProgram.cpp - the when/where program of an ndp-tp layer -----===//
//
// What moe-df-lower-ndp-tp writes for one MoE layer (docs/dataflow.md,
// "ndp-tp"): the per-batch GPU/NDP decision of the ndp-tp runtime as
// `where` and `when` nodes.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Df/DfRuntimePrograms.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace moesaic;

/// An all-ones n x m static adjacency (every input to every output).
static DenseIntElementsAttr allOnes(OpBuilder &b, int64_t n, int64_t m) {
  auto type = RankedTensorType::get({n, m}, b.getIntegerType(8));
  return DenseIntElementsAttr::get(type, SmallVector<int8_t>(n * m, 1));
}

df::ProgramOp moesaic::df::buildNdpTpProgram(OpBuilder &b, Location loc,
                                             int64_t layer, int64_t experts,
                                             int64_t granularity,
                                             int64_t units) {
  auto program = b.create<df::ProgramOp>(
      loc, b.getStringAttr("ndptp.layer" + std::to_string(layer)),
      b.getI64IntegerAttr(layer));
  program->setAttr("experts", b.getI64IntegerAttr(experts));
  program->setAttr("granularity", b.getI64IntegerAttr(granularity));
  program->setAttr("units", b.getI64IntegerAttr(units));
  Block *body = new Block();
  program.getBody().push_back(body);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(body);
  Type stream = df::StreamType::get(b.getContext());
  auto none = b.getStringAttr("none");
  auto label = [&](int64_t e) { return b.getDenseI64ArrayAttr({e}); };

  // Dispatch: a batch token goes to the experts its gating picked.
  Value tokens = b.create<df::InputOp>(loc, stream, b.getStringAttr("tokens"),
                                       nullptr);
  auto dispatch = b.create<df::WhereOp>(
      loc, SmallVector<Type>(experts, stream), ValueRange{tokens}, nullptr,
      b.getStringAttr("gating"), nullptr);
  // The balancer has set the slice routing: releases the slices.
  Value balanced = b.create<df::InputOp>(
      loc, stream, b.getStringAttr("balanced"), nullptr);

  SmallVector<Value> active, candidates, gpuSlices, ndpSlices;
  for (int64_t e = 0; e < experts; ++e) {
    // Expert e is active on its first token.
    Value a = b.create<df::WhenOp>(loc, stream,
                                   ValueRange{dispatch.getOutputs()[e]},
                                   b.getI64IntegerAttr(1), none, label(e));
    active.push_back(a);
    // ... and a GPU candidate when its weights are ready in VRAM too.
    Value vram = b.create<df::InputOp>(
        loc, stream, b.getStringAttr("vram." + std::to_string(e)), label(e));
    candidates.push_back(b.create<df::WhenOp>(loc, stream, ValueRange{a, vram},
                                              b.getI64IntegerAttr(2), none,
                                              label(e)));
    // Once balanced, an active expert's `granularity` slices go each to
    // the side the balancer chose (output 0: GPU, 1: NDP units).
    Value release = b.create<df::WhenOp>(loc, stream, ValueRange{a, balanced},
                                         b.getI64IntegerAttr(2), none,
                                         label(e));
    auto slices = b.create<df::WhereOp>(
        loc, SmallVector<Type>(granularity, stream), ValueRange{release},
        allOnes(b, granularity, 1), nullptr, label(e));
    auto side = b.create<df::WhereOp>(loc, SmallVector<Type>(2, stream),
                                      slices.getOutputs(), nullptr,
                                      b.getStringAttr("select"), label(e));
    gpuSlices.push_back(side.getOutputs()[0]);
    ndpSlices.push_back(side.getOutputs()[1]);
  }
  // Tensor parallelism: every NDP slice is computed by every unit (each
  // on the rows its DIMM holds).
  auto perUnit = b.create<df::WhereOp>(loc, SmallVector<Type>(units, stream),
                                       ndpSlices, allOnes(b, units, experts),
                                       nullptr, nullptr);
  b.create<df::OutputOp>(loc, b.getStringAttr("active"), active);
  b.create<df::OutputOp>(loc, b.getStringAttr("gpu_candidates"), candidates);
  b.create<df::OutputOp>(loc, b.getStringAttr("gpu_slices"), gpuSlices);
  b.create<df::OutputOp>(loc, b.getStringAttr("unit_slices"),
                         perUnit.getOutputs());
  return program;
}
