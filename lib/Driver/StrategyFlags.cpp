//===- StrategyFlags.cpp - moe-opt's strategy and report flags ------------===//

#include "moesaic/Driver/StrategyFlags.h"
#include "moesaic/Driver/Evaluate.h"
#include "moesaic/Driver/OutputFiles.h"
#include "moesaic/Driver/Strategy.h"
#include "moesaic/Driver/StrategySpec.h"
#include "moesaic/InitAll.h"
#include "moesaic/Support/NumberFormat.h"
#include "moesaic/Support/InputChecks.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
using namespace moesaic;

namespace {
llvm::cl::OptionCategory strategyCategory("Moesaic strategy options");

llvm::cl::opt<std::string> strategyOpt(
    "strategy",
    llvm::cl::desc("Lower with the named strategy and evaluate it (see "
                   "--list-strategies); options for its passes in braces, "
                   "e.g. fse-dp{holders=single}"),
    llvm::cl::value_desc("name[{opt=value ...}]"),
    llvm::cl::cat(strategyCategory));
llvm::cl::opt<std::string> compareOpt(
    "compare",
    llvm::cl::desc("Evaluate several strategies side by side (comma "
                   "separated, each with its options if any: "
                   "fse-dp,fse-dp{holders=single},tp); speedups are "
                   "against the first"),
    llvm::cl::value_desc("s1,s2,..."), llvm::cl::cat(strategyCategory));
llvm::cl::opt<std::string> workloadOpt(
    "workload",
    llvm::cl::desc("Token batch and gating trace, e.g. "
                   "batch=8,trace=zipf:1.2,seed=0,steps=64 or "
                   "trace=path.{json,csv,npy} (default: "
                   "batch=1,steps=16,seed=0,trace=uniform; "
                   "docs/workloads.md)"),
    llvm::cl::value_desc("spec"), llvm::cl::cat(strategyCategory));
llvm::cl::opt<std::string> reportOpt(
    "report",
    llvm::cl::desc("Write the cost report ('-' for stdout; the IR then "
                   "needs -o <file>)"),
    llvm::cl::value_desc("path|-"), llvm::cl::cat(strategyCategory));
llvm::cl::opt<std::string> reportFormatOpt(
    "report-format",
    llvm::cl::desc("Report format: json (default) or text"),
    llvm::cl::init("json"), llvm::cl::value_desc("json|text"),
    llvm::cl::cat(strategyCategory));
llvm::cl::opt<std::string> scheduleOpt(
    "schedule",
    llvm::cl::desc("Write the schedule JSON ('-' for stdout; the IR then "
                   "needs -o <file>)"),
    llvm::cl::value_desc("path|-"), llvm::cl::cat(strategyCategory));
llvm::cl::opt<std::string> timelineOpt(
    "timeline",
    llvm::cl::desc("Write the simulated execution as Chrome/Perfetto trace "
                   "JSON ('-' for stdout; the IR then needs -o <file>)"),
    llvm::cl::value_desc("path|-"), llvm::cl::cat(strategyCategory));
llvm::cl::opt<std::string> runtimeOpt(
    "runtime",
    llvm::cl::desc("Where the simulated runtime takes its per-batch "
                   "decisions: direct (default: the strategy's runtime "
                   "scheduler) or "
                   "dataflow (the schedule's when/where program, run by the "
                   "dataflow interpreter; fse-dp, ndp-tp and er-mapping, "
                   "docs/dataflow.md)"),
    llvm::cl::init("direct"), llvm::cl::value_desc("direct|dataflow"),
    llvm::cl::cat(strategyCategory));
llvm::cl::opt<std::string> taskGranularityOpt(
    "task-granularity",
    llvm::cl::desc("Simulator tasks of runtimes that offer a choice (fse-dp): "
                   "fine (default: one per shard chunk transfer and "
                   "compute) or "
                   "coarse (each MoE layer as 6 pipelined waves of one "
                   "load per chiplet, one transfer per ring link and one "
                   "compute per holder; about 50x fewer tasks, latency "
                   "within a few percent, docs/fse-dp.md); the report's "
                   "results[].task_granularity says which ran"),
    llvm::cl::init("fine"), llvm::cl::value_desc("fine|coarse"),
    llvm::cl::cat(strategyCategory));
llvm::cl::opt<bool> listStrategiesOpt(
    "list-strategies",
    llvm::cl::desc("List the strategies (served system kinds, summary, "
                   "options with defaults) and exit"),
    llvm::cl::cat(strategyCategory));

/// Owned by the driver, filled by the evaluation pass.
EvaluationSink &sink() {
  static EvaluationSink s;
  return s;
}

/// A pass option's default as a user would type it: MLIR prints a double
/// option as 5.000000e-01; 0.5 reads better and parses the same.
std::string readableValue(llvm::StringRef value) {
  double d;
  if (!value.contains_insensitive("e") || value.getAsDouble(d))
    return value.str();
  return shortestRoundTrip(d);
}

bool fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "moe-opt") << message << "\n";
  return false;
}
} // namespace

