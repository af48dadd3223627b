//===- FseDpStrategy.cpp - --strategy=fse-dp (expert streaming) -----------===//
//
// The FSE-DP pipeline (docs/fse-dp.md) for chiplet systems: the schedule,
// dense layers tensor parallel (as tp places them), then the FSE-DP passes
// (dialects/Transforms/FseDpPasses.td). Its runtime (lib/Strategies/
// FseDpRuntime.cpp) registers under the same name.
//
//===----------------------------------------------------------------------===//

#include "moesaic/Driver/Strategy.h"
#include "moesaic/Transforms/Passes.h"

#include <string>
#include <vector>

using namespace mlir;
using namespace moesaic;

namespace moesaic::fsedp {
void registerFseDpRuntime();
} // namespace moesaic::fsedp

void moesaic::registerFseDpStrategy() {
  const std::vector<SystemKind> targets = {SystemKind::Chiplet};
  registerStrategy(
      {"fse-dp",
       "expert streaming (FSE-DP): experts sharded over every chiplet's "
       "DRAM, shards streamed along per-batch ring trajectories to the "
       "chiplets holding their tokens",
       targets, [targets](OpPassManager &pm) {
         CreateScheduleOptions create;
         create.strategy = "fse-dp";
         // The options struct holds an ArrayRef: the strings must outlive
         // the pass's constructor, which copies them.
         std::vector<std::string> targetNames = {
             toString(SystemKind::Chiplet)};
         create.targets = targetNames;
         pm.addPass(createCreateSchedule(create));
         PlaceDenseOptions dense;
         dense.mode = "tensor";
         pm.addPass(createPlaceDense(dense));
         pm.addPass(createFseDpVirtualize());
         pm.addPass(createFseDpShardExperts());
         pm.addPass(createFseDpScheduleTrajectories());
       },
       // The runtime part as a when/where program (docs/dataflow.md), so the
       // schedule output carries it next to the trajectory tables. O(experts
       // x chiplets) ops per MoE layer (~740k on DeepSeek-V3 over 16
       // chiplets): only built when the evaluation reads it.
       [](OpPassManager &pm) { pm.addPass(createDfLowerFseDp()); }});
  fsedp::registerFseDpRuntime();
}
