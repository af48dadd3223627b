//===- RouteTable.h - Routes of a finalized system, built on demand -*- C++ -*-===//
//
// Private to lib/Target. SystemModel::finalize() creates one RouteTable; the
// all-pairs routes are built one destination at a time, the first time a
// route towards that destination is asked for. A system of 4096 devices whose
// callers ask for a handful of routes (the loader, the verifiers, the
// fuzzers) no longer pays O(devices x links) time and 96 MiB up front, and a
// simulation that touches every destination pays exactly what the eager
// table cost.
//
// Rows are immutable once published; building one is serialised by a mutex
// and publication is an atomic pointer store, so concurrent readers (the
// multithreaded pass manager, the thread pool of --compare) see either no
// row or a complete one. Copies of a SystemModel share the table: a
// finalized model is immutable, so its routes are too.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_LIB_TARGET_ROUTETABLE_H
#define MOESAIC_LIB_TARGET_ROUTETABLE_H

#include "moesaic/Target/SystemModel.h"

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace moesaic {
namespace detail {

class RouteTable {
public:
  /// Everything routing needs from `system` (whose links and adjacency are
  /// expanded) is copied in; O(devices + links).
  explicit RouteTable(const SystemModel &system);
  ~RouteTable();

  /// The routes towards `dst`: next[at] is the first link from `at` towards
  /// dst (~0u: unreachable or at == dst), hops[at] the hop count (-1:
  /// unreachable).
  struct Row {
    std::vector<unsigned> next;
    std::vector<int16_t> hops;
  };
  const Row &row(unsigned dst) const {
    if (const Row *r = rows[dst].load(std::memory_order_acquire))
      return *r;
    return build(dst);
  }
  unsigned size() const { return n; }
  /// The device link `li` leads to (a dense copy: route walks chase it).
  unsigned linkDst(unsigned li) const { return dstOf[li]; }

private:
  const Row &build(unsigned dst) const;

  unsigned n;
  struct LinkEnds {
    unsigned src, dst;
    double latencyNs;
  };
  std::vector<LinkEnds> links;
  std::vector<unsigned> dstOf;
  /// Incoming links of each device, in link order (the reverse search).
  std::vector<std::vector<unsigned>> in;
  /// A mesh topology's members with their coordinates and their link one
  /// step east/west/south/north (~0u when none), for XY routing.
  struct MeshMember {
    unsigned device;
    int64_t row, col;
    std::array<unsigned, 4> step;
  };
  struct Mesh {
    std::vector<MeshMember> members;
    /// Index into members by device, -1 when not a member.
    std::vector<int> memberOf;
  };
  std::vector<Mesh> meshes;

  mutable std::unique_ptr<std::atomic<Row *>[]> rows;
  mutable std::mutex buildMutex;
};

} // namespace detail
} // namespace moesaic

#endif // MOESAIC_LIB_TARGET_ROUTETABLE_H