std::optional<int> moesaic::handleStrategyListing(llvm::raw_ostream &os) {
  if (!listStrategiesOpt)
    return std::nullopt;
  registerAllPasses();
  // One line per strategy: name, served kinds, summary, then what
  // `name{key=value ...}` may set, with the defaults.
  for (const StrategyInfo &s : listStrategies()) {
    os << llvm::left_justify(s.name, 16) << " "
       << llvm::left_justify("[" + llvm::join(targetNames(s), ",") + "]", 32)
       << " " << s.summary;
    std::vector<StrategyOption> options = strategyOptions(s);
    if (!options.empty()) {
      os << " (options:";
      for (const StrategyOption &o : options)
        os << " " << o.name << "=" << readableValue(o.value);
      os << ")";
    }
    os << "\n";
  }
  return 0;
}

bool moesaic::setupStrategyEvaluation(MlirOptMainConfig &config) {
  // `--report=` and friends given empty would silently do nothing.
  if (strategyOpt.getNumOccurrences() && strategyOpt.empty())
    return fail("--strategy needs a strategy name (--list-strategies lists "
                "them)");
  if (compareOpt.getNumOccurrences() && compareOpt.empty())
    return fail("--compare needs a comma-separated list of strategies");
  for (auto *opt : {&reportOpt, &scheduleOpt, &timelineOpt})
    if (opt->getNumOccurrences() && opt->empty())
      return fail("--" + opt->ArgStr + " needs a path ('-' for stdout)");
  bool evaluating = !strategyOpt.empty() || !compareOpt.empty();
  if (!evaluating) {
    for (auto *opt : {&reportOpt, &scheduleOpt, &timelineOpt})
      if (!opt->empty())
        return fail("--" + opt->ArgStr + " needs --strategy or --compare");
    if (!workloadOpt.empty())
      return fail("--workload needs --strategy or --compare");
    if (runtimeOpt.getNumOccurrences())
      return fail("--runtime needs --strategy or --compare");
    if (taskGranularityOpt.getNumOccurrences())
      return fail("--task-granularity needs --strategy or --compare");
    return true;
  }
  if (!strategyOpt.empty() && !compareOpt.empty())
    return fail("--strategy and --compare are exclusive: list every "
                "strategy in --compare");
  // Each chunk of a split input is evaluated on its own, and the outputs
  // hold one run: every chunk's report would overwrite the one before.
  if (!config.inputSplitMarker().empty())
    for (auto *opt : {&reportOpt, &scheduleOpt, &timelineOpt})
      if (!opt->empty())
        return fail("--" + opt->ArgStr +
                    " holds one run's results and cannot be combined with "
                    "--split-input-file (each chunk is a run of its own): "
                    "evaluate the chunks one file at a time");
  if (reportFormatOpt != "json" && reportFormatOpt != "text")
    return fail("--report-format must be json or text, not '" +
                reportFormatOpt + "'");
  if (runtimeOpt != "direct" && runtimeOpt != "dataflow")
    return fail("--runtime must be direct or dataflow, not '" + runtimeOpt +
                "'");
  if (taskGranularityOpt != "fine" && taskGranularityOpt != "coarse")
    return fail("--task-granularity must be fine or coarse, not '" +
                taskGranularityOpt + "'");
  registerAllPasses();
  EvaluateOptions options;
  options.runtime = runtimeOpt;
  options.taskGranularity = taskGranularityOpt;
  // The when/where programs are only read through the schedule JSON (and
  // by --runtime=dataflow): without --schedule they are not built
  // (docs/dataflow.md), so the lowered IR printed by -o lacks them too.
  options.dataflowPrograms = !scheduleOpt.empty();
  if (!strategyOpt.empty()) {
    options.strategies.push_back(strategyOpt);
    options.lowerInPlace = true;
  } else {
    for (std::string &s : splitStrategyList(compareOpt)) {
      if (s.empty())
        return fail("--compare '" + compareOpt +
                    "' has an empty item (a stray comma)");
      options.strategies.push_back(std::move(s));
    }
    if (options.strategies.empty())
      return fail("--compare needs at least one strategy");
  }
  llvm::StringSet<> seen;
  for (std::string &text : options.strategies) {
    llvm::Expected<StrategySpec> spec = parseStrategySpec(text);
    if (!spec)
      return fail(llvm::toString(spec.takeError()));
    text = spec->text;
    // The report keys speedups by strategy (with its options): each
    // appears once.
    if (!seen.insert(text).second)
      return fail("--compare lists '" + text + "' twice");
  }
  llvm::Expected<WorkloadSpec> spec = parseWorkloadSpec(workloadOpt);
  if (!spec)
    return fail("--workload '" + workloadOpt +
                "': " + llvm::toString(spec.takeError()));
  options.workload = *spec;
  options.recordTimeline = !timelineOpt.empty();
  // Unwritable outputs fail now, not after the evaluation.
  for (auto *opt : {&reportOpt, &scheduleOpt, &timelineOpt})
    if (!opt->empty() && !checkOutputPath("--" + opt->ArgStr.str(), *opt))
      return false;

  MlirOptMainConfig base = config;
  std::function<LogicalResult(PassManager &)> previous =
      [base](PassManager &pm) { return base.setupPassPipeline(pm); };
  config.setPassPipelineSetupFn([previous, options](PassManager &pm) {
    if (failed(previous(pm)))
      return failure();
    pm.addPass(createEvaluateStrategiesPass(options, &sink()));
    return success();
  });
  return true;
}

