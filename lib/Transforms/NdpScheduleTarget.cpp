//===- NdpScheduleTarget.cpp - What the GPU-NDP passes work on ------------===//
//
// Not a pass: the lookup the Ndp*.cpp passes share.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Transforms/NdpScheduleTarget.h"
#include "moesaic/Dialect/Hw/HwSystemModel.h"
#include "moesaic/Dialect/Moe/MoeModelDesc.h"

using namespace mlir;
using namespace moesaic;

FlatSymbolRefAttr NdpScheduleTarget::deviceRef(unsigned index) const {
  return FlatSymbolRefAttr::get(systemOp.getContext(),
                                system.devices[index].name);
}

OpBuilder NdpScheduleTarget::builderAtEnd() const {
  return OpBuilder::atBlockEnd(&schedule.getBody().front());
}

FailureOr<NdpScheduleTarget>
moesaic::getNdpScheduleTarget(ModuleOp module, StringRef passArg) {
  NdpScheduleTarget t;
  for (Operation &op : *module.getBody())
    if (auto s = dyn_cast<hw::ScheduleOp>(op))
      t.schedule = s;
  if (!t.schedule)
    return module.emitError()
           << passArg
           << " needs a hw.schedule to fill (run moe-create-schedule first)";
  t.systemOp = t.schedule.getTargetSystem();
  if (!t.systemOp)
    return t.schedule.emitError()
           << passArg << ": the schedule's target " << t.schedule.getTargetAttr()
           << " is not a hw.system";
  FailureOr<SystemModel> sys = hw::buildSystemModel(t.systemOp);
  if (failed(sys))
    return failure();
  t.system = std::move(*sys);
  if (t.system.kind != SystemKind::GpuNdp)
    return t.schedule.emitError()
           << passArg << " needs a gpu-ndp system; @"
           << t.systemOp.getSymName() << " is a " << toString(t.system.kind)
           << " system";
  auto model = SymbolTable::lookupNearestSymbolFrom<moe::ModelOp>(
      t.schedule, t.schedule.getModelAttr());
  if (!model)
    return t.schedule.emitError()
           << passArg << ": the schedule's model " << t.schedule.getModelAttr()
           << " is not a moe.model";
  FailureOr<ModelDesc> desc = moe::describeModel(model);
  if (failed(desc))
    return failure();
  t.model = std::move(*desc);
  return t;
}
