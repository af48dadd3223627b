//===- MoeOps.cpp - Verifiers of the moe dialect's operations -------------===//

#include "moesaic/Dialect/Moe/MoeOps.h"
#include "moesaic/Dialect/Moe/MoeModelDesc.h"
#include "moesaic/Model/ModelDesc.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/MapVector.h"

#include <limits>

using namespace mlir;
using namespace moesaic::moe;

#define GET_OP_CLASSES
#include "Moe/MoeOps.cpp.inc"

static int64_t hiddenOf(Type type) {
  return llvm::cast<RankedTensorType>(type).getDimSize(1);
}

static LogicalResult checkLayer(Operation *op, int64_t layer) {
  if (layer < 0)
    return op->emitOpError() << "layer index must be non-negative, got "
                             << layer;
  return success();
}

static LogicalResult checkPositive(Operation *op, StringRef what,
                                   int64_t value) {
  if (value <= 0)
    return op->emitOpError() << what << " must be positive, got " << value;
  // Keeps every cost formula within int64 (moesaic/Model/ModelDesc.h).
  if (value > moesaic::kMaxModelDim)
    return op->emitOpError() << what << " is " << value
                             << ", more than the supported "
                             << moesaic::kMaxModelDim;
  return success();
}

static std::optional<int64_t> layerOf(Operation *op) {
  if (auto attr = op->getAttrOfType<IntegerAttr>("layer"))
    return attr.getInt();
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// ModelOp
//===----------------------------------------------------------------------===//

/// The structure every consumer of a model relies on (describeModel, the
/// lowering passes): in each layer one moe.router precedes that layer's one
/// moe.experts and its moe.shared_experts, which match the router's expert
/// count and hidden size; every router has its experts.
static LogicalResult verifyLayerStructure(Block &block) {
  struct Layer {
    RouterOp router;
    ExpertsOp experts;
  };
  llvm::MapVector<int64_t, Layer> layers;
  for (Operation &op : block) {
    if (auto router = dyn_cast<RouterOp>(op)) {
      Layer &layer = layers[router.getLayerAttr().getInt()];
      if (layer.router) {
        InFlightDiagnostic diag = router.emitOpError()
                                  << "is the second moe.router of layer "
                                  << router.getLayerAttr().getInt();
        diag.attachNote(layer.router.getLoc()) << "the first is here";
        return diag;
      }
      layer.router = router;
    } else if (auto experts = dyn_cast<ExpertsOp>(op)) {
      int64_t index = experts.getLayerAttr().getInt();
      auto it = layers.find(index);
      if (it == layers.end() || !it->second.router)
        return experts.emitOpError()
               << "has no moe.router before it in layer " << index;
      Layer &layer = it->second;
      if (layer.experts) {
        InFlightDiagnostic diag = experts.emitOpError()
                                  << "is the second moe.experts of layer "
                                  << index;
        diag.attachNote(layer.experts.getLoc()) << "the first is here";
        return diag;
      }
      RouteType route = layer.router.getRoute().getType();
      DispatchedType in = experts.getInput().getType();
      if (in.getExperts() != route.getExperts())
        return experts.emitOpError()
               << "has " << in.getExperts() << " experts but the router of "
               << "layer " << index << " scores " << route.getExperts();
      if (in.getHidden() != hiddenOf(layer.router.getInput().getType()))
        return experts.emitOpError()
               << "has hidden size " << in.getHidden()
               << " but the router of layer " << index << " reads "
               << hiddenOf(layer.router.getInput().getType());
      layer.experts = experts;
    } else if (auto shared = dyn_cast<SharedExpertsOp>(op)) {
      int64_t index = shared.getLayerAttr().getInt();
      auto it = layers.find(index);
      if (it == layers.end() || !it->second.router)
        return shared.emitOpError()
               << "has no moe.router before it in layer " << index;
      int64_t routed = hiddenOf(it->second.router.getInput().getType());
      if (hiddenOf(shared.getInput().getType()) != routed)
        return shared.emitOpError()
               << "has hidden size " << hiddenOf(shared.getInput().getType())
               << " but the router of layer " << index << " reads " << routed;
    }
  }
  for (auto &[index, layer] : layers)
    if (!layer.experts)
      return layer.router.emitOpError()
             << "routes layer " << index << " but no moe.experts follows";
  return success();
}

Value ModelOp::getInputValue() {
  for (Operation &op : getBody().front())
    if (auto input = dyn_cast<InputOp>(op))
      return input.getTokens();
  return {};
}

LogicalResult ModelOp::verifyRegions() {
  Block &block = getBody().front();
  if (block.empty() || !isa<OutputOp>(block.back()))
    return emitOpError() << "body must end with 'moe.output'";
  if (block.getNumArguments() != 0)
    return emitOpError() << "body takes no block arguments; use 'moe.input'";
  int64_t lastLayer = -1;
  Operation *lastOp = nullptr;
  for (Operation &op : block) {
    std::optional<int64_t> layer = layerOf(&op);
    if (!layer || *layer < 0)
      continue;
    if (*layer < lastLayer) {
      InFlightDiagnostic diag = op.emitOpError()
                                << "layer " << *layer << " follows layer "
                                << lastLayer << "; layers must not decrease";
      diag.attachNote(lastOp->getLoc()) << "layer " << lastLayer << " is here";
      return diag;
    }
    lastLayer = *layer;
    lastOp = &op;
  }
  // Hidden sizes within the limits, then the whole model's weights: a
  // model larger than any machine is refused here, before passes allocate
  // per-expert tables or cost formulas overflow.
  auto checkDims = [](Operation &op, Type type) -> LogicalResult {
    if (auto tensor = dyn_cast<RankedTensorType>(type))
      for (int64_t dim : tensor.getShape())
        if (!ShapedType::isDynamic(dim) &&
            (dim < 0 || dim > moesaic::kMaxModelDim))
          return op.emitOpError()
                 << "has a tensor dimension of " << dim << "; at most "
                 << moesaic::kMaxModelDim << " is supported";
    return success();
  };
  for (Operation &op : block) {
    for (Type type : op.getOperandTypes())
      if (failed(checkDims(op, type)))
        return failure();
    for (Type type : op.getResultTypes())
      if (failed(checkDims(op, type)))
        return failure();
  }
  if (failed(verifyLayerStructure(block)))
    return failure();
  FailureOr<moesaic::ModelDesc> desc = describeModel(*this);
  if (failed(desc))
    return failure();
  int64_t bytes = desc->paramsBytes();
  if (bytes > moesaic::kMaxModelBytes) {
    InFlightDiagnostic diag = emitOpError() << "weights come to ";
    if (bytes == std::numeric_limits<int64_t>::max())
      diag << "more than 2^63";
    else
      diag << bytes;
    return diag << " bytes, more than the supported "
                << moesaic::kMaxModelBytes << " (1 PiB)";
  }
  return success();
}

LogicalResult InputOp::verify() {
  if (std::optional<int64_t> context = getContext())
    return checkPositive(*this, "context", *context);
  return success();
}

//===----------------------------------------------------------------------===//
// Dense compute
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  if (failed(checkLayer(*this, getLayer())) ||
      failed(checkPositive(*this, "heads", getHeads())) ||
      failed(checkPositive(*this, "kv_heads", getKvHeads())) ||
      failed(checkPositive(*this, "head_dim", getHeadDim())))
    return failure();
  if (getHeads() % getKvHeads() != 0)
    return emitOpError() << "kv_heads (" << getKvHeads()
                         << ") must divide heads (" << getHeads() << ")";
  if (auto rank = getQLoraRank()) {
    if (failed(checkPositive(*this, "q_lora_rank", *rank)))
      return failure();
    // MLA: a query down-projection comes with the latent KV cache.
    if (!getKvLoraRank())
      return emitOpError() << "q_lora_rank (multi-head latent attention) "
                              "needs kv_lora_rank";
  }
  if (auto rank = getKvLoraRank())
    if (failed(checkPositive(*this, "kv_lora_rank", *rank)))
      return failure();
  return success();
}

