//===- MoeOptMain.cpp - The moe-opt driver --------------------------------===//

#include "moesaic/Driver/MoeOptMain.h"
#include "moesaic/Driver/ModelInput.h"
#include "moesaic/Driver/OutputFiles.h"
#include "moesaic/Driver/StrategyFlags.h"
#include "moesaic/Target/HardwareFile.h"
#include "moesaic/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
using namespace moesaic;

namespace {
llvm::cl::OptionCategory moesaicCategory("Moesaic options");

llvm::cl::opt<std::string> hwOpt(
    "hw",
    llvm::cl::desc("Target system: a preset name (see --list-hw) or a path to "
                   "a JSON hardware description; inserted as a hw.system"),
    llvm::cl::value_desc("preset|path"), llvm::cl::cat(moesaicCategory));

llvm::cl::opt<bool> modelSummaryOpt(
    "model-summary",
    llvm::cl::desc("Print the model section of the report (JSON) and exit"),
    llvm::cl::cat(moesaicCategory));

llvm::cl::opt<bool> listHw("list-hw",
                           llvm::cl::desc("List the hardware presets and exit"),
                           llvm::cl::cat(moesaicCategory));
} // namespace

static void printPresets(llvm::raw_ostream &os) {
  for (const PresetInfo &p : listPresets())
    os << llvm::left_justify(p.name, 22) << " " << llvm::left_justify(p.kind, 12)
       << " " << p.summary << "\n";
}

/// LLVM's code generators and Polly, linked in through libMLIR, register
/// about 300 options of their own (--aarch64-*, --amdgpu-*, --polly-*, ...)
/// as static objects, before main runs; none of them affects moe-opt. Hide
/// them from --help so that it lists moe-opt's, MLIR's and the passes'
/// options (MLIR registers its options only in registerAndParseCLIOptions,
/// after this runs); --help-hidden still lists everything.
static void hideLibraryOptions() {
  static constexpr llvm::StringLiteral keep[] = {
      "help", "help-list", "help-hidden", "help-list-hidden", "version",
      "color", "print-options", "print-all-options"};
  for (auto &entry : llvm::cl::getRegisteredOptions()) {
    llvm::cl::Option *option = entry.second;
    if (option->getOptionHiddenFlag() != llvm::cl::NotHidden ||
        llvm::is_contained(keep, entry.first()))
      continue;
    if (llvm::any_of(option->Categories, [](llvm::cl::OptionCategory *c) {
          return c->getName().starts_with("Moesaic");
        }))
      continue;
    option->setHiddenFlag(llvm::cl::Hidden);
  }
}

