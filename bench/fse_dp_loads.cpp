//===- fse_dp_loads.cpp - fse-dp's DRAM load order, side by side ----------===//
//
// Rule V5 (docs/fse-dp.md): each chiplet's DRAM takes the granules of the
// batch's active experts round-robin ("interleaved") rather than expert by
// expert ("sequential"). Every chiplet model of bench/fse_dp_compare.py is
// lowered once per preset and the same schedule evaluated with its "loads"
// set each way (FseDpAblation.h): one row per configuration, the geomean
// and range of interleaved / sequential, and a BENCH figure (interleaved
// must not be slower: target <= 1).
//
//   build/bin/moesaic-bench-fse-dp-loads
//
//===----------------------------------------------------------------------===//

#include "FseDpAblation.h"

int main() {
  return moesaic::bench::runAblation(
      {"loads", "sequential", "interleaved", "fse_dp_loads",
       "fse-dp interleaved / sequential loads latency, geomean"});
}
