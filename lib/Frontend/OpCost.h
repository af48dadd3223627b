//===- OpCost.h - FLOPs and bytes of a generic ONNX node --------*- C++ -*-===//

#ifndef MOESAIC_LIB_FRONTEND_OPCOST_H
#define MOESAIC_LIB_FRONTEND_OPCOST_H

#include "OnnxGraph.h"

namespace moesaic::onnxfe {

struct OpCost {
  double flopsPerToken = 0;
  int64_t weightBytes = 0;
  bool modelled = true; ///< False: no cost rule for this op type.
};

/// True for ops that cost nothing worth modelling (shape arithmetic,
/// constants, pure data movement): emitted as no op at all.
bool isFreeOp(const Node &n);

/// Cost of `n` per token: static dimensions count, unknown (token)
/// dimensions count as 1, and the total is divided by `tokens` (the static
/// token count of the model input, 1 if it is dynamic).
OpCost costOf(const Graph &g, const Node &n, int64_t tokens);

} // namespace moesaic::onnxfe

#endif // MOESAIC_LIB_FRONTEND_OPCOST_H
