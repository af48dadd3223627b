//===- Compile.cpp - moesaic.compile() and moesaic.compare() --------------===//
//
// Loads the model into a fresh Workspace, attaches the target, and hands the
// module to the same evaluation path as moe-opt's --strategy/--compare
// (moesaic/Driver/Evaluate.h).
//
//===----------------------------------------------------------------------===//

#include "Workspace.h"
#include "moesaic/Dialect/Hw/HwSystemModel.h"
#include "moesaic/Driver/Evaluate.h"
#include "moesaic/Driver/Strategy.h"
#include "moesaic/Driver/StrategySpec.h"
#include "moesaic/Target/HardwareFile.h"
#include "moesaic/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace moesaic;
using namespace moesaic::python;

std::vector<StrategyEntry> moesaic::python::listStrategies() {
  std::vector<StrategyEntry> out;
  for (const StrategyInfo &info : moesaic::listStrategies()) {
    StrategyEntry entry{info.name, info.summary, targetNames(info), {}};
    for (const StrategyOption &o : strategyOptions(info))
      entry.options.push_back(
          {o.name, o.value, {o.passes.begin(), o.passes.end()}});
    out.push_back(std::move(entry));
  }
  return out;
}

static std::string jsonText(const llvm::json::Value &value) {
  return llvm::formatv("{0}", value).str();
}

std::optional<CompileOutput>
moesaic::python::compile(const CompileRequest &request, Diagnostics &diags) {
  Workspace ws;
  Workspace::Capture capture(ws, diags);
  if (request.strategies.empty()) {
    ws.error("no strategy given (known: " + strategyNames() + ")");
    return std::nullopt;
  }
  llvm::Expected<WorkloadSpec> workload = parseWorkloadSpec(request.workload);
  if (!workload) {
    ws.error("workload '" + request.workload +
             "': " + llvm::toString(workload.takeError()));
    return std::nullopt;
  }
  OwningOpRef<ModuleOp> module = ws.load(request.model);
  if (!module) {
    if (!diags.hasErrors())
      ws.error("'" + request.model.name + "': could not be loaded");
    return std::nullopt;
  }

  // The target: the one asked for (replacing any the module holds), else
  // the module's own, else the default preset.
  std::string hw = request.hw;
  if (hw.empty() && !hw::findSystem(*module))
    hw = defaultPresetName().str();
  // The target's facts for Result.hardware: as loaded from the preset or
  // file (keeping its name), or read from the module's own hw.system.
  std::optional<SystemModel> target;
  if (!hw.empty()) {
    // Checked here first so that a bad name or file is one error naming it.
    llvm::Expected<SystemModel> loaded = loadHardware(hw);
    if (!loaded) {
      ws.error(llvm::toString(loaded.takeError()));
      return std::nullopt;
    }
    target = std::move(*loaded);
    PassManager pm(&ws.context());
    AttachTargetOptions options;
    options.hw = hw;
    options.replace = true;
    pm.addPass(createAttachTarget(options));
    if (failed(pm.run(*module)))
      return std::nullopt;
  } else {
    FailureOr<SystemModel> own = hw::buildSystemModel(hw::findSystem(*module));
    if (failed(own))
      return std::nullopt;
    target = std::move(*own);
  }

  EvaluateOptions options;
  options.strategies = request.strategies;
  options.workload = *workload;
  options.recordTimeline = request.timeline;
  options.lowerInPlace = request.lowerInPlace;
  options.runtime = request.runtime;
  options.taskGranularity = request.taskGranularity;
  options.dataflowPrograms = request.dataflowPrograms;
  EvaluationSink sink;
  if (failed(evaluateModule(*module, options, sink)) || !sink.done) {
    if (!diags.hasErrors())
      ws.error("evaluation failed without a diagnostic");
    return std::nullopt;
  }

  CompileOutput out;
  out.reportText = reportText(sink.report);
  out.reportJSON = jsonText(llvm::json::Value(std::move(sink.report)));
  out.scheduleJSON = jsonText(sink.scheduleJSON());
  if (request.timeline) {
    llvm::raw_string_ostream os(out.timelineJSON);
    sink.writeTimeline(os);
  }
  out.hardwareJSON = hardwareFactsJSON(*target);
  llvm::raw_string_ostream os(out.mlir);
  module->print(os);
  return out;
}