/// One key per file however the path is spelled: the real path of the
/// file when it exists (symlinks resolved), else of its directory plus its
/// name; the path as given when neither resolves.
static std::string fileKey(llvm::StringRef path) {
  llvm::SmallString<256> real;
  if (!llvm::sys::fs::real_path(path, real))
    return real.str().str();
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  if (!llvm::sys::fs::real_path(dir.empty() ? "." : dir, real)) {
    llvm::sys::path::append(real, llvm::sys::path::filename(path));
    return real.str().str();
  }
  return path.str();
}

bool moesaic::checkOutputsDistinct(llvm::StringRef irPath,
                                   llvm::ArrayRef<llvm::StringRef> inputs) {
  // Two outputs to one file: the last writer would silently win. A device
  // such as /dev/null keeps nothing to lose: -o /dev/null --report=/dev/null
  // is how scripts time a run.
  auto shared = [](llvm::StringRef path) {
    return path == "-" || notARegularFile(path).has_value();
  };
  const char *onStdout = nullptr;
  for (auto *opt : {&reportOpt, &scheduleOpt, &timelineOpt})
    if (*opt == "-") {
      if (onStdout)
        return fail(std::string("--") + onStdout + "=- and --" +
                    opt->ArgStr + "=- would both write to stdout, one "
                    "document after the other: write one of them to a file");
      onStdout = opt->ArgStr.data();
    }
  llvm::StringMap<std::string> byPath;
  auto claim = [&](llvm::StringRef path, std::string flag) {
    auto [it, fresh] = byPath.try_emplace(fileKey(path), flag);
    if (fresh)
      return true;
    if (llvm::StringRef(it->second).starts_with("the input"))
      return fail(flag + " '" + path.str() + "' would overwrite " +
                  it->second);
    return fail(it->second + " and " + flag + " both write '" + path.str() +
                "'");
  };
  // -o may rewrite the input in place (the IR is written once complete);
  // a report, schedule or timeline over an input is a mistake.
  if (!shared(irPath) && !claim(irPath, "-o"))
    return false;
  for (llvm::StringRef input : inputs)
    if (!input.empty() && input != "-" && llvm::sys::fs::exists(input) &&
        !shared(input))
      byPath.try_emplace(fileKey(input), "the input '" + input.str() + "'");
  for (auto *opt : {&reportOpt, &scheduleOpt, &timelineOpt})
    if (!opt->empty() && !shared(*opt) &&
        !claim(*opt, "--" + opt->ArgStr.str()))
      return false;
  return true;
}

bool moesaic::strategyOutputOnStdout() {
  return reportOpt == "-" || scheduleOpt == "-" || timelineOpt == "-";
}

int moesaic::writeStrategyOutputs() {
  EvaluationSink &s = sink();
  if (!s.done)
    return 0;
  if (!reportOpt.empty()) {
    bool text = reportFormatOpt == "text";
    if (int rc = writeOutputFile(reportOpt, [&](llvm::raw_ostream &os) {
          if (text)
            os << reportText(s.report);
          else
            os << llvm::formatv("{0:2}", llvm::json::Value(
                                             llvm::json::Object(s.report)))
               << "\n";
        }))
      return rc;
  }
  if (!scheduleOpt.empty())
    if (int rc = writeOutputFile(scheduleOpt, [&](llvm::raw_ostream &os) {
          os << llvm::formatv("{0:2}", s.scheduleJSON()) << "\n";
        }))
      return rc;
  if (!timelineOpt.empty())
    if (int rc = writeOutputFile(timelineOpt, [&](llvm::raw_ostream &os) {
          s.writeTimeline(os);
          os << "\n";
        }))
      return rc;
  return 0;
}
