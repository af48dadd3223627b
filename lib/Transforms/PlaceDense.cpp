//===- PlaceDense.cpp - Place the dense parts on all accelerators ---------===//

#include "moesaic/Transforms/Passes.h"
#include "moesaic/Transforms/ScheduleContext.h"

#include <map>
#include <set>
#include <vector>

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
    // Each layer's dense ops and MoE layers, indexed once (a scan of the
    // whole model per layer was quadratic in layers).
    struct LayerOps {
      std::vector<const DenseOpDesc *> dense;
      std::vector<const MoeLayerDesc *> moe;
    };
    std::map<int64_t, LayerOps> byLayer;
    for (const DenseOpDesc &d : ctx->model.denseOps)
      byLayer[d.layer].dense.push_back(&d);
    for (const MoeLayerDesc &l : ctx->model.moeLayers)
      byLayer[l.index].moe.push_back(&l);
    auto emitLayer = [&](int64_t layer, const LayerOps &ops) {
      std::set<std::string> seen;
      for (const DenseOpDesc *d : ops.dense)
        if (seen.insert(d->kind).second)
          place(layer, d->kind, *denseMode);
      for (const MoeLayerDesc *l : ops.moe) {
        // The router is tiny: every device scores its own tokens, except
        // on a single device.
        place(layer, "router",
              *denseMode == hw::DenseMode::single ? hw::DenseMode::single
                                                  : hw::DenseMode::data);
        if (l->sharedExperts > 0)
          place(layer, "shared_experts", *denseMode);
      }
    };
    for (const auto &[layer, ops] : byLayer)
      if (layer >= 0)
        emitLayer(layer, ops);
    if (auto it = byLayer.find(-1); it != byLayer.end())
      emitLayer(-1, it->second);
  }
};
} // namespace
