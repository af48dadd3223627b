//===- HwOps.cpp - Verifiers of the hw dialect's operations ---------------===//

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Dialect/Hw/HwSystemModel.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace moesaic::hw;

#define GET_OP_CLASSES
#include "Hw/HwOps.cpp.inc"

//===----------------------------------------------------------------------===//
// System description
//===----------------------------------------------------------------------===//

/// A misspelt figure (`offchip_gpbs`) would otherwise be kept as an unused
/// attribute and the device modelled without it. Dialect-prefixed names
/// (`foo.bar`) are left to their owners, as MLIR's convention goes.
static LogicalResult verifyKnownAttrs(Operation *op,
                                      ArrayRef<StringRef> known) {
  for (NamedAttribute attr : op->getAttrs()) {
    StringRef name = attr.getName().getValue();
    if (name.contains('.') || llvm::is_contained(known, name))
      continue;
    StringRef best;
    unsigned bestDistance = 3; // suggest only close names
    for (StringRef k : known) {
      unsigned d = name.edit_distance(k, /*AllowReplacements=*/true,
                                      /*MaxEditDistance=*/bestDistance);
      if (d < bestDistance)
        bestDistance = d, best = k;
    }
    InFlightDiagnostic diag = op->emitOpError()
                              << "has unknown attribute '" << name << "'";
    if (!best.empty())
      diag << " (did you mean '" << best << "'?)";
    diag << "; it takes ";
    llvm::interleave(
        known, diag, [&](StringRef k) { diag << k; }, ", ");
    return diag;
  }
  return success();
}

LogicalResult SystemOp::verifyRegions() {
  for (Operation &op : getBody().front())
    if (!isa<DeviceOp, LinkOp, TopologyOp>(op))
      return op.emitOpError() << "is not allowed in a hw.system (expected "
                                 "hw.device, hw.link or hw.topology)";
  // The target model performs the whole-system checks (dangling references,
  // duplicate coordinates, mesh neighbours, reachability) and reports them
  // on the offending op.
  return verifySystemModel(*this);
}

LogicalResult DeviceOp::verify() {
  if (failed(verifyKnownAttrs(*this, getAttributeNames())))
    return failure();
  // I64Attr getters return uint64_t: compare the signed stored values.
  int64_t onchip = getOnchipBytesAttr().getInt();
  int64_t offchip = getOffchipBytesAttr().getInt();
  if (onchip < 0 || offchip < 0)
    return emitOpError() << "memory sizes must be non-negative";
  if (onchip > kMaxDeviceBytes || offchip > kMaxDeviceBytes)
    return emitOpError() << "memory sizes must be at most 2^56 bytes";
  double gbps = getOffchipGbps().convertToDouble();
  if (gbps < 0 || !std::isfinite(gbps))
    return emitOpError() << "offchip_gbps must be finite and non-negative";
  if (!isPlausibleRate(gbps))
    return emitOpError() << "offchip_gbps = " << gbps << " is "
                         << kPlausibleRange;
  if (offchip > 0 && !(gbps > 0))
    return emitOpError() << "has off-chip memory but no positive "
                            "offchip_gbps";
  if (auto channels = getOffchipChannelsAttr())
    if (channels.getInt() <= 0)
      return emitOpError() << "offchip_channels must be positive, got "
                           << channels.getInt();
  if (auto coord = getCoord())
    if (coord->size() != 2 || (*coord)[0] < 0 || (*coord)[1] < 0)
      return emitOpError() << "coordinates must be [row, col] with "
                              "non-negative entries";
  for (NamedAttribute peak : getPeakTflops()) {
    // The data types the target model and the hardware files know.
    if (!llvm::is_contained({"fp32", "fp16", "bf16", "fp8", "int8", "int4",
                             "int3", "int2"},
                            peak.getName().getValue()))
      return emitOpError() << "peak_tflops has unknown data type '"
                           << peak.getName().getValue()
                           << "' (expected fp32, fp16, bf16, fp8, int8, "
                              "int4, int3 or int2)";
    auto value = dyn_cast<FloatAttr>(peak.getValue());
    if (!value || !(value.getValueAsDouble() > 0) ||
        !std::isfinite(value.getValueAsDouble()))
      return emitOpError() << "peak_tflops '" << peak.getName().getValue()
                           << "' must be a positive float";
    if (!isPlausibleRate(value.getValueAsDouble()))
      return emitOpError() << "peak_tflops '" << peak.getName().getValue()
                           << "' = " << value.getValueAsDouble() << " is "
                           << kPlausibleRange;
  }
  if (getKind() == DeviceKindAttr::ndp && getPeakTflops().empty())
    return emitOpError() << "an NDP unit needs peak_tflops";
  if (getAttachedTo() && getKind() != DeviceKindAttr::ndp)
    return emitOpError() << "only NDP units are attached_to a host";
  if (getKind() == DeviceKindAttr::switch_)
    return emitOpError() << "switches are implied by 'hw.topology switch'";
  return success();
}

