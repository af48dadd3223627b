//===- ScheduleContext.cpp - What a schedule-filling pass works on ---------===//
//
// Shared by the schedule-filling passes; not a pass itself.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Transforms/ScheduleContext.h"
#include "moesaic/Dialect/Hw/HwSystemModel.h"
#include "moesaic/Dialect/Moe/MoeModelDesc.h"

using namespace mlir;
using namespace moesaic;

FlatSymbolRefAttr ScheduleContext::deviceRef(unsigned index) const {
  return FlatSymbolRefAttr::get(schedule.getContext(),
                                system.devices[index].name);
}

ArrayAttr ScheduleContext::acceleratorArray() const {
  return ArrayAttr::get(schedule.getContext(), accelerators);
}

FailureOr<ScheduleContext> moesaic::getScheduleContext(ModuleOp module,
                                                       StringRef passArg) {
  ScheduleContext ctx;
  for (Operation &op : *module.getBody())
    if (auto schedule = dyn_cast<hw::ScheduleOp>(op))
      ctx.schedule = schedule;
  if (!ctx.schedule)
    return module.emitError()
           << passArg
           << " needs a hw.schedule to fill: run moe-create-schedule first";
  ctx.systemOp = ctx.schedule.getTargetSystem();
  ctx.modelOp = SymbolTable::lookupNearestSymbolFrom<moe::ModelOp>(
      ctx.schedule, ctx.schedule.getModelAttr());
  if (!ctx.systemOp || !ctx.modelOp)
    return ctx.schedule.emitOpError()
           << "names a model or system that is not in the module";
  FailureOr<SystemModel> system = hw::buildSystemModel(ctx.systemOp);
  if (failed(system))
    return failure();
  ctx.system = std::move(*system);
  FailureOr<ModelDesc> model = moe::describeModel(ctx.modelOp);
  if (failed(model))
    return failure();
  ctx.model = std::move(*model);
  for (unsigned d : ctx.system.acceleratorDevices())
    ctx.accelerators.push_back(ctx.deviceRef(d));
  if (ctx.accelerators.empty())
    return ctx.systemOp.emitOpError()
           << "has no accelerator device to place the model on";
  return ctx;
}

std::string moesaic::passWorkloadText(mlir::ModuleOp module,
                                      llvm::StringRef option) {
  if (!option.empty())
    return option.str();
  if (auto attr = module->getAttrOfType<mlir::StringAttr>("moesaic.workload"))
    return attr.str();
  return "";
}

mlir::FailureOr<PassWorkload>
moesaic::getPassWorkload(mlir::ModuleOp module, llvm::StringRef passArg,
                         llvm::StringRef text, const ModelDesc &model,
                         int64_t maxSteps) {
  auto fail = [&](llvm::Error e) {
    module.emitError() << passArg << ": workload '" << text
                       << "': " << llvm::toString(std::move(e));
    return mlir::failure();
  };
  llvm::Expected<WorkloadSpec> spec = parseWorkloadSpec(text);
  if (!spec)
    return fail(spec.takeError());
  if (maxSteps > 0)
    spec->steps = std::min<int64_t>(spec->steps, maxSteps);
  llvm::Expected<GatingTrace> trace = makeTrace(*spec, model);
  if (!trace)
    return fail(trace.takeError());
  return PassWorkload{std::move(*spec), std::move(*trace)};
}
