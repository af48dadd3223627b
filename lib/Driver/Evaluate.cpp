//===- Evaluate.cpp - Lower every strategy and evaluate it ----------------===//

#include "moesaic/Driver/Evaluate.h"
#include "moesaic/Dialect/Hw/HwScheduleExport.h"
#include "moesaic/Dialect/Hw/HwSystemModel.h"
#include "moesaic/Dialect/Moe/MoeModelDesc.h"
#include "moesaic/Driver/Strategy.h"
#include "moesaic/Driver/StrategySpec.h"
#include "moesaic/InitAll.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Threading.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

#include <optional>

using namespace mlir;
using namespace moesaic;

LogicalResult moesaic::evaluateStrategies(ModuleOp module,
                                          const EvaluateOptions &options,
                                          EvaluationSink &sink,
                                          PipelineRunner runPipeline) {
  if (options.strategies.empty())
    return module.emitError() << "no strategy to evaluate";
  llvm::StringSet<> seen;
  std::vector<StrategySpec> specs;
  for (const std::string &text : options.strategies) {
    llvm::Expected<StrategySpec> spec = parseStrategySpec(text);
    if (!spec)
      return module.emitError() << llvm::toString(spec.takeError());
    // The report keys results' speedups by strategy (with its options).
    if (!seen.insert(spec->text).second)
      return module.emitError()
             << "strategy '" << spec->text << "' is listed twice";
    specs.push_back(std::move(*spec));
  }
  moe::ModelOp modelOp = moe::findModel(module);
  if (!modelOp)
    return module.emitError() << "evaluating a strategy needs a moe.model";
  hw::SystemOp systemOp = hw::findSystem(module);
  if (!systemOp)
    return module.emitError()
           << "evaluating a strategy needs a target: pass "
              "--hw=<preset|file> (e.g. --hw=edge-chiplet-4; --list-hw "
              "lists the presets) or add a hw.system";
  FailureOr<ModelDesc> model = moe::describeModel(modelOp);
  if (failed(model))
    return failure();
  FailureOr<SystemModel> system = hw::buildSystemModel(systemOp);
  if (failed(system))
    return failure();
  // The devices that compute model layers need compute and the memory
  // their weights stream from: without them the simulator would only find
  // a task that never ends, far from the mistake in the hardware.
  for (unsigned d : system->acceleratorDevices()) {
    const Device &dev = system->devices[d];
    const char *missing =
        dev.peakTflops.empty() ? "'peak_tflops' (its compute)"
        : !(dev.offchipGBps > 0)
            ? "'offchip_gbps' (the bandwidth of the off-chip memory its "
              "weights are read from)"
            : nullptr;
    if (missing)
      return module.emitError()
             << "hardware '" << system->name << "': device '" << dev.name
             << "' (" << toString(dev.kind)
             << ") computes model layers, so it needs " << missing;
  }
  // Chiplet packages and GPU clusters keep the weights in their devices'
  // off-chip memory and are simulated whatever it holds (gpu-ndp and wafer
  // strategies refuse a model that does not fit): say so when it cannot.
  if (system->kind == SystemKind::Chiplet ||
      system->kind == SystemKind::GpuCluster) {
    int64_t capacity = 0;
    for (const Device &d : system->devices)
      if (d.kind == DeviceKind::Chiplet || d.kind == DeviceKind::Die ||
          d.kind == DeviceKind::Gpu)
        capacity += d.offchipBytes;
    int64_t weights = model->paramsBytes();
    if (capacity > 0 && weights > capacity) {
      std::string text = llvm::formatv(
          "the model's weights ({0:F1} GiB) exceed the off-chip memory of "
          "'{1}' ({2:F1} GiB in all): the results assume they fit",
          weights / double(1 << 30), system->name,
          capacity / double(1 << 30));
      mlir::emitWarning(module.getLoc()) << text;
      model->warnings.push_back(text);
    }
  }
  for (const StrategySpec &spec : specs) {
    const StrategyInfo *info = spec.info;
    const std::string &name = spec.name;
    if (!servesKind(*info, system->kind))
      return module.emitError()
             << "strategy '" << name << "' does not serve "
             << toString(system->kind) << " systems like '" << system->name
             << "' (it serves "
             << llvm::join(targetNames(*info), ", ") << ")";
  }
  // A schedule the module already holds for a strategy that is not asked
  // for is kept in the output but not evaluated (a `--moe-strategy-X` pass
  // next to `--strategy=Y` is a likely slip): say so, once per strategy.
  llvm::SmallVector<llvm::StringRef> unevaluated;
  for (Operation &op : module.getBody()->getOperations())
    if (auto schedule = dyn_cast<hw::ScheduleOp>(op)) {
      llvm::StringRef name = schedule.getStrategy();
      auto asked = [&](const StrategySpec &s) { return s.name == name; };
      if (llvm::none_of(specs, asked) && !llvm::is_contained(unevaluated, name))
        unevaluated.push_back(name);
    }
  for (llvm::StringRef name : unevaluated) {
    std::string text = llvm::formatv(
        "the module holds a '{0}' schedule, which is not evaluated (it "
        "stays in the output): list '{0}' among the strategies (--compare, "
        "moesaic.compare) to evaluate it too",
        name);
    mlir::emitWarning(module.getLoc()) << text;
    model->warnings.push_back(text);
  }
  llvm::Expected<GatingTrace> trace = makeTrace(options.workload, *model);
  if (!trace)
    return module.emitError()
           << "workload '" << options.workload.str()
           << "': " << llvm::toString(trace.takeError());

  std::string workloadText = options.workload.str();
  bool inPlace = options.lowerInPlace && specs.size() == 1;
  sink.outcomes.clear();
  // Lowering (MLIR: clones inserted into `module`) runs strategy by
  // strategy; the exported schedules are then evaluated concurrently.
  std::vector<llvm::json::Object> schedules;
  std::vector<bool> fromInput;
  for (const StrategySpec &spec : specs) {
    const StrategyInfo *info = spec.info;
    const std::string &name = spec.name;
    bool dataflow =
        options.dataflowPrograms || options.runtime == "dataflow";
    // A module that already holds this strategy's schedule (its passes run
    // by hand, e.g. with their own options) is evaluated as it is; only
    // the when/where program is (re)written when something reads it.
    hw::ScheduleOp given = hw::findSchedule(module, name);
    if (given && !spec.options.empty())
      return module.emitError()
             << "strategy '" << spec.text << "': the module already holds "
             << "a '" << name << "' schedule, lowered with the options it "
             << "was lowered with; give the module without it, or drop "
             << "the options";
    fromInput.push_back((bool)given);
    OpPassManager pm(ModuleOp::getOperationName());
    if (!given) {
      if (llvm::Error e = buildStrategySpecPipeline(spec, pm, dataflow))
        return module.emitError() << llvm::toString(std::move(e));
    } else if (dataflow && info->buildDataflowProgram)
      info->buildDataflowProgram(pm);
    if (given && pm.size() == 0) {
      FailureOr<llvm::json::Object> exported = hw::exportSchedule(given);
      if (failed(exported))
        return failure();
      schedules.push_back(std::move(*exported));
      continue;
    }
    // The module to lower: the input itself, or a clone nested in it (a
    // dynamic pipeline may only run on the pass's op or below).
    ModuleOp target = module;
    if (!inPlace) {
      OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
      target = cast<ModuleOp>(builder.clone(*module.getOperation()));
    }
    auto eraseClone = llvm::make_scope_exit([&] {
      if (target != module)
        target.erase();
    });
    // EPLB observes the load of the workload being evaluated.
    target->setAttr("moesaic.workload",
                    StringAttr::get(module.getContext(), workloadText));
    // A failure is reported as the pass's own error with the strategy
    // named in front (SPEC.md: one `error:` line naming the input and the
    // reason; in --compare the name says which strategy failed). Errors
    // are held while the pipeline runs and re-emitted with their notes;
    // warnings and remarks pass through.
    std::vector<Diagnostic> passErrors;
    LogicalResult lowered = success();
    {
      ScopedDiagnosticHandler hold(module.getContext(), [&](Diagnostic &d) {
        if (d.getSeverity() != DiagnosticSeverity::Error)
          return failure(); // to the handlers before this one
        passErrors.push_back(std::move(d));
        return success();
      });
      lowered = runPipeline(pm, target);
    }
    for (Diagnostic &d : passErrors) {
      InFlightDiagnostic error = mlir::emitError(d.getLocation())
                                 << "strategy '" << spec.text
                                 << "': " << d.str();
      for (Diagnostic &note : d.getNotes())
        error.attachNote(note.getLocation()) << note.str();
    }
    if (failed(lowered))
      return passErrors.empty()
                 ? module.emitError() << "strategy '" << spec.text
                                      << "' failed to lower the model"
                 : failure();
    hw::ScheduleOp schedule = hw::findSchedule(target, name);
    if (!schedule)
      return module.emitError() << "strategy '" << name
                                << "' produced no hw.schedule";
    FailureOr<llvm::json::Object> exported = hw::exportSchedule(schedule);
    if (failed(exported))
      return failure();
    schedules.push_back(std::move(*exported));
  }
  // Speed (docs/performance.md): each strategy's runtime + simulation is
  // MLIR-free and independent of the others (read-only model, system and
  // trace; its own task graph), so --compare evaluates them on the
  // context's thread pool (--mlir-disable-threading makes it sequential).
  // Errors are reported in strategy order, as the sequential loop did.
  size_t n = schedules.size();
  std::vector<std::optional<StrategyOutcome>> outcomes(n);
  std::vector<std::string> errors(n);
  mlir::parallelFor(module.getContext(), 0, n, [&](size_t i) {
    llvm::Expected<StrategyOutcome> outcome =
        evaluateSchedule(std::move(schedules[i]), *system, *model,
                         options.workload, *trace, options.recordTimeline,
                         options.runtime, options.taskGranularity,
                         module.getContext()->isMultithreadingEnabled());
    if (outcome)
      outcomes[i] = std::move(*outcome);
    else
      errors[i] = llvm::toString(outcome.takeError());
  });
  for (size_t i = 0; i < n; ++i) {
    if (!outcomes[i])
      return module.emitError() << errors[i];
    outcomes[i]->result["schedule_source"] =
        fromInput[i] ? "input" : "pipeline";
    // A strategy with options is reported under what the user wrote, so
    // variants of one strategy stay apart in results and speedups.
    if (!specs[i].options.empty()) {
      outcomes[i]->strategy = specs[i].text;
      outcomes[i]->result["strategy"] = specs[i].text;
      outcomes[i]->result["strategy_options"] = specs[i].options;
    }
    sink.outcomes.push_back(std::move(*outcomes[i]));
  }
  sink.report =
      buildReport(*model, *system, options.workload, *trace,
                  sink.outcomes);
  sink.done = true;
  return success();
}

