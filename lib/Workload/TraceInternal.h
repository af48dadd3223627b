//===- TraceInternal.h - Shared pieces of the trace builders ----*- C++ -*-===//

#ifndef MOESAIC_LIB_WORKLOAD_TRACEINTERNAL_H
#define MOESAIC_LIB_WORKLOAD_TRACEINTERNAL_H

#include "moesaic/Workload/Workload.h"

namespace moesaic::workload {

/// Largest trace we allocate: steps x batch x sum(top-k) expert ids.
constexpr int64_t kMaxTraceEntries = int64_t(1) << 28;

/// Refuses a trace of this shape when it is absurd (more than
/// kMaxTraceEntries ids) before anything is allocated. `what` names the
/// source (the spec or the file).
llvm::Error checkTraceSize(llvm::StringRef what, int64_t steps, int64_t batch,
                           const std::vector<int64_t> &topK);

llvm::Expected<GatingTrace> makeSyntheticTrace(const WorkloadSpec &spec,
                                               const ModelDesc &model);
llvm::Expected<GatingTrace> readTraceFile(llvm::StringRef path,
                                          const ModelDesc &model);
/// The same from bytes already read: `path` names them in errors and its
/// extension chooses the format (the trace-file fuzzer's entry point).
llvm::Expected<GatingTrace> readTraceBuffer(llvm::StringRef path,
                                            llvm::StringRef data,
                                            const ModelDesc &model);

} // namespace moesaic::workload

#endif // MOESAIC_LIB_WORKLOAD_TRACEINTERNAL_H
