//===- WaferLayout.h - Where attention rings and experts sit on a wafer -*- C++ -*-===//
//
// The static half of a wafer schedule: the attention tensor-parallel rings,
// the token domains the MoE all-to-all is confined to, and the die of every
// expert unit. Built by ER-Mapping or by the row-major baseline
// (ERMapping.h), checked by `validate`, and carried in the schedule JSON.
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_WAFER_WAFERLAYOUT_H
#define MOESAIC_RUNTIME_WAFER_WAFERLAYOUT_H

#include "moesaic/Model/ModelDesc.h"
#include "moesaic/Target/SystemModel.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moesaic::wafer {

/// How a token reaches the dies of its experts.
///  - Owner: after a reduce-scatter each token has one owner in its ring; the
///    owner sends it to every expert die and receives the results, then an
///    all-gather re-replicates the layer output (1 all-reduce per layer).
///  - Domain: every ring member keeps every token of its ring (all-reduce);
///    an expert die receives the token from the ring member in its own token
///    domain and returns the partial result there; a second all-reduce sums
///    the partial results (2 all-reduces per layer).
enum class Dispatch { Owner, Domain };
const char *toString(Dispatch d);

struct WaferLayout {
  /// Attention tensor-parallel rings (device indices, in ring order).
  std::vector<std::vector<unsigned>> rings;
  /// Token domains: disjoint sets of dies covering the mesh, each holding
  /// exactly one member of every ring (Domain dispatch), or one domain with
  /// every die (Owner dispatch).
  std::vector<std::vector<unsigned>> domains;
  Dispatch dispatch = Dispatch::Owner;
  /// Dies per expert (tensor-split FFN slices) when experts < dies.
  int64_t shards = 1;
  /// Expert units a die holds.
  int64_t unitsPerDie = 1;
  /// unitDie[e * shards + s]: the die of shard s of expert e.
  std::vector<unsigned> unitDie;

  int64_t numExperts() const { return (int64_t)unitDie.size() / shards; }
  unsigned dieOf(int64_t expert, int64_t shard) const {
    return unitDie[expert * shards + shard];
  }
  /// Ring of each die and the domain of each die (-1: none).
  std::vector<int> ringOfDie(unsigned numDevices) const;
  std::vector<int> domainOfDie(unsigned numDevices) const;
  /// member[ring][domain]: the ring's die in that domain (Domain dispatch).
  std::vector<std::vector<unsigned>> ringMemberInDomain(unsigned numDevices) const;

  llvm::json::Object toJSON() const;
};

llvm::Expected<WaferLayout> layoutFromJSON(const llvm::json::Object &obj);

/// Checks the layout against the system: rings partition the accelerator
/// dies, domains partition them and hold one member of every ring (Domain
/// dispatch), every die holds at most `unitsPerDie` units and at least one.
/// Returns an empty string or the first problem.
std::string validate(const WaferLayout &layout, const SystemModel &system);

/// Shape facts every wafer strategy derives the same way.
struct WaferShape {
  int64_t dies = 0;
  int64_t ringSize = 1;      ///< g: attention tensor-parallel ring size.
  int64_t shards = 1;        ///< Dies per expert.
  int64_t unitsPerDie = 1;   ///< Expert units per die.
  double bytesPerDie = 0;    ///< Weights a die holds.
};

/// Default attention ring size when the weights allow it.
constexpr int64_t kDefaultRingSize = 8;

/// Chooses the ring size (the smallest power of two >= kDefaultRingSize
/// (or the dies) that divides the dies and lets every die hold its share of
/// the weights; `ringSize` > 0 forces it) and the expert split. Errors name the model, the system and the
/// reason (too few dies for the weights, experts that do not split evenly).
llvm::Expected<WaferShape> chooseShape(const ModelDesc &model,
                                       const SystemModel &system,
                                       int64_t ringSize = 0);

} // namespace moesaic::wafer

#endif
