//===- fse_dp_holders.cpp - fse-dp's split holders, side by side ----------===//
//
// Rule V6 (docs/fse-dp.md): with replicated tokens (tensor-parallel dense
// layers) the runtime may split an expert over one holder per ring
// segment, each receiving its segment's shards ("split"), instead of
// streaming every shard to one holder ("single", rule V4 alone). Every
// chiplet model of bench/fse_dp_compare.py is lowered once per preset and
// the same schedule evaluated with its "holders" set each way
// (FseDpAblation.h): one row per configuration, the geomean and range of
// split / single, and a BENCH figure (split must not be slower: target
// <= 1).
//
//   build/bin/moesaic-bench-fse-dp-holders
//
//===----------------------------------------------------------------------===//

#include "FseDpAblation.h"

int main() {
  return moesaic::bench::runAblation(
      {"holders", "single", "split", "fse_dp_holders",
       "fse-dp split / single holders latency, geomean"});
}
