//===- PlaceDense.cpp - Place the dense parts on all accelerators ---------===//

#include "moesaic/Transforms/Passes.h"
#include "moesaic/Transforms/ScheduleContext.h"

#include <set>

namespace moesaic {
#define GEN_PASS_DEF_PLACEDENSE
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct PlaceDensePass : moesaic::impl::PlaceDenseBase<PlaceDensePass> {
  using PlaceDenseBase::PlaceDenseBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<hw::DenseMode> denseMode = hw::symbolizeDenseMode(mode);
    if (!denseMode) {
      module.emitError() << "moe-place-dense: unknown mode '" << mode
                         << "' (expected data, tensor or single)";
      return signalPassFailure();
    }
    FailureOr<ScheduleContext> ctx =
        getScheduleContext(module, "moe-place-dense");
    if (failed(ctx))
      return signalPassFailure();
    OpBuilder builder = OpBuilder::atBlockEnd(&ctx->schedule.getBody().front());
    Location loc = ctx->schedule.getLoc();
    ArrayAttr all = ctx->acceleratorArray();
    ArrayAttr first = builder.getArrayAttr({ctx->accelerators.front()});
    auto place = [&](int64_t layer, StringRef what, hw::DenseMode m) {
      builder.create<hw::PlaceDenseOp>(
          loc, layer, what, m == hw::DenseMode::single ? first : all, m);
    };
    // Layer by layer: the dense ops in model order, then the MoE block's
    // router and shared experts; layer -1 ops (LM head...) last.
    std::set<int64_t> layers;
    for (const DenseOpDesc &d : ctx->model.denseOps)
      layers.insert(d.layer);
    for (const MoeLayerDesc &l : ctx->model.moeLayers)
      layers.insert(l.index);
    auto emitLayer = [&](int64_t layer) {
      std::set<std::string> seen;
      for (const DenseOpDesc &d : ctx->model.denseOps)
        if (d.layer == layer && seen.insert(d.kind).second)
          place(layer, d.kind, *denseMode);
      for (const MoeLayerDesc &l : ctx->model.moeLayers) {
        if (l.index != layer)
          continue;
        // The router is tiny: every device scores its own tokens, except
        // on a single device.
        place(layer, "router",
              *denseMode == hw::DenseMode::single ? hw::DenseMode::single
                                                  : hw::DenseMode::data);
        if (l.sharedExperts > 0)
          place(layer, "shared_experts", *denseMode);
      }
    };
    for (int64_t layer : layers)
      if (layer >= 0)
        emitLayer(layer);
    if (layers.count(-1))
      emitLayer(-1);
  }
};
} // namespace
