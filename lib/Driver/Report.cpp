//===- Report.cpp - The cost report: JSON, text, files of a sink ----------===//

#include "moesaic/Driver/Evaluate.h"
#include "moesaic/Perf/Timeline.h"
#include "moesaic/Target/HardwareFile.h"

#include "moesaic/Support/NumberFormat.h"
#include "moesaic/Support/JsonIntegers.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace moesaic;

llvm::json::Object
moesaic::buildReport(const ModelDesc &model, const SystemModel &system,
                     const WorkloadSpec &workload, const GatingTrace &trace,
                     const std::vector<StrategyOutcome> &outcomes) {
  // The batch and steps the trace really has (a file fixes them).
  llvm::json::Object workloadEntry = workloadSummary(workload, trace);
  llvm::json::Array results;
  llvm::json::Object speedup;
  double base = 0;
  for (const StrategyOutcome &o : outcomes) {
    results.push_back(llvm::json::Object(o.result));
    double latency = o.result.getNumber("latency_us").value_or(0);
    if (base == 0)
      base = latency;
    speedup[o.strategy] = latency > 0 ? base / latency : 0.0;
  }
  return llvm::json::Object{{"schema", "moesaic.report/1"},
                            {"model", modelSummary(model)},
                            {"hardware", hardwareSummary(system)},
                            {"workload", std::move(workloadEntry)},
                            {"results", std::move(results)},
                            {"speedup", std::move(speedup)}};
}

std::string moesaic::reportText(const llvm::json::Object &report) {
  std::string text;
  llvm::raw_string_ostream os(text);
  const llvm::json::Object *model = report.getObject("model");
  const llvm::json::Object *hw = report.getObject("hardware");
  const llvm::json::Object *wl = report.getObject("workload");
  os << "model:    " << (model ? model->getString("name").value_or("?") : "?")
     << "\n";
  if (hw) {
    int64_t n = jsonInteger(*hw, "num_devices").value_or(0);
    os << "hardware: " << hw->getString("name").value_or("?") << " ("
       << hw->getString("kind").value_or("?") << ", " << n
       << (n == 1 ? " device" : " devices");
    if (int64_t units = jsonInteger(*hw, "num_ndp_units").value_or(0))
      os << ", " << units << (units == 1 ? " NDP unit" : " NDP units");
    os << ")\n";
  }
  // GPU systems report VRAM in the memory column (EvaluateSchedule.cpp).
  llvm::StringRef kind = hw ? hw->getString("kind").value_or("") : "";
  bool gpuSystem = kind == "gpu-ndp" || kind == "gpu-cluster";
  if (wl)
    os << "workload: " << wl->getString("spec").value_or("") << "\n";
  os << "\n";
  // The first column is as wide as the longest strategy (with options).
  size_t width = 14;
  if (const llvm::json::Array *results = report.getArray("results"))
    for (const llvm::json::Value &v : *results)
      if (const llvm::json::Object *r = v.getAsObject())
        width = std::max(width,
                         r->getString("strategy").value_or("").size());
  auto column = [&](llvm::StringRef s) { return llvm::left_justify(s, width); };
  os << llvm::formatv("{0} {1,12} {2,12} {3,12} {4,7} {5,12} {6,12} "
                      "{7,12} {8,12} {9,8}\n",
                      column("strategy"), "latency_us", "moe_us", "bound_us",
                      "x_bound", "analytic_us", "comm", "offchip",
                      gpuSystem ? "peak_vram" : "peak_onchip", "speedup");
  const llvm::json::Object *speedup = report.getObject("speedup");
  if (const llvm::json::Array *results = report.getArray("results"))
    for (const llvm::json::Value &v : *results) {
      const llvm::json::Object *r = v.getAsObject();
      if (!r)
        continue;
      llvm::StringRef name = r->getString("strategy").value_or("?");
      os << llvm::formatv(
          "{0} {1,12:F2} {2,12:F2} {3,12:F2} {4,7:F2} {5,12:F2} {6,12} "
          "{7,12} {8,12} {9,8:F2}\n",
          column(name), r->getNumber("latency_us").value_or(0),
          r->getNumber("moe_latency_us").value_or(0),
          r->getNumber("lower_bound_us").value_or(0),
          r->getNumber("bound_ratio").value_or(0),
          r->getNumber("analytic_latency_us").value_or(0),
          humanBytes(r->getNumber("comm_bytes").value_or(0)),
          humanBytes(r->getNumber("offchip_bytes").value_or(0)),
          humanBytes(r->getNumber("peak_onchip_bytes").value_or(0)),
          speedup ? speedup->getNumber(name).value_or(0) : 0.0);
    }
  // Each kind of note for every strategy, then the next kind.
  const std::pair<const char *, const char *> notes[] = {
      {"analytic_note", "analytic vs simulated"}, {"memory_note", "memory"}};
  if (const llvm::json::Array *results = report.getArray("results"))
    for (auto [key, what] : notes)
      for (const llvm::json::Value &v : *results)
        if (const llvm::json::Object *r = v.getAsObject())
          if (auto note = r->getString(key))
            os << "note (" << r->getString("strategy").value_or("?") << ", "
               << what << "): " << *note << "\n";
  // Wafer strategies: what their balancer moved and what that cost.
  if (const llvm::json::Array *results = report.getArray("results"))
    for (const llvm::json::Value &v : *results) {
      const llvm::json::Object *r = v.getAsObject();
      const llvm::json::Object *w = r ? r->getObject("wafer") : nullptr;
      if (!w || jsonInteger(*w, "migration_moves").value_or(0) == 0)
        continue;
      os << llvm::formatv(
          "note ({0}, migration): {1} moves decided, {2} copied ({3}); "
          "{4:F2} us per step exposed",
          r->getString("strategy").value_or("?"),
          jsonInteger(*w, "migration_moves").value_or(0),
          humanBytes(w->getNumber("migration_bytes").value_or(0)),
          w->getString("staging").value_or("") == "non-invasive"
              ? llvm::formatv("{0} chunks staged, {1} forced past the horizon",
                              jsonInteger(*w, "migration_chunks_hidden")
                                  .value_or(0),
                              jsonInteger(*w, "migration_chunks_flushed")
                                  .value_or(0))
                    .str()
              : std::string("stop-the-world"),
          r->getNumber("migration_exposed_us").value_or(0));
      if (int64_t pending = jsonInteger(*w, "migration_moves_pending")
                                .value_or(0))
        os << "; " << pending << " moves still pending at the end (not in "
           << "these figures)";
      os << "\n";
    }
  return text;
}

llvm::json::Value EvaluationSink::scheduleJSON() const {
  if (outcomes.size() == 1)
    return llvm::json::Object(outcomes.front().schedule);
  llvm::json::Array all;
  for (const StrategyOutcome &o : outcomes)
    all.push_back(llvm::json::Object(o.schedule));
  return llvm::json::Object{{"schema", "moesaic.schedules/1"},
                            {"schedules", std::move(all)}};
}

void EvaluationSink::writeTimeline(llvm::raw_ostream &os) const {
  std::vector<std::pair<std::string, const perf::Timeline *>> timelines;
  for (const StrategyOutcome &o : outcomes)
    if (o.timeline)
      timelines.push_back({o.strategy, o.timeline.get()});
  perf::Timeline::write(os, timelines);
}
