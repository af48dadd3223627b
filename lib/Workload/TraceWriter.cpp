//===- TraceWriter.cpp - Gating traces to JSON, CSV and NumPy files --------===//

#include "moesaic/Workload/TraceFiles.h"

#include "llvm/Support/FileSystem.h"

#include <string>

using namespace moesaic;

void moesaic::writeTraceJSON(const GatingTrace &trace, llvm::raw_ostream &os) {
  // Streamed by hand: a json::Value of a large trace would cost far more
  // memory than the trace.
  os << "{\"steps\": [";
  for (int64_t s = 0; s < trace.steps; ++s) {
    os << (s ? ",\n  [" : "\n  [");
    for (size_t l = 0; l < trace.topK.size(); ++l) {
      os << (l ? ", [" : "[");
      for (int64_t t = 0; t < trace.batch; ++t) {
        os << (t ? ", [" : "[");
        const int32_t *e = trace.experts(s, l, t);
        for (int64_t i = 0; i < trace.topK[l]; ++i)
          os << (i ? ", " : "") << e[i];
        os << "]";
      }
      os << "]";
    }
    os << "]";
  }
  os << "\n]}\n";
}

void moesaic::writeTraceCSV(const GatingTrace &trace, llvm::raw_ostream &os) {
  os << "step,layer,token,expert\n";
  for (int64_t s = 0; s < trace.steps; ++s)
    for (size_t l = 0; l < trace.topK.size(); ++l)
      for (int64_t t = 0; t < trace.batch; ++t) {
        const int32_t *e = trace.experts(s, l, t);
        for (int64_t i = 0; i < trace.topK[l]; ++i)
          os << s << ',' << l << ',' << t << ',' << e[i] << '\n';
      }
}

llvm::Error moesaic::writeTraceNpy(const GatingTrace &trace,
                                   llvm::raw_ostream &os) {
  if (trace.topK.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "a trace without MoE layers has no .npy "
                                   "form");
  for (int64_t k : trace.topK)
    if (k != trace.topK[0])
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "layers with different top-k cannot be written as one .npy array "
          "(use JSON or CSV)");
  std::string header = "{'descr': '<i4', 'fortran_order': False, 'shape': (" +
                       std::to_string(trace.steps) + ", " +
                       std::to_string(trace.topK.size()) + ", " +
                       std::to_string(trace.batch) + ", " +
                       std::to_string(trace.topK[0]) + "), }";
  // Magic (6) + version (2) + length (2) + header + '\n', padded to 64.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  os << "\x93NUMPY";
  os << (char)1 << (char)0;
  os << (char)(header.size() & 0xff) << (char)(header.size() >> 8);
  os << header;
  for (int64_t s = 0; s < trace.steps; ++s)
    for (size_t l = 0; l < trace.topK.size(); ++l)
      for (int64_t t = 0; t < trace.batch; ++t) {
        const int32_t *e = trace.experts(s, l, t);
        for (int64_t i = 0; i < trace.topK[l]; ++i) {
          uint32_t u = (uint32_t)e[i];
          char b[4] = {(char)(u & 0xff), (char)((u >> 8) & 0xff),
                       (char)((u >> 16) & 0xff), (char)(u >> 24)};
          os.write(b, 4);
        }
      }
  return llvm::Error::success();
}

llvm::Error moesaic::writeTraceFile(const GatingTrace &trace,
                                    llvm::StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError(ec, "trace file '%s': cannot be written: %s",
                                   path.str().c_str(), ec.message().c_str());
  if (path.ends_with_insensitive(".json")) {
    writeTraceJSON(trace, os);
  } else if (path.ends_with_insensitive(".csv")) {
    writeTraceCSV(trace, os);
  } else if (path.ends_with_insensitive(".npy")) {
    if (llvm::Error e = writeTraceNpy(trace, os))
      return e;
  } else {
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "trace file '%s': unknown format (expected .json, .csv or .npy)",
        path.str().c_str());
  }
  return llvm::Error::success();
}
