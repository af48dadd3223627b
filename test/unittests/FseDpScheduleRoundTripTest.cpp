//===- FseDpScheduleRoundTripTest.cpp - fse-dp schedule JSON round trip ---===//
//
// Lowers a model with the fse-dp pipeline, exports its hw.schedule, and
// evaluates it twice: from the exported object in memory and from the JSON
// text written out and parsed back (what `--schedule` writes and a runtime
// loads). The simulator's results must be identical.
//
//===----------------------------------------------------------------------===//

#include "LowerTestUtil.h"

#include "moesaic/Driver/Evaluate.h"
#include "moesaic/Runtime/FseDp/FseDpPlan.h"
#include "moesaic/Target/HardwareFile.h"

#include "llvm/Support/FormatVariadic.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace moesaic;

namespace {

TEST(FseDpSchedule, ReloadedScheduleSimulatesIdentically) {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllPasses();
  MLIRContext context(registry);
  testutil::LoweredExample lowered;
  ASSERT_TRUE(testutil::lowerExample(context, "olmoe-1b-7b.mlir",
                                     "edge-chiplet-8-mesh", "fse-dp", lowered));
  const llvm::json::Object &exported = lowered.schedule;

  std::string text = llvm::formatv("{0:2}", llvm::json::Value(
                                                llvm::json::Object(exported)))
                         .str();
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(text);
  ASSERT_TRUE((bool)parsed) << llvm::toString(parsed.takeError());
  ASSERT_NE(parsed->getAsObject(), nullptr);

  SystemModel system = *loadHardware("edge-chiplet-8-mesh");
  const ModelDesc *model = &lowered.model;
  WorkloadSpec spec =
      *parseWorkloadSpec("batch=4,trace=zipf:1.2,seed=5,steps=2");
  GatingTrace trace = *makeTrace(spec, *model);

  llvm::Expected<StrategyOutcome> inMemory =
      evaluateSchedule(exported, system, *model, spec, trace, false);
  ASSERT_TRUE((bool)inMemory) << llvm::toString(inMemory.takeError());
  llvm::Expected<StrategyOutcome> reloaded = evaluateSchedule(
      *parsed->getAsObject(), system, *model, spec, trace, false);
  ASSERT_TRUE((bool)reloaded) << llvm::toString(reloaded.takeError());

  for (const char *key : {"latency_us", "moe_latency_us", "lower_bound_us",
                          "analytic_latency_us"})
    EXPECT_EQ(inMemory->result.getNumber(key), reloaded->result.getNumber(key))
        << key;
  for (const char *key : {"peak_onchip_bytes", "comm_bytes", "offchip_bytes",
                          "tasks"})
    EXPECT_EQ(inMemory->result.getInteger(key),
              reloaded->result.getInteger(key))
        << key;
  EXPECT_GT(*inMemory->result.getNumber("latency_us"), 0.0);
  // The stream buffers are the MoE part's on-chip peak (tensor-parallel
  // dense layers may add their own).
  EXPECT_GT(*inMemory->result.getInteger("peak_onchip_bytes"), 0);
}

} // namespace

namespace {

// A schedule JSON whose ticks were edited past what the runtime
// scheduler's 32-bit ticks hold is refused when read back (the IR's
// verifier refuses the same in hw.stream_schedule; a controller reads the
// JSON).
TEST(FseDpSchedule, ReloadRefusesTicksPast32Bits) {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllPasses();
  MLIRContext context(registry);
  testutil::LoweredExample lowered;
  ASSERT_TRUE(testutil::lowerExample(context, "tiny-moe.mlir",
                                     "edge-chiplet-4", "fse-dp", lowered));
  llvm::json::Object schedule = lowered.schedule;
  llvm::json::Array *layers = schedule.getArray("layers");
  ASSERT_NE(layers, nullptr);
  int edited = 0;
  for (llvm::json::Value &v : *layers)
    if (llvm::json::Object *sc =
            v.getAsObject()->getObject("stream_schedule")) {
      (*sc)["dram_ticks"] = int64_t(214294967296);
      ++edited;
    }
  ASSERT_GT(edited, 0);
  SystemModel system = *loadHardware("edge-chiplet-4");
  llvm::Expected<fsedp::Plan> plan =
      fsedp::planFromSchedule(schedule, system, lowered.model);
  ASSERT_FALSE((bool)plan);
  std::string message = llvm::toString(plan.takeError());
  EXPECT_NE(message.find("layer 0: a decision could reach 3.86E+12 ticks "
                         "(link 16, DRAM 214294967296"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("past the runtime scheduler's 32-bit ticks"),
            std::string::npos)
      << message;
}

} // namespace