LogicalResult LinkOp::verify() {
  if (failed(verifyKnownAttrs(*this, getAttributeNames())))
    return failure();
  double bw = getBw().convertToDouble(), lat = getLat().convertToDouble();
  if (!(bw > 0) || !std::isfinite(bw))
    return emitOpError() << "bandwidth must be positive, got " << bw;
  if (lat < 0 || !std::isfinite(lat))
    return emitOpError() << "latency must be non-negative, got " << lat;
  if (!isPlausibleRate(bw) || !isPlausibleRate(lat))
    return emitOpError() << "bandwidth " << bw << " or latency " << lat
                         << " is " << kPlausibleRange;
  if (getSrc() == getDst())
    return emitOpError() << "joins " << getSrcAttr() << " to itself";
  return success();
}

LogicalResult TopologyOp::verify() {
  double bw = getBw().convertToDouble(), lat = getLat().convertToDouble();
  if (!(bw > 0) || !std::isfinite(bw))
    return emitOpError() << "bandwidth must be positive, got " << bw;
  if (lat < 0 || !std::isfinite(lat))
    return emitOpError() << "latency must be non-negative, got " << lat;
  if (!isPlausibleRate(bw) || !isPlausibleRate(lat))
    return emitOpError() << "bandwidth " << bw << " or latency " << lat
                         << " is " << kPlausibleRange;
  if (getMembers().size() < 2)
    return emitOpError() << "needs at least two members";
  bool isMesh = getKind() == TopologyKindAttr::mesh;
  if (isMesh != (getRows().has_value() && getCols().has_value()))
    return emitOpError() << (isMesh ? "a mesh needs 'rows' and 'cols'"
                                    : "only a mesh takes 'rows' and 'cols'");
  if ((getKind() == TopologyKindAttr::pcie) != getHub().has_value())
    return emitOpError() << (getHub() ? "only a pcie topology takes a 'hub'"
                                      : "a pcie topology needs a 'hub'");
  return success();
}

//===----------------------------------------------------------------------===//
// Schedules
//===----------------------------------------------------------------------===//

SystemOp ScheduleOp::getTargetSystem() {
  return SymbolTable::lookupNearestSymbolFrom<SystemOp>(*this, getTargetAttr());
}

/// Checks that every symbol in `devices` names a device of `system`.
static LogicalResult checkDevices(Operation *op, SystemOp system,
                                  ArrayRef<Attribute> devices,
                                  StringRef what) {
  if (!system)
    return success(); // reported by the schedule's verifier
  for (Attribute attr : devices) {
    auto ref = dyn_cast<FlatSymbolRefAttr>(attr);
    if (!ref)
      return op->emitOpError() << what << " must list device symbols";
    if (!SymbolTable::lookupSymbolIn(system, ref.getAttr()))
      return op->emitOpError() << what << " names " << ref
                               << ", which is not a device of "
                               << "@" << system.getSymName();
  }
  return success();
}

LogicalResult ScheduleOp::verifyRegions() {
  if (failed(detail::verifyStreamLayers(*this)))
    return failure();
  Operation *parent = (*this)->getParentOp();
  if (!parent)
    return success();
  if (!getTargetSystem())
    return emitOpError() << "targets " << getTargetAttr()
                         << ", which is not a hw.system here";
  Operation *model =
      SymbolTable::lookupNearestSymbolFrom(*this, getModelAttr());
  if (!model || model->getName().getStringRef() != "moe.model")
    return emitOpError() << "schedules " << getModelAttr()
                         << ", which is not a model here";
  return success();
}

static SystemOp systemOf(Operation *op) {
  if (auto schedule = op->getParentOfType<ScheduleOp>())
    if (schedule->getParentOp())
      return schedule.getTargetSystem();
  return {};
}

LogicalResult PlaceDenseOp::verify() {
  if (getLayerAttr().getInt() < -1)
    return emitOpError() << "layer must be -1 or a layer index";
  if (getDevices().empty())
    return emitOpError() << "needs at least one device";
  if (getMode() == DenseMode::single && getDevices().size() != 1)
    return emitOpError() << "mode single takes exactly one device";
  return checkDevices(*this, systemOf(*this), getDevices().getValue(),
                      "placement");
}

LogicalResult PlaceExpertsOp::verify() {
  if (getLayerAttr().getInt() < 0)
    return emitOpError() << "layer must be a layer index";
  if (getExperts().empty())
    return emitOpError() << "places no experts";
  SystemOp system = systemOf(*this);
  for (auto [i, entry] : llvm::enumerate(getExperts())) {
    auto list = dyn_cast<ArrayAttr>(entry);
    if (!list || list.empty())
      return emitOpError() << "expert " << i
                           << " needs a non-empty list of devices";
    if (failed(checkDevices(*this, system, list.getValue(),
                            "expert " + std::to_string(i))))
      return failure();
    llvm::SmallDenseSet<Attribute> seen;
    for (Attribute d : list)
      if (!seen.insert(d).second)
        return emitOpError() << "expert " << i << " lists " << d << " twice";
  }
  return success();
}

LogicalResult ShardExpertsOp::verify() {
  if (getLayerAttr().getInt() < 0)
    return emitOpError() << "layer must be a layer index";
  if (getDevices().empty())
    return emitOpError() << "needs at least one device";
  if (getShardBytesAttr().getInt() <= 0)
    return emitOpError() << "shard_bytes must be positive";
  return checkDevices(*this, systemOf(*this), getDevices().getValue(),
                      "sharding");
}