int moesaic::moeOptMain(int argc, char **argv, DialectRegistry &registry) {
  llvm::InitLLVM y(argc, argv);
  hideLibraryOptions();
  auto [inputFilename, outputFilename] = registerAndParseCLIOptions(
      argc, argv,
      "moe-opt: maps Mixture-of-Experts models onto multi-die hardware\n\n"
      "  moe-opt model.onnx --hw=edge-chiplet-16-mesh --strategy=fse-dp "
      "--report=-\n"
      "  moe-opt model.mlir --hw=wafer-8x8 "
      "--compare=er-mapping,wafer-baseline \\\n"
      "          --workload=batch=256,trace=zipf:1.2 --report=r.json "
      "--schedule=s.json\n"
      "  moe-opt --list-hw\n"
      "  moe-opt --list-strategies\n\n"
      "moe-opt's own options come last ('Moesaic options', 'Moesaic "
      "strategy options';\n"
      "docs/usage.md), the passes and strategy pipelines under 'Compiler "
      "passes to run'.\n"
      "--help-hidden adds LLVM's code generator options, which moe-opt does "
      "not use.\n",
      registry);

  if (listHw) {
    printPresets(llvm::outs());
    return 0;
  }
  // Strategies: --list-strategies.
  if (std::optional<int> rc = handleStrategyListing(llvm::outs()))
    return *rc;

  llvm::StringMap<llvm::cl::Option *> &registered =
      llvm::cl::getRegisteredOptions();
  auto given = [&](llvm::StringRef name) {
    auto it = registered.find(name);
    return it != registered.end() && it->second->getNumOccurrences() > 0;
  };
  // One clear error per problem: a pass's diagnostic on the module does not
  // dump the whole module unless the user asks for it.
  if (!given("mlir-print-op-on-diagnostic"))
    if (auto *flag = static_cast<llvm::cl::opt<bool> *>(
            registered.lookup("mlir-print-op-on-diagnostic")))
      flag->setValue(false);
  // LLVM lets the last of a repeated option win silently: `--hw=a ...
  // --hw=b` would compile for b. Moesaic's value options are given once.
  for (llvm::StringRef name :
       {"hw", "strategy", "compare", "workload", "report", "report-format",
        "schedule", "timeline", "runtime", "task-granularity"}) {
    llvm::cl::Option *opt = registered.lookup(name);
    if (opt && opt->getNumOccurrences() > 1) {
      llvm::WithColor::error(llvm::errs(), "moe-opt")
          << "--" << name << " is given " << opt->getNumOccurrences()
          << " times: give it once (the last would silently win)\n";
      return 1;
    }
  }
  if (given("hw") && hwOpt.empty()) {
    llvm::WithColor::error(llvm::errs(), "moe-opt")
        << "--hw is empty: give a preset name (--list-hw lists them) or the "
           "path of a hardware file\n";
    return 1;
  }
  // --pass-pipeline replaces the pipeline --hw starts, so the target would
  // be missing or another one (its own moe-attach-target).
  if (!hwOpt.empty() && given("pass-pipeline")) {
    llvm::WithColor::error(llvm::errs(), "moe-opt")
        << "--hw cannot be combined with --pass-pipeline (which replaces "
           "the pipeline --hw starts): begin the pipeline with "
           "moe-attach-target{hw=" << hwOpt << "} instead\n";
    return 1;
  }

  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();
  if (!hwOpt.empty()) {
    // Check the hardware up front so a bad file is one clear error.
    llvm::Expected<SystemModel> system = loadHardware(hwOpt);
    if (!system) {
      llvm::WithColor::error(llvm::errs(), "moe-opt")
          << llvm::toString(system.takeError()) << "\n";
      return 1;
    }
    MlirOptMainConfig base = config;
    std::string hw = hwOpt;
    config.setPassPipelineSetupFn([base, hw](PassManager &pm) {
      AttachTargetOptions options;
      options.hw = hw;
      pm.addPass(createAttachTarget(options));
      return base.setupPassPipeline(pm);
    });
  }

  // Strategies: --strategy/--compare append the evaluation to the pipeline.
  if (!setupStrategyEvaluation(config))
    return 1;

  if (!checkOutputPath("-o", outputFilename) ||
      !checkOutputsDistinct(outputFilename, {inputFilename, hwOpt}))
    return 1;
  // MLIR's own output flags: where MLIR cannot open the file it says so and
  // goes on (exit 0), so a missing directory is refused here, up front.
  for (auto [flag, path] :
       {std::pair<llvm::StringRef, llvm::StringRef>(
            "--log-actions-to", config.getDebugConfig().getLogActionsTo()),
        {"--mlir-generate-reproducer", config.getReproducerFilename()}})
    if (!path.empty() && !checkOutputPath(flag, path))
      return 1;

  // .onnx / .onnxtext inputs are imported into the moe dialect here.
  std::unique_ptr<llvm::MemoryBuffer> input =
      openModelInput(inputFilename, registry);
  if (!input)
    return 1;
  // Every output is built in memory and written by writeOutputFile
  // (atomically: a failed run leaves no partial file).
  std::string irText;
  llvm::raw_string_ostream irStream(irText);
  if (modelSummaryOpt) {
    if (int rc = printModelSummary(std::move(input), registry, irStream))
      return rc;
  } else if (failed(MlirOptMain(irStream, std::move(input), registry,
                                config))) {
    return 1;
  }
  irStream.flush();
  // A report (or schedule, or timeline) on stdout is what the user reads
  // there: the IR is printed too only when -o names where.
  bool irWanted = !strategyOutputOnStdout() || given("o");
  if (irWanted && outputFilename == "-" && strategyOutputOnStdout()) {
    llvm::WithColor::error(llvm::errs(), "moe-opt")
        << "-o - and a strategy output on stdout (--report=-, --schedule=- "
           "or --timeline=-) would interleave: write one of them to a file\n";
    return 1;
  }
  if (irWanted)
    if (int rc = writeOutputFile(outputFilename, [&](llvm::raw_ostream &os) {
          os << irText;
        }))
      return rc;
  if (modelSummaryOpt)
    return 0;
  // Strategies: --report, --schedule, --timeline (written the same way).
  return writeStrategyOutputs();
}
