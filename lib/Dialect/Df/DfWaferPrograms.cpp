//===- DfWaferPrograms.cpp - er-mapping's migration programs --------------===//
//
// What moe-df-lower-wafer writes (docs/dataflow.md, "er-mapping"): the
// NI-Balancer's trigger per MoE layer and its chunk staging per slot as
// `where` and `when` nodes.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Df/DfRuntimePrograms.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace moesaic;

df::ProgramOp moesaic::df::buildWaferTriggerProgram(OpBuilder &b, Location loc,
                                                    int64_t layer,
                                                    int64_t experts,
                                                    int64_t shards,
                                                    int64_t dies,
                                                    int64_t window) {
  auto program = b.create<df::ProgramOp>(
      loc, b.getStringAttr("wafer.trigger.layer" + std::to_string(layer)),
      b.getI64IntegerAttr(layer));
  program->setAttr("experts", b.getI64IntegerAttr(experts));
  program->setAttr("shards", b.getI64IntegerAttr(shards));
  program->setAttr("dies", b.getI64IntegerAttr(dies));
  program->setAttr("window", b.getI64IntegerAttr(window));
  Block *body = new Block();
  program.getBody().push_back(body);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(body);
  Type stream = df::StreamType::get(b.getContext());

  // The window's tokens, dispatched by their gating.
  Value tokens = b.create<df::InputOp>(loc, stream, b.getStringAttr("tokens"),
                                       nullptr);
  auto dispatch = b.create<df::WhereOp>(
      loc, SmallVector<Type>(experts, stream), ValueRange{tokens}, nullptr,
      b.getStringAttr("gating"), nullptr);
  // Each token of expert e loads every shard unit e*S+s (1/S of the work:
  // loads count in shard units).
  ValueRange units = dispatch.getOutputs();
  if (shards > 1) {
    int64_t n = experts * shards;
    SmallVector<int8_t> adj(n * experts, 0);
    for (int64_t e = 0; e < experts; ++e)
      for (int64_t s = 0; s < shards; ++s)
        adj[(e * shards + s) * experts + e] = 1;
    auto type = RankedTensorType::get({n, experts}, b.getIntegerType(8));
    units = b.create<df::WhereOp>(loc, SmallVector<Type>(n, stream),
                                  dispatch.getOutputs(),
                                  DenseIntElementsAttr::get(type, adj),
                                  nullptr, nullptr)
                .getOutputs();
  }
  // The decided placement: unit u to the die that holds it.
  auto placed = b.create<df::WhereOp>(loc, SmallVector<Type>(dies, stream),
                                      units, nullptr,
                                      b.getStringAttr("select"), nullptr);
  // Die d is hot once its load over the window exceeds trigger x the mean
  // (the threshold the run sets).
  SmallVector<Value> hot;
  for (int64_t d = 0; d < dies; ++d)
    hot.push_back(b.create<df::WhenOp>(
        loc, stream, ValueRange{placed.getOutputs()[d]},
        b.getI64IntegerAttr(1), b.getStringAttr("none"),
        b.getDenseI64ArrayAttr({d}), b.getStringAttr("threshold")));
  b.create<df::OutputOp>(loc, b.getStringAttr("hot"), hot);
  return program;
}

df::ProgramOp moesaic::df::buildWaferStagingProgram(OpBuilder &b, Location loc,
                                                    int64_t links) {
  auto program = b.create<df::ProgramOp>(
      loc, b.getStringAttr("wafer.staging"), b.getI64IntegerAttr(-1));
  program->setAttr("links", b.getI64IntegerAttr(links));
  Block *body = new Block();
  program.getBody().push_back(body);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(body);
  Type stream = df::StreamType::get(b.getContext());

  // A chunk (payload: its pending move) crosses every link of the move's
  // route.
  Value chunks = b.create<df::InputOp>(loc, stream, b.getStringAttr("chunks"),
                                       nullptr);
  auto route = b.create<df::WhereOp>(loc, SmallVector<Type>(links, stream),
                                     ValueRange{chunks}, nullptr,
                                     b.getStringAttr("route"), nullptr);
  // The slot opens: one seed token per link.
  Value open = b.create<df::InputOp>(loc, stream, b.getStringAttr("open"),
                                     nullptr);
  auto type = RankedTensorType::get({links, 1}, b.getIntegerType(8));
  auto seeds = b.create<df::WhereOp>(
      loc, SmallVector<Type>(links, stream), ValueRange{open},
      DenseIntElementsAttr::get(type, SmallVector<int8_t>(links, 1)), nullptr,
      nullptr);
  // Link l is blocked once seed + capacity tokens arrived: at once when it
  // is hot (capacity 0), after the chunks its spare bytes hold otherwise.
  SmallVector<Value> blocked;
  for (int64_t l = 0; l < links; ++l)
    blocked.push_back(b.create<df::WhenOp>(
        loc, stream, ValueRange{route.getOutputs()[l], seeds.getOutputs()[l]},
        b.getI64IntegerAttr(1), b.getStringAttr("none"),
        b.getDenseI64ArrayAttr({l}), b.getStringAttr("threshold")));
  b.create<df::OutputOp>(loc, b.getStringAttr("placed"), ValueRange{chunks});
  b.create<df::OutputOp>(loc, b.getStringAttr("blocked"), blocked);
  return program;
}
