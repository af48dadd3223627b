//===- NdpTpInterpreter.h - ndp-tp decisions from a when/where program -*- C++ -*-===//
//
// Runs the `df.program` moe-df-lower-ndp-tp writes for one MoE layer on a
// batch's gating and returns the ndp-tp runtime's decision for the layer:
// the experts' work and the GPU/NDP split of their slices (the same as
// ndp::layerWork + ndp::balanceLayer, NdpTpRuntime's direct path). What
// comes from where (docs/dataflow.md, "ndp-tp"):
//   - from the graph: the tokens of each expert (the gating `where`'s
//     edges), which experts are active and in which order (`when`
//     threshold 1), which may run on the GPU (`when` threshold 2 over the
//     activation and the `vram.e` cache token), the slices each side
//     receives (the `select` `where` the balancer configures, released by
//     the `balanced` token) and the slices every NDP unit computes (the
//     tensor-parallel fan-out);
//   - plain code over the graph's outputs: the balancer's largest-first
//     bin packing of slices (ndp::balanceLayer), which sets the `select`.
// The histogram and prefetch queue (ndp::OnlinePrefetcher) are fed with
// the graph's per-expert token counts by the caller; their ranking and
// queueing are plain code.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_RUNTIME_DATAFLOW_NDPTPINTERPRETER_H
#define MOESAIC_RUNTIME_DATAFLOW_NDPTPINTERPRETER_H

#include "moesaic/Runtime/Dataflow/Program.h"
#include "moesaic/Runtime/Ndp/Balancer.h"

#include <memory>

namespace moesaic::dataflow {

struct NdpTpDecision {
  /// Tokens per expert (what the prefetcher's histogram observes).
  std::vector<int32_t> load;
  /// Experts in the order they became active.
  std::vector<int32_t> activation;
  /// The balancer's input and its plan (pieces as the graph routed them).
  std::vector<ndp::ExpertWork> works;
  ndp::BalancePlan plan;
  /// Slices each NDP unit computes (tensor parallelism: all NDP slices).
  std::vector<int64_t> unitSlices;
};

class NdpTpInterpreter {
public:
  /// Checks that `program` is an ndp-tp layer program with `experts`
  /// experts, `granularity` slices and `units` NDP units.
  static llvm::Expected<std::unique_ptr<NdpTpInterpreter>>
  create(Program program, int64_t experts, int granularity, unsigned units);

  /// Decides one layer of one batch: token t picks
  /// experts[t*topK .. t*topK+topK) (negative ids: dropped); ready[e]: e is
  /// loaded in VRAM. `costs.granularity` must be the program's. The
  /// reference stays valid until the next call.
  const NdpTpDecision &decide(unsigned numTokens, const int32_t *experts,
                              unsigned topK, const std::vector<uint8_t> &ready,
                              double expertBytes, double flopsPerToken,
                              const ndp::BalanceCosts &costs);

private:
  NdpTpInterpreter(Program program) : prog(std::move(program)) {}

  Program prog;
  std::unique_ptr<Executor> exec;
  int64_t numExperts = 0;
  int granularity = 1;
  uint32_t tokensValue = 0, balancedValue = 0, dispatchBase = 0;
  std::vector<uint32_t> vramValue;       // [e]
  std::vector<uint32_t> candidateNode;   // [e]
  std::vector<uint32_t> sideNode;        // [e]: the select where
  std::vector<uint32_t> unitValue;       // [u]
  std::vector<int32_t> expertOfValue;    // active when's output -> e
  uint32_t activeNode = 0;
  NdpTpDecision result;
};

} // namespace moesaic::dataflow

#endif // MOESAIC_RUNTIME_DATAFLOW_NDPTPINTERPRETER_H
