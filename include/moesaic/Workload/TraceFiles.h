//===- TraceFiles.h - Writing gating traces to files ------------*- C++ -*-===//
//
// The inverse of makeTrace's file loading (Workload.h): writes a trace as
// JSON, CSV or NumPy .npy (chosen by the extension), in exactly the formats
// docs/workloads.md describes, so a synthetic trace can be saved, edited and
// replayed with trace=PATH.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_WORKLOAD_TRACEFILES_H
#define MOESAIC_WORKLOAD_TRACEFILES_H

#include "moesaic/Workload/Workload.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace moesaic {

/// {"steps": [[[[e, ...] per token] per layer] per step]}.
void writeTraceJSON(const GatingTrace &trace, llvm::raw_ostream &os);
/// "step,layer,token,expert" header, then one row per choice.
void writeTraceCSV(const GatingTrace &trace, llvm::raw_ostream &os);
/// int32 little-endian C-order [steps, layers, batch, top_k]; fails when
/// the layers' top-k differ (the array would not be rectangular).
llvm::Error writeTraceNpy(const GatingTrace &trace, llvm::raw_ostream &os);

/// Writes `trace` to `path` in the format its extension names.
llvm::Error writeTraceFile(const GatingTrace &trace, llvm::StringRef path);

} // namespace moesaic

#endif // MOESAIC_WORKLOAD_TRACEFILES_H
