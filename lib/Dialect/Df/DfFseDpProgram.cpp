//===- DfFseDpProgram.cpp - the when/where program of an fse-dp layer -----===//
//
// What moe-df-lower-fsedp writes (dialects/Transforms/DataflowPasses.td,
// docs/dataflow.md), kept in the dialect library so tests can build the
// program of any (N, E, S) without a target.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Dialect/Df/DfOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace moesaic;

std::string moesaic::df::fseDpProgramName(int64_t layer) {
  return "fsedp.layer" + std::to_string(layer);
}

df::ProgramOp moesaic::df::buildFseDpProgram(OpBuilder &b, Location loc, int64_t layer, int64_t n,
                  int64_t experts, int64_t chunks) {
  MLIRContext *ctx = b.getContext();
  auto program = b.create<df::ProgramOp>(
      loc, b.getStringAttr(fseDpProgramName(layer)),
      b.getI64IntegerAttr(layer));
  program->setAttr("chiplets", b.getI64IntegerAttr(n));
  program->setAttr("experts", b.getI64IntegerAttr(experts));
  program->setAttr("chunks", b.getI64IntegerAttr(chunks));
  Block *body = new Block();
  program.getBody().push_back(body);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(body);
  Type stream = df::StreamType::get(ctx);
  auto none = b.getStringAttr("none");

  SmallVector<Value> tokens;
  for (int64_t p = 0; p < n; ++p)
    tokens.push_back(b.create<df::InputOp>(
        loc, stream, b.getStringAttr("tokens." + std::to_string(p)),
        b.getDenseI64ArrayAttr({p})));
  auto dispatch = b.create<df::WhereOp>(
      loc, SmallVector<Type>(experts * n, stream), tokens,
      /*adjacency=*/nullptr, b.getStringAttr("gating"),
      /*at=*/nullptr);
  auto routed = [&](int64_t e, int64_t p) {
    return dispatch.getOutputs()[e * n + p];
  };
  // Replicated tokens (rule V4: every chiplet holds every token after a
  // tensor-parallel dense layer): one port, dispatched to the experts only.
  Value everywhere = b.create<df::InputOp>(
      loc, stream, b.getStringAttr("tokens.replicated"), nullptr);
  auto replicatedDispatch = b.create<df::WhereOp>(
      loc, SmallVector<Type>(experts, stream), ValueRange{everywhere},
      /*adjacency=*/nullptr, b.getStringAttr("gating"), /*at=*/nullptr);

  SmallVector<Value> active, ready, activeReplicated;
  for (int64_t e = 0; e < experts; ++e) {
    SmallVector<Value> all;
    for (int64_t p = 0; p < n; ++p)
      all.push_back(routed(e, p));
    active.push_back(b.create<df::WhenOp>(loc, stream, all,
                                          b.getI64IntegerAttr(1), none,
                                          b.getDenseI64ArrayAttr({e})));
  }
  for (int64_t e = 0; e < experts; ++e)
    activeReplicated.push_back(b.create<df::WhenOp>(
        loc, stream, ValueRange{replicatedDispatch.getOutputs()[e]},
        b.getI64IntegerAttr(1), none, b.getDenseI64ArrayAttr({e})));
  // lanes[l]: every expert's edge into directed ring link l (l < N: p ->
  // p+1 clockwise, N + p: p -> p-1 counter-clockwise).
  SmallVector<SmallVector<Value>> lanes(2 * n);
  for (int64_t e = 0; e < experts; ++e) {
    SmallVector<Value> holding, shards;
    for (int64_t p = 0; p < n; ++p)
      holding.push_back(b.create<df::WhenOp>(
          loc, stream, ValueRange{routed(e, p)}, b.getI64IntegerAttr(1), none,
          b.getDenseI64ArrayAttr({e, p})));
    for (int64_t s = 0; s < n; ++s)
      shards.push_back(b.create<df::InputOp>(
          loc, stream,
          b.getStringAttr("shards." + std::to_string(e) + "." +
                          std::to_string(s)),
          b.getDenseI64ArrayAttr({e, s})));
    auto trajectory = b.create<df::WhereOp>(
        loc, SmallVector<Type>(n, stream), shards, nullptr,
        b.getStringAttr("trajectory"), b.getDenseI64ArrayAttr({e}));
    for (int64_t dir = 0; dir < 2; ++dir) {
      auto links = b.create<df::WhereOp>(
          loc, SmallVector<Type>(n, stream), shards, nullptr,
          b.getStringAttr("links"), b.getDenseI64ArrayAttr({e, dir}));
      for (int64_t p = 0; p < n; ++p)
        lanes[dir * n + p].push_back(links.getOutputs()[p]);
    }
    for (int64_t p = 0; p < n; ++p)
      ready.push_back(b.create<df::WhenOp>(
          loc, stream, ValueRange{holding[p], trajectory.getOutputs()[p]},
          b.getI64IntegerAttr(n * chunks + 1), none,
          b.getDenseI64ArrayAttr({e, p})));
  }
  // Link occupancy: a link's `when` fires once per shard crossing it (S
  // chunks), whichever expert's stream it belongs to.
  SmallVector<Value> linkUse;
  for (int64_t l = 0; l < 2 * n; ++l)
    linkUse.push_back(b.create<df::WhenOp>(
        loc, stream, lanes[l], b.getI64IntegerAttr(chunks),
        b.getStringAttr("on_fire"), b.getDenseI64ArrayAttr({l})));
  b.create<df::OutputOp>(loc, b.getStringAttr("active"), active);
  b.create<df::OutputOp>(loc, b.getStringAttr("ready"), ready);
  b.create<df::OutputOp>(loc, b.getStringAttr("active.replicated"),
                         activeReplicated);
  b.create<df::OutputOp>(loc, b.getStringAttr("links"), linkUse);
  return program;
}

