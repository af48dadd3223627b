//===- FseDpControllerTest.cpp - the runtime library as a controller uses it ===//
//
// docs/fse-dp.md ("Driving the scheduler from a controller") shows how a
// controller uses the runtime library without MLIR: read the `--schedule`
// JSON back into a plan, build one TrajectoryScheduler per MoE layer,
// prepare its replicated tables once, then decide per batch. This test runs
// exactly that code on a schedule the fse-dp pipeline wrote (as JSON text,
// parsed back) and checks that every decision comes from the prepared
// tables from the first batch on, equals a scheduler computing every
// decision in full, and schedules each active expert exactly once.
//
//===----------------------------------------------------------------------===//

#include "LowerTestUtil.h"

#include "moesaic/Runtime/FseDp/FseDpPlan.h"
#include "moesaic/Target/HardwareFile.h"
#include "moesaic/Workload/Workload.h"

#include "llvm/Support/FormatVariadic.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <memory>
#include <set>

using namespace mlir;
using namespace moesaic;

namespace {

TEST(FseDpController, ScheduleJsonDrivesPreparedDecisions) {
  // What `moe-opt --strategy=fse-dp --schedule=...` writes.
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllPasses();
  MLIRContext context(registry);
  testutil::LoweredExample lowered;
  ASSERT_TRUE(testutil::lowerExample(context, "qwen3-30b-a3b.mlir",
                                     "edge-chiplet-16-mesh", "fse-dp",
                                     lowered));
  std::string text =
      llvm::formatv("{0}", llvm::json::Value(std::move(lowered.schedule)))
          .str();

  SystemModel system = *loadHardware("edge-chiplet-16-mesh");
  const ModelDesc *model = &lowered.model;
  GatingTrace trace = *makeTrace(
      *parseWorkloadSpec("batch=16,trace=zipf:1.2,seed=3,steps=3"), *model);
  const unsigned batch = (unsigned)trace.batch;

  // The controller's code, as in docs/fse-dp.md.
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  ASSERT_TRUE((bool)json) << llvm::toString(json.takeError());
  llvm::Expected<fsedp::Plan> plan =
      fsedp::planFromSchedule(*json->getAsObject(), system, *model);
  ASSERT_TRUE((bool)plan) << llvm::toString(plan.takeError());
  std::vector<std::unique_ptr<fsedp::TrajectoryScheduler>> schedulers;
  for (size_t m = 0; m < plan->layers.size(); ++m) {
    const fsedp::LayerPlan &l = plan->layers[m];
    auto s = std::make_unique<fsedp::TrajectoryScheduler>(
        l.schedulerConfig(plan->ring.size()));
    // No batch has more active experts than batch x top-k.
    s->prepareReplicated((unsigned)std::min<int64_t>(
        l.numExperts, (int64_t)batch * model->moeLayers[m].topK));
    schedulers.push_back(std::move(s));
  }
  // Per batch and MoE layer m (tokens replicated on every chiplet after
  // the tensor-parallel dense layers: no token positions):
  //   const fsedp::Decision &d = schedulers[m]->decide(
  //       batch, nullptr, gating, topK);

  ASSERT_EQ(plan->layers.size(), model->moeLayers.size());
  size_t decisions = 0;
  for (size_t m = 0; m < plan->layers.size(); m += 7) {
    const unsigned topK = (unsigned)model->moeLayers[m].topK;
    fsedp::TrajectoryScheduler full(
        plan->layers[m].schedulerConfig(plan->ring.size()));
    full.setMemo(false);
    for (int64_t step = 0; step < trace.steps; ++step) {
      SCOPED_TRACE(::testing::Message() << "layer " << m << " step " << step);
      const int32_t *gating = trace.experts(step, m, 0);
      const fsedp::Decision &d =
          schedulers[m]->decide(batch, nullptr, gating, topK);
      EXPECT_TRUE(schedulers[m]->usedMemo());
      const fsedp::Decision &f = full.decide(batch, nullptr, gating, topK);
      ASSERT_EQ(d.experts.size(), f.experts.size());
      EXPECT_EQ(d.makespanTicks, f.makespanTicks);
      std::set<int32_t> active(gating, gating + (size_t)batch * topK);
      active.erase(-1);
      std::set<int32_t> scheduled;
      for (size_t i = 0; i < d.experts.size(); ++i) {
        const fsedp::ExpertDecision &x = d.experts[i], &y = f.experts[i];
        EXPECT_EQ(x.expert, y.expert);
        EXPECT_EQ(x.holders, y.holders);
        EXPECT_EQ(x.arcStart, y.arcStart);
        EXPECT_EQ(x.cwGap, y.cwGap);
        EXPECT_EQ(x.ccwGap, y.ccwGap);
        EXPECT_EQ(x.split, y.split);
        EXPECT_EQ(x.startTick, y.startTick);
        EXPECT_EQ(x.endTick, y.endTick);
        EXPECT_NE(x.holders, 0u);
        EXPECT_TRUE(scheduled.insert((int32_t)x.expert).second)
            << "expert " << x.expert << " scheduled twice";
      }
      EXPECT_EQ(scheduled, active);
      ++decisions;
    }
  }
  EXPECT_GE(decisions, 6u);
}

} // namespace
