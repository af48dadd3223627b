//===- FseDpAblation.h - one fse-dp schedule knob, side by side -*- C++ -*-===//
//
// Lowers every chiplet model of bench/fse_dp_compare.py with the fse-dp
// pipeline once per preset, then evaluates the same schedule twice per
// batch and trace with one "stream_schedule" key of every layer set to a
// baseline value and to the rule's value (same decisions otherwise, same
// trace), and prints one row per configuration: both latencies per decode
// step, their ratio and each one's ratio to the lower bound. Summary:
// geomean and range of rule / baseline, and a BENCH figure (the rule must
// not be slower: target <= 1). Used by fse_dp_loads.cpp (rule V5) and
// fse_dp_holders.cpp (rule V6).
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_BENCH_FSEDPABLATION_H
#define MOESAIC_BENCH_FSEDPABLATION_H

#include "LowerForBench.h"

#include "moesaic/Driver/Evaluate.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace moesaic::bench {
/// latency_us and lower_bound_us of one evaluation, or an error.
struct Figures {
  double latencyUs = 0, boundUs = 0;
  std::string error;
};

inline Figures evaluate(const bench::Lowered &lowered, llvm::StringRef key,
                        llvm::StringRef value, const WorkloadSpec &spec,
                        const GatingTrace &trace) {
  llvm::json::Object schedule = lowered.schedule;
  if (llvm::json::Array *layers = schedule.getArray("layers"))
    for (llvm::json::Value &v : *layers)
      if (llvm::json::Object *o = v.getAsObject())
        if (llvm::json::Object *sc = o->getObject("stream_schedule"))
          (*sc)[key] = value;
  llvm::Expected<StrategyOutcome> out =
      evaluateSchedule(std::move(schedule), lowered.system, lowered.model,
                       spec, trace, /*recordTimeline=*/false);
  Figures f;
  if (!out) {
    f.error = llvm::toString(out.takeError());
    return f;
  }
  f.latencyUs = out->result.getNumber("latency_us").value_or(0);
  f.boundUs = out->result.getNumber("lower_bound_us").value_or(0);
  return f;
}
/// The knob `key` of stream_schedule: `base` against `rule`.
struct Ablation {
  const char *key, *base, *rule;
  const char *benchName, *figure;
};

inline int runAblation(const Ablation &a) {
  registerAllPasses(); // registers the strategies and their runtimes
  const std::vector<std::string> models = {"mixtral-8x7b", "qwen3-30b-a3b",
                                           "olmoe-1b-7b", "deepseek-v2-lite",
                                           "phi-3.5-moe"};
  const std::vector<std::string> presets = {
      "edge-chiplet-4", "edge-chiplet-8-mesh", "edge-chiplet-16-mesh"};
  const std::vector<int64_t> batches = {1, 4, 16};
  const std::vector<std::string> traces = {"uniform", "zipf:1.2"};
  std::string baseMs = std::string(a.base) + " ms",
              ruleMs = std::string(a.rule) + " ms";
  std::printf("%-17s %-21s %3s %-9s %14s %14s %10s %11s %11s\n", "model",
              "hw", "B", "trace", baseMs.c_str(), ruleMs.c_str(), "rule/base",
              "base/bound", "rule/bound");
  double logSum = 0, lo = 1e9, hi = 0;
  int rows = 0;
  for (const std::string &name : models) {
    auto buffer = llvm::MemoryBuffer::getFile(MOESAIC_SOURCE_DIR
                                              "/examples/" + name + ".mlir");
    if (!buffer) {
      std::fprintf(stderr, "cannot read examples/%s.mlir\n", name.c_str());
      return 1;
    }
    for (const std::string &hw : presets) {
      bench::Lowered lowered = bench::lowerForBench(
          (*buffer)->getBuffer().str(), hw, "fse-dp", /*batch=*/1,
          /*steps=*/1);
      if (!lowered.error.empty()) {
        std::fprintf(stderr, "%s on %s: %s\n", name.c_str(), hw.c_str(),
                     lowered.error.c_str());
        return 1;
      }
      for (int64_t batch : batches)
        for (const std::string &traceName : traces) {
          llvm::Expected<WorkloadSpec> spec = parseWorkloadSpec(
              "batch=" + std::to_string(batch) + ",trace=" + traceName +
              ",seed=0,steps=1");
          llvm::Expected<GatingTrace> trace =
              spec ? makeTrace(*spec, lowered.model)
                   : llvm::Expected<GatingTrace>(spec.takeError());
          if (!trace) {
            std::fprintf(stderr, "%s\n",
                         llvm::toString(trace.takeError()).c_str());
            return 1;
          }
          Figures seq = evaluate(lowered, a.key, a.base, *spec, *trace);
          Figures inter = evaluate(lowered, a.key, a.rule, *spec, *trace);
          if (!seq.error.empty() || !inter.error.empty()) {
            std::fprintf(stderr, "%s on %s: %s%s\n", name.c_str(),
                         hw.c_str(), seq.error.c_str(), inter.error.c_str());
            return 1;
          }
          double ratio = inter.latencyUs / seq.latencyUs;
          logSum += std::log(ratio);
          lo = std::min(lo, ratio);
          hi = std::max(hi, ratio);
          ++rows;
          std::printf("%-17s %-21s %3lld %-9s %14.2f %14.2f %10.3f %11.2f "
                      "%11.2f\n",
                      name.c_str(), hw.c_str(), (long long)batch,
                      traceName.c_str(), seq.latencyUs / 1e3,
                      inter.latencyUs / 1e3, ratio,
                      seq.latencyUs / seq.boundUs,
                      inter.latencyUs / inter.boundUs);
        }
    }
  }
  double geomean = std::exp(logSum / rows);
  std::printf("%s %s / %s latency over %d rows: geomean %.3f, min %.3f, "
              "max %.3f\n",
              a.key, a.rule, a.base, rows, geomean, lo, hi);
  std::printf("BENCH {\"bench\": \"%s\", \"name\": \"%s\", \"value\": "
              "%.6f, \"unit\": \"x\", \"target\": 1, \"better\": "
              "\"lower\"}\n",
              a.benchName, a.figure, geomean);
  return 0;
}

} // namespace moesaic::bench

#endif // MOESAIC_BENCH_FSEDPABLATION_H