namespace {
/// The last pass of moe-opt's pipeline when --strategy/--compare is given.
/// Internal to the driver (it writes into a sink the driver owns), hence
/// not registered as a command-line pass.
struct EvaluateStrategiesPass
    : PassWrapper<EvaluateStrategiesPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(EvaluateStrategiesPass)

  EvaluateStrategiesPass(EvaluateOptions options, EvaluationSink *sink)
      : options(std::move(options)), sink(sink) {}
  EvaluateStrategiesPass(const EvaluateStrategiesPass &other)
      : PassWrapper(other), options(other.options), sink(other.sink) {}

  StringRef getArgument() const override { return "moe-evaluate-strategies"; }
  StringRef getDescription() const override {
    return "Lowers and evaluates the strategies of --strategy/--compare";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registerAllDialects(registry);
  }

  void runOnOperation() override {
    auto run = [&](OpPassManager &pm, Operation *op) {
      return runPipeline(pm, op);
    };
    if (failed(evaluateStrategies(getOperation(), options, *sink, run)))
      signalPassFailure();
  }

  EvaluateOptions options;
  EvaluationSink *sink;
};
} // namespace

std::unique_ptr<Pass>
moesaic::createEvaluateStrategiesPass(EvaluateOptions options,
                                      EvaluationSink *sink) {
  return std::make_unique<EvaluateStrategiesPass>(std::move(options), sink);
}

LogicalResult moesaic::evaluateModule(ModuleOp module,
                                      const EvaluateOptions &options,
                                      EvaluationSink &sink) {
  auto run = [&](OpPassManager &pm, Operation *op) {
    PassManager outer(module.getContext(), ModuleOp::getOperationName());
    static_cast<OpPassManager &>(outer) = pm;
    return outer.run(op);
  };
  return evaluateStrategies(module, options, sink, run);
}
