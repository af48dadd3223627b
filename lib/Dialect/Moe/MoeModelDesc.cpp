//===- MoeModelDesc.cpp - moe.model -> ModelDesc --------------------------===//

#include "moesaic/Dialect/Moe/MoeModelDesc.h"

#include "mlir/IR/BuiltinOps.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace mlir;
using namespace moesaic;
using namespace moesaic::moe;

std::string moesaic::moe::dtypeName(Type type) {
  if (type.isBF16())
    return "bf16";
  if (type.isF16())
    return "fp16";
  if (type.isF32())
    return "fp32";
  if (type.isF64())
    return "fp64";
  if (isa<Float8E4M3FNType, Float8E5M2Type, Float8E4M3FNUZType,
          Float8E5M2FNUZType, Float8E4M3B11FNUZType>(type))
    return "fp8";
  if (type.isInteger())
    return "int" + std::to_string(type.getIntOrFloatBitWidth());
  return "bf16";
}

ModelOp moesaic::moe::findModel(Operation *module) {
  ModelOp found;
  module->walk([&](ModelOp op) {
    found = op;
    return WalkResult::interrupt();
  });
  return found;
}

static int64_t hiddenOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getDimSize(1);
}

FailureOr<ModelDesc> moesaic::moe::describeModel(ModelOp model) {
  ModelDesc desc;
  desc.name = model.getSymName().str();
  std::map<int64_t, MoeLayerDesc> moe;
  int64_t maxLayer = -1;
  int64_t context = 4096;

  auto dense = [&](int64_t layer, std::string kind, double flops,
                   int64_t bytes, Type elem) {
    DenseOpDesc d;
    d.layer = layer;
    d.kind = std::move(kind);
    d.flopsPerToken = flops;
    d.weightBytes = bytes;
    d.dtype = dtypeName(elem);
    desc.denseOps.push_back(d);
    return &desc.denseOps.back();
  };

  for (Operation &op : model.getBody().front()) {
    if (auto attr = op.getAttrOfType<IntegerAttr>("layer"))
      maxLayer = std::max(maxLayer, attr.getInt());
    if (auto input = dyn_cast<InputOp>(op)) {
      desc.hiddenSize = input.getTokens().getType().getDimSize(1);
      context = input.getContext().value_or(4096);
    } else if (auto attn = dyn_cast<AttentionOp>(op)) {
      Type elem = attn.getInput().getType().getElementType();
      double eb = bytesPerElement(dtypeName(elem));
      int64_t h = hiddenOf(attn.getInput());
      int64_t q = attn.getHeads() * attn.getHeadDim();
      int64_t kv = attn.getKvHeads() * attn.getHeadDim();
      double params;
      int64_t kvPerToken;
      if (auto kvRank = attn.getKvLoraRank()) {
        // MLA: down-projections to the latent ranks, up-projections to
        // heads; the cache holds the latent vector.
        int64_t qr = attn.getQLoraRank().value_or(0);
        params = (qr ? (double)h * qr + (double)qr * q : (double)h * q) +
                 (double)h * *kvRank + (double)*kvRank * 2 * q + (double)q * h;
        kvPerToken = *kvRank;
      } else {
        params = (double)h * q + 2.0 * h * kv + (double)q * h;
        kvPerToken = 2 * kv;
      }
      // Projections, plus QK^T and PV over the context.
      double flops = 2.0 * params + 4.0 * (double)q * context;
      DenseOpDesc *d = dense(attn.getLayer(), "attention", flops,
                             bytesFromDouble(std::floor(params * eb)), elem);
      d->kvBytesPerContextToken = bytesFromDouble(std::floor(kvPerToken * eb));
      d->numHeads = attn.getHeads();
      d->numKvHeads = attn.getKvHeads();
      d->headDim = attn.getHeadDim();
      d->hiddenSize = h;
    } else if (auto ffn = dyn_cast<DenseOp>(op)) {
      Type elem = ffn.getInput().getType().getElementType();
      int64_t h = hiddenOf(ffn.getInput());
      double params = (double)ffnMatrices(stringifyActivation(ffn.getAct()).str()) *
                      h * ffn.getFfn();
      DenseOpDesc *d =
          dense(ffn.getLayer(), "dense_ffn", 2.0 * params,
                bytesFromDouble(
                    std::floor(params * bytesPerElement(dtypeName(elem)))),
                elem);
      d->hiddenSize = h;
    } else if (auto c = dyn_cast<ComputeOp>(op)) {
      Type elem = Float16Type::get(op.getContext());
      if (auto t = dyn_cast<RankedTensorType>(c.getOutput().getType()))
        elem = t.getElementType();
      dense(c.getLayer(), c.getKind().str(),
            c.getFlopsPerToken().convertToDouble(), c.getWeightBytes(), elem);
    } else if (auto router = dyn_cast<RouterOp>(op)) {
      MoeLayerDesc &l = moe[router.getLayer()];
      l.index = router.getLayer();
      l.numExperts = router.getRoute().getType().getExperts();
      l.topK = router.getRoute().getType().getTopK();
      l.hiddenSize = hiddenOf(router.getInput());
      l.routing = stringifyScoring(router.getScoring()).str();
      l.renormalize = router.getRenormalize();
      l.numGroups = router.getGroups().value_or(0);
      l.topkGroups = router.getPick().value_or(0);
      l.routedScaling =
          router.getScale() ? router.getScale()->convertToDouble() : 1.0;
      l.capacityFactor =
          router.getCapacity() ? router.getCapacity()->convertToDouble() : 0.0;
      l.actType = dtypeName(router.getInput().getType().getElementType());
    } else if (auto experts = dyn_cast<ExpertsOp>(op)) {
      auto it = moe.find(experts.getLayer());
      if (it == moe.end())
        return experts.emitOpError()
               << "has no moe.router in layer " << experts.getLayer();
      MoeLayerDesc &l = it->second;
      if (l.expertFfnSize != 0)
        return experts.emitOpError()
               << "is the second moe.experts of layer " << experts.getLayer();
      if (experts.getInput().getType().getExperts() != l.numExperts)
        return experts.emitOpError()
               << "has " << experts.getInput().getType().getExperts()
               << " experts but its router scores " << l.numExperts;
      l.expertFfnSize = experts.getFfn();
      l.activation = stringifyActivation(experts.getAct()).str();
      l.weightType = dtypeName(experts.getWeights());
    } else if (auto shared = dyn_cast<SharedExpertsOp>(op)) {
      auto it = moe.find(shared.getLayer());
      if (it == moe.end())
        return shared.emitOpError()
               << "has no moe.router in layer " << shared.getLayer();
      it->second.sharedExperts = shared.getCount();
      it->second.sharedFfnSize = shared.getFfn();
      it->second.sharedGated = shared.getGated();
    }
  }
  for (auto &[index, layer] : moe) {
    if (layer.expertFfnSize == 0)
      return model.emitOpError()
             << "layer " << index << " has a router but no moe.experts";
    desc.moeLayers.push_back(layer);
  }
  desc.numLayers = maxLayer + 1;
  if (!desc.hiddenSize && !desc.moeLayers.empty())
    desc.hiddenSize = desc.moeLayers.front().hiddenSize;
  if (auto warnings = model->getAttrOfType<ArrayAttr>("warnings"))
    for (Attribute w : warnings)
      if (auto s = dyn_cast<StringAttr>(w))
        desc.warnings.push_back(s.str());
  return desc;
}
