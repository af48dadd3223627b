//===- Balancer.h - GPU/NDP load balancing of one MoE layer -----*- C++ -*-===//
//
// ndp-tp's per-batch scheduler. Each activated expert is cut into
// `granularity` slices along its FFN dimension; a slice computed on the NDP
// side is itself split across every NDP unit in the static tensor-parallel
// proportions (each unit reads the rows its DIMM holds), so the units stay
// balanced whatever the routing. Slices of experts resident in VRAM may run
// on the GPU instead. The balancer bin-packs slices onto the two sides
// (largest first, each to the side that would finish first) so that the GPU
// and the NDP units finish together, the GPU busy while the units compute.
//
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_NDP_BALANCER_H
#define MOESAIC_RUNTIME_NDP_BALANCER_H

#include <cstdint>
#include <vector>

namespace moesaic::ndp {

/// One activated expert of the layer.
struct ExpertWork {
  int32_t expert = 0;
  int32_t tokens = 0;
  double bytes = 0;   ///< weight bytes of the whole expert
  double flops = 0;   ///< FLOPs of the whole expert for its tokens
  bool onGpu = false; ///< resident in VRAM and usable now
};

/// The side of the machine and what it costs.
struct BalanceCosts {
  /// GPU: off-chip bandwidth (GB/s) and compute (TFLOP/s).
  double gpuGBps = 0, gpuTflops = 0;
  /// NDP units: internal bandwidth and compute, and the fraction of every
  /// expert's rows each unit holds (static tensor split, sums to 1).
  std::vector<double> unitGBps, unitTflops, unitFraction;
  /// Fixed costs when the side gets any work: activations in, partial
  /// results out and their reduction (NDP); kernel launch (GPU).
  double ndpFixedUs = 0, gpuFixedUs = 0;
  int granularity = 4;
};

/// A piece of an expert: slices [sliceBegin, sliceEnd) of `granularity`.
struct SlicePiece {
  int32_t expert = 0;
  int32_t sliceBegin = 0, sliceEnd = 0;
};

struct BalancePlan {
  /// Pieces on each side (an expert may appear on both: some rows on the
  /// GPU, the rest on the NDP units).
  std::vector<SlicePiece> gpu, ndp;
  /// Estimated busy time of the GPU and of each NDP unit (without fixed
  /// costs), and the estimated finish of each side (with them).
  double gpuBusyUs = 0;
  std::vector<double> unitBusyUs;
  double gpuFinishUs = 0, ndpFinishUs = 0;
  /// max/mean of unitBusyUs over units with the same speed (1 = balanced;
  /// 0 when no unit works).
  double unitBalance() const;
  double makespanUs() const {
    return gpuFinishUs > ndpFinishUs ? gpuFinishUs : ndpFinishUs;
  }
};

/// Time of `fraction` of an expert on the GPU / on unit `u`.
double gpuSliceUs(const ExpertWork &w, const BalanceCosts &c, double fraction);
double unitSliceUs(const ExpertWork &w, const BalanceCosts &c, unsigned unit,
                   double fraction);

/// ndp-tp's balancer input for one MoE layer: one ExpertWork per expert
/// with tokens (load[e] > 0), in expert order, `onGpu` = ready[e] (loaded
/// in VRAM and usable now).
std::vector<ExpertWork> layerWork(const std::vector<int32_t> &load,
                                  double expertBytes, double flopsPerToken,
                                  const std::vector<uint8_t> &ready);

/// Balances one layer. Deterministic: the same input gives the same plan.
BalancePlan balanceLayer(const std::vector<ExpertWork> &experts,
                         const BalanceCosts &costs);

/// Splits `rows` among units in proportion to `weights` (largest remainder,
/// ties to the lower index; multiples of `quantum` where possible).
std::vector<int64_t> proportionalSplit(int64_t rows,
                                       const std::vector<double> &weights,
                                       int64_t quantum = 1);

} // namespace moesaic::ndp

#endif // MOESAIC_RUNTIME_NDP_BALANCER_H
