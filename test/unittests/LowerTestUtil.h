//===- LowerTestUtil.h - A strategy's exported schedule for a test -*- C++ -*-===//
//
// Setup shared by the tests that need an example model on a hardware
// preset, or the schedule a strategy's pipeline writes (`--schedule`): the
// model lowered with the strategy's own passes, its hw.schedule exported to
// JSON, and the model's description.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_TEST_LOWERTESTUTIL_H
#define MOESAIC_TEST_LOWERTESTUTIL_H

#include "moesaic/Dialect/Hw/HwScheduleExport.h"
#include "moesaic/Dialect/Moe/MoeModelDesc.h"
#include "moesaic/Driver/Strategy.h"
#include "moesaic/InitAll.h"
#include "moesaic/Transforms/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "gtest/gtest.h"

#include <string>

namespace moesaic::testutil {

struct LoweredExample {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  llvm::json::Object schedule; ///< what `--schedule` writes for the strategy
  ModelDesc model;
};

/// examples/`example` parsed, with the preset `hw` attached as its target
/// (null when either fails).
inline mlir::OwningOpRef<mlir::ModuleOp>
attachExample(mlir::MLIRContext &context, const std::string &example,
              const std::string &hw) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(
          std::string(MOESAIC_SOURCE_DIR) + "/examples/" + example, &context);
  if (!module)
    return module;
  mlir::PassManager pm(&context);
  AttachTargetOptions attach;
  attach.hw = hw;
  pm.addPass(createAttachTarget(attach));
  if (failed(pm.run(*module)))
    return nullptr;
  return module;
}

/// Lowers examples/`example` onto the preset `hw` with `strategy`'s
/// pipeline and exports its schedule into `out`.
inline ::testing::AssertionResult
lowerExample(mlir::MLIRContext &context, const std::string &example,
             const std::string &hw, const std::string &strategy,
             LoweredExample &out) {
  out.module = attachExample(context, example, hw);
  if (!out.module)
    return ::testing::AssertionFailure()
           << example << " does not parse or take " << hw;
  const StrategyInfo *info = findStrategy(strategy);
  if (!info)
    return ::testing::AssertionFailure() << "no strategy " << strategy;
  mlir::PassManager pm(&context);
  info->buildPipeline(pm);
  if (failed(pm.run(*out.module)))
    return ::testing::AssertionFailure()
           << strategy << " does not lower " << example << " onto " << hw;
  hw::ScheduleOp schedule = hw::findSchedule(*out.module, strategy);
  if (!schedule)
    return ::testing::AssertionFailure() << "no " << strategy << " schedule";
  mlir::FailureOr<llvm::json::Object> exported = hw::exportSchedule(schedule);
  if (failed(exported))
    return ::testing::AssertionFailure() << "the schedule does not export";
  out.schedule = std::move(*exported);
  mlir::FailureOr<ModelDesc> model =
      moe::describeModel(moe::findModel(out.module->getOperation()));
  if (failed(model))
    return ::testing::AssertionFailure() << "the model is not described";
  out.model = std::move(*model);
  return ::testing::AssertionSuccess();
}

} // namespace moesaic::testutil

#endif // MOESAIC_TEST_LOWERTESTUTIL_H
