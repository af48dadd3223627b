//===- DfRuntimePrograms.h - ndp-tp and er-mapping when/where programs -*- C++ -*-===//
//
// The programs moe-df-lower-ndp-tp and moe-df-lower-wafer write
// (dialects/Transforms/DataflowRuntimePasses.td, docs/dataflow.md), kept in
// the dialect library so tests can build them without a target.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_DIALECT_DF_DFRUNTIMEPROGRAMS_H
#define MOESAIC_DIALECT_DF_DFRUNTIMEPROGRAMS_H

#include "moesaic/Dialect/Df/DfOps.h"

namespace moesaic::df {

/// ndp-tp, one MoE layer of `experts` experts, `granularity` slices per
/// expert, `units` NDP units: dispatch, activation, the VRAM gate of GPU
/// candidates, the balancer-selected slice routing and the tensor-parallel
/// fan-out to the units.
ProgramOp buildNdpTpProgram(mlir::OpBuilder &b, mlir::Location loc,
                            int64_t layer, int64_t experts,
                            int64_t granularity, int64_t units);

/// er-mapping's NI-Balancer trigger of one MoE layer: dispatch, the shard
/// fan-out of `experts` experts into `shards` units each, the placement
/// `select` of units onto `dies` dies, one threshold `when` per die.
ProgramOp buildWaferTriggerProgram(mlir::OpBuilder &b, mlir::Location loc,
                                   int64_t layer, int64_t experts,
                                   int64_t shards, int64_t dies,
                                   int64_t window);

/// er-mapping's chunk staging into one (step, layer, phase) slot over
/// `links` links (schedule layer -1): chunks routed along their move's
/// route, one capacity `when` per link.
ProgramOp buildWaferStagingProgram(mlir::OpBuilder &b, mlir::Location loc,
                                   int64_t links);

} // namespace moesaic::df

#endif // MOESAIC_DIALECT_DF_DFRUNTIMEPROGRAMS_H