LogicalResult DenseOp::verify() {
  if (failed(checkLayer(*this, getLayer())))
    return failure();
  return checkPositive(*this, "ffn", getFfn());
}

LogicalResult ComputeOp::verify() {
  // I64Attr getters return uint64_t: compare the signed stored values.
  int64_t layer = getLayerAttr().getInt();
  if (layer < -1)
    return emitOpError() << "layer must be -1 (outside layers) or a layer "
                            "index, got "
                         << layer;
  if (getFlopsPerToken().convertToDouble() < 0 ||
      !std::isfinite(getFlopsPerToken().convertToDouble()))
    return emitOpError() << "flops_per_token must be finite and "
                            "non-negative";
  if (getWeightBytesAttr().getInt() < 0)
    return emitOpError() << "weight_bytes must be non-negative, got "
                         << getWeightBytesAttr().getInt();
  if (getKind().empty())
    return emitOpError() << "kind must name what the compute is";
  return success();
}

//===----------------------------------------------------------------------===//
// Mixture of experts
//===----------------------------------------------------------------------===//

LogicalResult RouterOp::verify() {
  if (failed(checkLayer(*this, getLayer())))
    return failure();
  RouteType route = getRoute().getType();
  std::optional<int64_t> groups = getGroups(), pick = getPick();
  if (groups.has_value() != pick.has_value())
    return emitOpError() << "group-limited routing needs both 'groups' and "
                            "'pick'";
  if (groups) {
    if (*groups <= 0 || route.getExperts() % *groups != 0)
      return emitOpError() << "groups (" << *groups
                           << ") must be positive and divide the number of "
                              "experts ("
                           << route.getExperts() << ")";
    if (*pick <= 0 || *pick > *groups)
      return emitOpError() << "pick (" << *pick << ") must be in [1, groups="
                           << *groups << "]";
    int64_t reachable = *pick * (route.getExperts() / *groups);
    if (route.getTopK() > reachable)
      return emitOpError() << "top_k (" << route.getTopK()
                           << ") exceeds the experts in the picked groups ("
                           << reachable << ")";
  }
  if (auto scale = getScale())
    if (!(scale->convertToDouble() > 0))
      return emitOpError() << "scale must be positive";
  if (auto capacity = getCapacity())
    if (!(capacity->convertToDouble() > 0))
      return emitOpError() << "capacity factor must be positive";
  return success();
}

