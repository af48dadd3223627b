//===- WaferPlacement.cpp - What the wafer passes share -------------------===//

#include "moesaic/Transforms/WaferPlacement.h"

#include "moesaic/Dialect/Hw/HwOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace moesaic;

FailureOr<WaferContext> moesaic::getWaferContext(ModuleOp module,
                                                 StringRef passArg,
                                                 int64_t ringSize,
                                                 bool needPlacement) {
  if (ringSize < 0)
    return module.emitError() << passArg << ": ring-size must be 0 (chosen "
                              << "from the model) or positive, got "
                              << ringSize;
  FailureOr<ScheduleContext> ctx = getScheduleContext(module, passArg);
  if (failed(ctx))
    return failure();
  const SystemModel &sys = ctx->system;
  if (sys.kind != SystemKind::Wafer || sys.meshRows <= 0 ||
      sys.meshCols <= 0 ||
      (int64_t)sys.acceleratorDevices().size() != sys.meshRows * sys.meshCols)
    return ctx->schedule.emitError()
           << passArg << ": target '" << sys.name
           << "' is not a wafer mesh (needs kind wafer and a rows x cols "
              "mesh of dies)";
  bool hasPlacement = false;
  int64_t placedRingSize = 0;
  for (Operation &op : ctx->schedule.getBody().front()) {
    if (isa<hw::WaferRingsOp, hw::WaferExpertsOp>(op))
      hasPlacement = true;
    if (auto rings = dyn_cast<hw::WaferRingsOp>(op))
      if (!rings.getRings().empty())
        if (auto first = dyn_cast<ArrayAttr>(rings.getRings()[0]))
          placedRingSize = first.size();
  }
  // Passes after the placement work with its rings (a placement made with
  // ring-size=3 is not re-derived as the default).
  if (!needPlacement && ringSize == 0)
    ringSize = placedRingSize;
  if (needPlacement && hasPlacement)
    return ctx->schedule.emitError()
           << passArg << ": schedule @" << ctx->schedule.getSymName()
           << " already holds a wafer placement";
  if (!needPlacement && !hasPlacement)
    return ctx->schedule.emitError()
           << passArg << ": schedule @" << ctx->schedule.getSymName()
           << " holds no wafer placement: run moe-wafer-er-mapping or "
              "moe-wafer-row-major first";
  llvm::Expected<wafer::WaferShape> shape =
      wafer::chooseShape(ctx->model, sys, ringSize);
  if (!shape)
    return ctx->modelOp.emitError()
           << passArg << ": " << llvm::toString(shape.takeError());
  return WaferContext{std::move(*ctx), *shape};
}

void moesaic::emitWaferLayout(const ScheduleContext &ctx,
                              const wafer::WaferLayout &layout,
                              ArrayRef<NamedAttribute> costAttrs) {
  OpBuilder b = OpBuilder::atBlockEnd(&ctx.schedule.getBody().front());
  Location loc = ctx.schedule.getLoc();
  auto sets = [&](const std::vector<std::vector<unsigned>> &v) {
    SmallVector<Attribute> outer;
    for (const std::vector<unsigned> &s : v) {
      SmallVector<Attribute> inner;
      for (unsigned d : s)
        inner.push_back(ctx.deviceRef(d));
      outer.push_back(b.getArrayAttr(inner));
    }
    return b.getArrayAttr(outer);
  };
  auto rings = b.create<hw::WaferRingsOp>(
      loc, b.getStringAttr(wafer::toString(layout.dispatch)),
      sets(layout.rings), sets(layout.domains));
  for (const NamedAttribute &a : costAttrs)
    rings->setAttr(a.getName(), a.getValue());
  SmallVector<Attribute> units;
  for (unsigned d : layout.unitDie)
    units.push_back(ctx.deviceRef(d));
  b.create<hw::WaferExpertsOp>(loc, b.getI64IntegerAttr(layout.numExperts()),
                               b.getI64IntegerAttr(layout.shards),
                               b.getI64IntegerAttr(layout.unitsPerDie),
                               b.getArrayAttr(units));
}
