//===- StreamBuffers.h - A layer's stream buffers as barrier tasks -*- C++ -*-===//
//
// Private to lib/FseDpRuntime: both stream emitters (fine and coarse) bracket
// a layer's streams on each chiplet by the same two barriers: one that
// allocates the chiplet's stream buffers when the layer may start there, and
// one that frees them after the last stream task that touched the chiplet.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_LIB_FSEDPRUNTIME_STREAMBUFFERS_H
#define MOESAIC_LIB_FSEDPRUNTIME_STREAMBUFFERS_H

#include "moesaic/Perf/TaskGraph.h"

#include <string>
#include <vector>

namespace moesaic::fsedp {

using perf::Task;
using perf::TaskGraph;
using perf::TaskId;
using perf::TaskKind;

/// The allocation barrier of each logical chiplet p (on device phys[p],
/// after ready[phys[p]]); `touched[p]` starts with it, and the emitter adds
/// every stream task that uses chiplet p.
struct StreamBuffers {
  std::vector<TaskId> start;
  std::vector<std::vector<TaskId>> touched;
};

inline StreamBuffers allocateStreamBuffers(TaskGraph &graph,
                                           const std::vector<unsigned> &phys,
                                           const std::vector<TaskId> &ready,
                                           int64_t bufferBytes,
                                           const std::string &label) {
  const unsigned n = phys.size();
  StreamBuffers buffers;
  buffers.start.resize(n);
  buffers.touched.resize(n);
  graph.setLabel(label);
  for (unsigned p = 0; p < n; ++p) {
    Task alloc;
    alloc.kind = TaskKind::Barrier;
    alloc.device = phys[p];
    alloc.allocBytes = bufferBytes;
    buffers.start[p] = graph.add(alloc, {ready[phys[p]]});
    buffers.touched[p].push_back(buffers.start[p]);
  }
  return buffers;
}

/// Frees each chiplet's buffers after everything in touched[p]; the
/// release becomes done[phys[p]]. Clears the graph's label.
inline void releaseStreamBuffers(TaskGraph &graph,
                                 const std::vector<unsigned> &phys,
                                 const StreamBuffers &buffers,
                                 int64_t bufferBytes, const std::string &label,
                                 std::vector<TaskId> &done) {
  graph.setLabel(label);
  for (unsigned p = 0; p < phys.size(); ++p) {
    Task release;
    release.kind = TaskKind::Barrier;
    release.device = phys[p];
    release.freeBytes = bufferBytes;
    done[phys[p]] = graph.add(release, buffers.touched[p]);
  }
  graph.clearLabel();
}

} // namespace moesaic::fsedp

#endif // MOESAIC_LIB_FSEDPRUNTIME_STREAMBUFFERS_H