LogicalResult DispatchOp::verify() {
  RouteType route = getRoute().getType();
  DispatchedType out = getOutput().getType();
  if (out.getExperts() != route.getExperts())
    return emitOpError() << "dispatches to " << out.getExperts()
                         << " experts but the route has " << route.getExperts();
  if (out.getHidden() != hiddenOf(getInput().getType()))
    return emitOpError() << "hidden size " << out.getHidden()
                         << " differs from the input's "
                         << hiddenOf(getInput().getType());
  if (out.getElementType() != getInput().getType().getElementType())
    return emitOpError() << "element type differs from the input's";
  if (auto router = getRoute().getDefiningOp<RouterOp>())
    if (router.getInput() != getInput() &&
        hiddenOf(router.getInput().getType()) != out.getHidden())
      return emitOpError() << "route was computed on hidden size "
                           << hiddenOf(router.getInput().getType());
  return success();
}

LogicalResult ExpertsOp::verify() {
  if (failed(checkLayer(*this, getLayer())) ||
      failed(checkPositive(*this, "ffn", getFfn())))
    return failure();
  Type weights = getWeights();
  if (!weights.isIntOrFloat())
    return emitOpError() << "weights must be an integer or float type, got "
                         << weights;
  if (weights.isInteger() && !llvm::is_contained({2u, 3u, 4u, 8u},
                                                 weights.getIntOrFloatBitWidth()))
    return emitOpError() << "quantised weights must be i2, i3, i4 or i8, got "
                         << weights;
  if (auto block = getBlockSize()) {
    if (!weights.isInteger())
      return emitOpError() << "block_size applies to quantised (integer) "
                              "weights only";
    if (failed(checkPositive(*this, "block_size", *block)))
      return failure();
  }
  if (auto dispatch = getInput().getDefiningOp<DispatchOp>())
    if (auto router = dispatch.getRoute().getDefiningOp<RouterOp>())
      if (router.getLayer() != getLayer())
        return emitOpError() << "layer " << getLayer()
                             << " differs from its router's layer "
                             << router.getLayer();
  return success();
}

LogicalResult CombineOp::verify() {
  DispatchedType in = getInput().getType();
  RouteType route = getRoute().getType();
  if (in.getExperts() != route.getExperts())
    return emitOpError() << "combines " << in.getExperts()
                         << " experts but the route has " << route.getExperts();
  if (in.getHidden() != hiddenOf(getOutput().getType()))
    return emitOpError() << "hidden size " << in.getHidden()
                         << " differs from the result's "
                         << hiddenOf(getOutput().getType());
  if (in.getElementType() != getOutput().getType().getElementType())
    return emitOpError() << "element type differs from the result's";
  return success();
}

LogicalResult SharedExpertsOp::verify() {
  if (failed(checkLayer(*this, getLayer())) ||
      failed(checkPositive(*this, "count", getCount())) ||
      failed(checkPositive(*this, "ffn", getFfn())))
    return failure();
  return success();
}
