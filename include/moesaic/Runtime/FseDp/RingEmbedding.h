//===- RingEmbedding.h - FSE-DP virtualization rules ------------*- C++ -*-===//
//
// The logical-to-physical rules of expert streaming (docs/fse-dp.md,
// "Virtualization rules"). Chiplets are numbered 0..N-1 on a *logical ring*;
// every expert shard travels only between logical neighbours, so a hardware
// controller needs nothing but "my logical successor / predecessor" links:
//
//   V1 (ring embedding): logical position p sits on physical chiplet
//      logicalToPhysical[p]; positions p and p+1 (mod N) are joined by a
//      physical link in both directions. On a ring topology the order is the
//      declared member order ("ring"); on an R x C mesh it is the
//      boustrophedon Hamiltonian cycle ("snake": row 0 left to right, rows
//      1..R-1 snaking over columns 1..C-1, back up column 0; transposed when
//      R is odd and C even). Meshes with R and C both odd have no Hamiltonian
//      cycle and are refused.
//   V2 (shard homes): shard s of every expert lives in the DRAM of logical
//      position s (one slice per chiplet, so all channels share the load).
//   V3 (arcs): an expert's stream covers one contiguous logical arc
//      [start, start+len] holding every chiplet with tokens for it; shards
//      inside the arc fork into a clockwise and a counter-clockwise stream,
//      shards outside enter the arc at its nearer end (ties by a parity bit)
//      and cross all of it. A controller stores (start, len, parity) per
//      expert: three small integers.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_FSEDP_RINGEMBEDDING_H
#define MOESAIC_RUNTIME_FSEDP_RINGEMBEDDING_H

#include "moesaic/Target/SystemModel.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace moesaic::fsedp {

struct RingEmbedding {
  /// "ring" or "snake" (V1), or "explicit" when given by a schedule.
  std::string rule;
  /// Physical device index (SystemModel) of each logical position.
  std::vector<unsigned> logicalToPhysical;
  /// Inverse: logical position of each SystemModel device, -1 if none.
  std::vector<int> physicalToLogical;

  unsigned size() const { return logicalToPhysical.size(); }
  unsigned next(unsigned p) const { return p + 1 == size() ? 0 : p + 1; }
  unsigned prev(unsigned p) const { return p == 0 ? size() - 1 : p - 1; }
};

/// Applies rule V1 to `system` (a chiplet system). Errors name the reason
/// (no accelerators, odd x odd mesh, topology without a ring).
llvm::Expected<RingEmbedding> embedRing(const SystemModel &system);

/// Checks that `order` is a valid V1 embedding on `system`: a permutation of
/// the accelerator devices whose logical neighbours are physical neighbours
/// in both directions. Returns "" when valid, otherwise the first violation.
std::string verifyRing(const SystemModel &system,
                       const std::vector<unsigned> &order);

/// Builds the embedding for an explicit order (e.g. read from a schedule),
/// verifying it first.
llvm::Expected<RingEmbedding> makeRing(const SystemModel &system,
                                       std::vector<unsigned> order,
                                       std::string rule);

} // namespace moesaic::fsedp

#endif // MOESAIC_RUNTIME_FSEDP_RINGEMBEDDING_H
