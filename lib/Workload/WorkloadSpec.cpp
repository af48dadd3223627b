//===- WorkloadSpec.cpp - Parsing and printing workload specs --------------===//
//
// Grammar (docs/workloads.md):  spec := item (',' item)*,  item := key '=' value
//   batch=N  steps=N  seed=N  context=N
//   trace=uniform | trace=zipf | trace=zipf:S | trace=PATH.{json,csv,npy}
//   skew=S  locality=P  layer_corr=P  drift=F
//
//===----------------------------------------------------------------------===//

#include "moesaic/Workload/Workload.h"
#include "moesaic/Support/NumberFormat.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace moesaic;
using llvm::StringRef;

namespace {

llvm::Error specError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "workload: " + msg.str());
}

llvm::Error parseInt(StringRef key, StringRef value, int64_t lo, int64_t hi,
                     int64_t &out) {
  int64_t v;
  if (value.getAsInteger(10, v))
    return specError("'" + key + "' expects an integer, got '" + value + "'");
  if (v < lo || v > hi)
    return specError("'" + key + "' must be in [" + llvm::Twine(lo) + ", " +
                     llvm::Twine(hi) + "], got " + llvm::Twine(v));
  out = v;
  return llvm::Error::success();
}

std::string shortest(double v) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format("%g", v);
  return s;
}

llvm::Error parseReal(StringRef key, StringRef value, double lo, double hi,
                      double &out) {
  double v;
  if (value.getAsDouble(v) || !std::isfinite(v))
    return specError("'" + key + "' expects a number, got '" + value + "'");
  if (v < lo || v > hi)
    return specError("'" + key + "' must be in [" + shortest(lo) + ", " +
                     shortest(hi) + "], got '" + value +
                     "'");
  out = v;
  return llvm::Error::success();
}

bool isTraceFile(StringRef v) {
  return v.ends_with_insensitive(".json") || v.ends_with_insensitive(".csv") ||
         v.ends_with_insensitive(".npy");
}

} // namespace

/// Sizes beyond these are refused as absurd before anything is allocated.
static constexpr int64_t kMaxBatch = 1 << 20, kMaxSteps = 1 << 20;
static constexpr double kMaxSkew = 16.0;

llvm::Expected<WorkloadSpec> moesaic::parseWorkloadSpec(StringRef spec) {
  WorkloadSpec out;
  spec = spec.trim();
  if (spec.empty())
    return out;
  llvm::SmallVector<StringRef> items;
  spec.split(items, ',');
  llvm::StringSet<> seen;
  for (StringRef item : items) {
    item = item.trim();
    if (item.empty())
      return specError("empty item in '" + spec + "'");
    auto [key, value] = item.split('=');
    key = key.trim();
    value = value.trim();
    if (!item.contains('='))
      return specError("'" + key + "' has no value (expected key=value)");
    if (value.empty())
      return specError("'" + key + "' has an empty value");
    if (!seen.insert(key).second)
      return specError("'" + key + "' is given twice");
    if (key == "batch") {
      if (auto e = parseInt(key, value, 1, kMaxBatch, out.batch))
        return std::move(e);
    } else if (key == "steps") {
      if (auto e = parseInt(key, value, 1, kMaxSteps, out.steps))
        return std::move(e);
    } else if (key == "context") {
      if (auto e = parseInt(key, value, 0, int64_t(1) << 40, out.context))
        return std::move(e);
    } else if (key == "seed") {
      if (value.getAsInteger(10, out.seed))
        return specError("'seed' expects a non-negative integer, got '" +
                         value + "'");
    } else if (key == "skew") {
      if (auto e = parseReal(key, value, 0, kMaxSkew, out.skew))
        return std::move(e);
    } else if (key == "locality") {
      if (auto e = parseReal(key, value, 0, 1, out.locality))
        return std::move(e);
    } else if (key == "layer_corr") {
      if (auto e = parseReal(key, value, 0, 1, out.layerCorrelation))
        return std::move(e);
    } else if (key == "drift") {
      if (auto e = parseReal(key, value, 0, 1, out.drift))
        return std::move(e);
    } else if (key == "trace") {
      if (value == "uniform") {
        out.trace = "uniform";
      } else if (value == "zipf" || value.starts_with("zipf:")) {
        out.trace = "zipf";
        if (value.consume_front("zipf:"))
          if (auto e = parseReal("trace=zipf:", value, 0, kMaxSkew, out.skew))
            return std::move(e);
      } else if (isTraceFile(value)) {
        out.trace = "file";
        out.path = value.str();
      } else {
        return specError("'trace' expects uniform, zipf, zipf:S or a file "
                         "ending in .json, .csv or .npy, got '" +
                         value + "'");
      }
    } else {
      return specError("unknown key '" + key +
                       "' (known: batch, steps, seed, context, trace, skew, "
                       "locality, layer_corr, drift)");
    }
  }
  return out;
}

std::string WorkloadSpec::str() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  // A trace file fixes the batch and the steps (makeTrace): only the
  // synthetic traces take them from the spec.
  if (trace == "file")
    os << "seed=" << seed << ",trace=" << path;
  else
    os << "batch=" << batch << ",steps=" << steps << ",seed=" << seed;
  if (trace == "zipf")
    os << ",trace=zipf:" << shortestRoundTrip(skew);
  else if (trace != "file")
    os << ",trace=" << trace;
  if (locality != 0)
    os << ",locality=" << shortestRoundTrip(locality);
  if (layerCorrelation != 0)
    os << ",layer_corr=" << shortestRoundTrip(layerCorrelation);
  if (drift != 0)
    os << ",drift=" << shortestRoundTrip(drift);
  if (context != 0)
    os << ",context=" << context;
  return s;
}

llvm::json::Object moesaic::workloadSummary(const WorkloadSpec &spec) {
  // The report contract (docs/strategies.md): batch_tokens, trace, seed, steps; the rest describes the
  // synthetic generator's knobs.
  std::string trace = spec.trace;
  if (spec.trace == "file")
    trace = spec.path;
  else if (spec.trace == "zipf")
    trace = "zipf:" + shortest(spec.skew);
  llvm::json::Object o{{"spec", spec.str()},
                       {"batch_tokens", spec.batch},
                       {"trace", trace},
                       {"seed", (int64_t)spec.seed},
                       {"steps", spec.steps},
                       {"locality", spec.locality},
                       {"layer_corr", spec.layerCorrelation},
                       {"drift", spec.drift},
                       {"context", spec.context > 0 ? spec.context : kDefaultContext}};
  if (spec.trace == "zipf")
    o["skew"] = spec.skew;
  return o;
}

llvm::json::Object moesaic::workloadSummary(const WorkloadSpec &spec,
                                            const GatingTrace &trace) {
  llvm::json::Object o = workloadSummary(spec);
  o["batch_tokens"] = trace.batch;
  o["steps"] = trace.steps;
  o["description"] = trace.description;
  return o;
}
