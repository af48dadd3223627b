//===- TraceFileFuzzer.cpp - Fuzz the gating-trace file readers -----------===//
//
// bytes -> readTraceBuffer as JSON, CSV or NumPy .npy (docs/workloads.md,
// "Trace files") against one of a few model shapes. Any trace a reader
// accepts must hold only expert ids in range, distinct per token, at least
// one step and one token, and must read back the same after writeTrace*
// in each format that can hold it. The first input byte picks the format
// and the model; the rest is the file.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "../../lib/Workload/TraceInternal.h"
#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Workload/TraceFiles.h"

#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace moesaic;

namespace {

/// MoE layers as (experts, top-k): one small layer, two layers with
/// different top-k (no .npy form), three wide layers.
ModelDesc modelOf(unsigned pick) {
  static const std::vector<std::vector<std::pair<int64_t, int64_t>>> shapes =
      {{{4, 2}}, {{8, 2}, {4, 1}}, {{64, 8}, {64, 8}, {64, 8}}};
  ModelDesc model;
  model.name = "fuzz";
  int64_t index = 0;
  for (auto [experts, topK] : shapes[pick % shapes.size()]) {
    MoeLayerDesc layer;
    layer.index = index++;
    layer.numExperts = experts;
    layer.topK = topK;
    model.moeLayers.push_back(layer);
  }
  model.numLayers = index;
  return model;
}


} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  static const char *const names[] = {"fuzz.json", "fuzz.csv", "fuzz.npy"};
  const char *name = names[data[0] % 3];
  ModelDesc model = modelOf(data[0] / 3);
  llvm::StringRef bytes(reinterpret_cast<const char *>(data) + 1, size - 1);
  llvm::Expected<GatingTrace> trace =
      workload::readTraceBuffer(name, bytes, model);
  if (!trace) {
    std::string message = llvm::toString(trace.takeError());
    fuzz::fuzzInvariant(message.find(name) != std::string::npos,
                        "a trace-file error does not name the file");
    return 0;
  }

  // What an accepted trace holds.
  fuzz::fuzzInvariant(trace->steps >= 1 && trace->batch >= 1,
                      "an accepted trace has no step or no token");
  fuzz::fuzzInvariant(trace->topK.size() == model.moeLayers.size(),
                      "an accepted trace has another number of layers");
  for (int64_t s = 0; s < trace->steps; ++s)
    for (size_t l = 0; l < trace->topK.size(); ++l)
      for (int64_t t = 0; t < trace->batch; ++t) {
        const int32_t *e = trace->experts(s, l, t);
        std::vector<int32_t> ids(e, e + trace->topK[l]);
        for (int32_t id : ids)
          fuzz::fuzzInvariant(id >= 0 && id < trace->numExperts[l],
                              "an accepted trace holds an expert out of range");
        std::sort(ids.begin(), ids.end());
        fuzz::fuzzInvariant(std::adjacent_find(ids.begin(), ids.end()) ==
                                ids.end(),
                            "an accepted trace picks an expert twice");
      }

  // It reads back the same from each format that can hold it.
  for (const char *format : names) {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvm::StringRef f(format);
    if (f.ends_with(".json")) {
      writeTraceJSON(*trace, os);
    } else if (f.ends_with(".csv")) {
      writeTraceCSV(*trace, os);
    } else if (llvm::Error e = writeTraceNpy(*trace, os)) {
      llvm::consumeError(std::move(e)); // top-k differ: no .npy form
      continue;
    }
    os.flush();
    llvm::Expected<GatingTrace> again =
        workload::readTraceBuffer(format, text, model);
    if (!again) {
      std::fprintf(stderr, "%s\n", llvm::toString(again.takeError()).c_str());
      fuzz::fail("the written form of an accepted trace does not read back");
    }
    fuzz::fuzzInvariant(trace->sameGating(*again),
                        "an accepted trace reads back different");
  }
  return 0;
}
