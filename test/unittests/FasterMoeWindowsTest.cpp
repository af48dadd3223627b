//===- FasterMoeWindowsTest.cpp - fastermoe's steps end in cuts ----------===//
//
// The evaluation simulates a run window by window, cutting where every task
// held so far precedes a step's start (docs/performance-model.md): memory
// then stays flat over steps. fastermoe broadcasts a shadowed expert to
// every worker; a worker without tokens for it used to receive a copy no
// later task waited for, so no step start followed every earlier task, the
// run stayed one window and held every task (4.4 GB at 16 384 steps). The
// broadcast is a collective: the receiver's next step waits for the copy.
//
//===----------------------------------------------------------------------===//

#include "LowerTestUtil.h"

#include "moesaic/Driver/Evaluate.h"
#include "moesaic/Target/HardwareFile.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace moesaic;

namespace {

TEST(FasterMoeWindows, EveryStepIsAWindowWhileShadowing) {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllPasses();
  MLIRContext context(registry);
  testutil::LoweredExample lowered;
  // DeepSeek-V2-Lite at batch 1 on the 4-chiplet ring: the roofline model
  // shadows about a quarter of an expert per layer and step
  // (docs/strategies.md), so broadcasts reach workers without its tokens.
  ASSERT_TRUE(testutil::lowerExample(context, "deepseek-v2-lite.mlir",
                                     "edge-chiplet-4", "fastermoe", lowered));
  SystemModel system = *loadHardware("edge-chiplet-4");
  WorkloadSpec spec = *parseWorkloadSpec("batch=1,seed=0,steps=16");
  GatingTrace trace = *makeTrace(spec, lowered.model);
  llvm::Expected<StrategyOutcome> out = evaluateSchedule(
      lowered.schedule, system, lowered.model, spec, trace, false);
  ASSERT_TRUE((bool)out) << llvm::toString(out.takeError());
  ASSERT_GT(*out->result.getNumber("fastermoe_shadowed_per_layer_step"), 0.0);
  EXPECT_EQ(out->simulatorWindows, 16u);
}

} // namespace
