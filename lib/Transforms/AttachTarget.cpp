//===- AttachTarget.cpp - Materialise a hardware preset as hw.system ------===//

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Dialect/Hw/HwSystemModel.h"
#include "moesaic/Target/HardwareFile.h"
#include "moesaic/Transforms/Passes.h"

namespace moesaic {
#define GEN_PASS_DEF_ATTACHTARGET
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct AttachTargetPass
    : moesaic::impl::AttachTargetBase<AttachTargetPass> {
  using AttachTargetBase::AttachTargetBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (hw.empty()) {
      module.emitError() << "moe-attach-target needs 'hw=<preset or file>'";
      return signalPassFailure();
    }
    llvm::Expected<SystemModel> model = loadHardware(hw);
    if (!model) {
      module.emitError() << llvm::toString(model.takeError());
      return signalPassFailure();
    }
    std::string symbol = hw::systemSymbolName(model->name);
    if (hw::SystemOp existing = hw::findSystem(module)) {
      if (existing.getSymName() == symbol && !replace)
        return;
      if (!replace) {
        InFlightDiagnostic diag =
            module.emitError()
            << "the module already targets @" << existing.getSymName()
            << "; to target '" << model->name << "' instead, set replace=true "
            << "(moe-opt --moe-attach-target='hw=" << hw
            << " replace=true' in place of --hw)";
        diag.attachNote(existing.getLoc()) << "existing system is here";
        return signalPassFailure();
      }
      existing.erase();
    }
    OpBuilder builder = OpBuilder::atBlockBegin(module.getBody());
    Location loc = FileLineColLoc::get(builder.getStringAttr(hw), 0, 0);
    hw::emitSystem(builder, loc, *model);
  }
};
} // namespace
