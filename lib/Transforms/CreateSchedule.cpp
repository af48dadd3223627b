//===- CreateSchedule.cpp - The empty hw.schedule of a strategy -----------===//

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Dialect/Hw/HwSystemModel.h"
#include "moesaic/Dialect/Moe/MoeModelDesc.h"
#include "moesaic/Transforms/Passes.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>

namespace moesaic {
#define GEN_PASS_DEF_CREATESCHEDULE
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct CreateSchedulePass
    : moesaic::impl::CreateScheduleBase<CreateSchedulePass> {
  using CreateScheduleBase::CreateScheduleBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (strategy.empty()) {
      module.emitError() << "moe-create-schedule needs 'strategy=<name>'";
      return signalPassFailure();
    }
    moe::ModelOp model;
    hw::SystemOp system;
    for (Operation &op : *module.getBody()) {
      if (auto m = dyn_cast<moe::ModelOp>(op)) {
        if (model) {
          InFlightDiagnostic diag =
              m.emitError() << "strategy '" << strategy
                            << "' needs exactly one moe.model, found a second";
          diag.attachNote(model.getLoc()) << "first model is here";
          return signalPassFailure();
        }
        model = m;
      } else if (auto s = dyn_cast<hw::SystemOp>(op)) {
        if (system) {
          InFlightDiagnostic diag =
              s.emitError() << "strategy '" << strategy
                            << "' needs exactly one hw.system, found a second";
          diag.attachNote(system.getLoc()) << "first system is here";
          return signalPassFailure();
        }
        system = s;
      } else if (auto sched = dyn_cast<hw::ScheduleOp>(op)) {
        if (sched.getStrategy() == strategy) {
          sched.emitError() << "the module already holds a schedule of "
                               "strategy '"
                            << strategy << "'";
          return signalPassFailure();
        }
      }
    }
    if (!model) {
      module.emitError() << "strategy '" << strategy
                         << "' needs a moe.model in the module";
      return signalPassFailure();
    }
    if (!system) {
      module.emitError() << "strategy '" << strategy
                         << "' needs a target: pass --hw=<preset|file> or "
                            "add a hw.system";
      return signalPassFailure();
    }
    // The kinds as users write them (gpu-ndp, not the enum's gpu_ndp).
    std::string kind = hw::stringifySystemKindAttr(system.getKind()).str();
    std::replace(kind.begin(), kind.end(), '_', '-');
    if (!targets.empty() && !llvm::is_contained(targets, kind)) {
      module.emitError() << "strategy '" << strategy << "' does not serve "
                         << kind << " systems like @" << system.getSymName()
                         << " (it serves " << llvm::join(targets, ", ")
                         << ")";
      return signalPassFailure();
    }
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    auto schedule = builder.create<hw::ScheduleOp>(
        module.getLoc(), builder.getStringAttr(strategy + "_plan"),
        builder.getStringAttr(strategy),
        FlatSymbolRefAttr::get(model.getSymNameAttr()),
        FlatSymbolRefAttr::get(system.getSymNameAttr()));
    schedule.getBody().emplaceBlock();
  }
};
} // namespace
