//===- ScheduleJsonFuzzer.cpp - Fuzz the fse-dp controller's input --------===//
//
// bytes -> JSON -> fsedp::planFromSchedule (what a controller reads from a
// `--schedule` file; docs/fse-dp.md, "Driving the scheduler from a
// controller") against examples/tiny-moe.mlir on edge-chiplet-8-mesh ->
// one TrajectoryScheduler per MoE layer -> a decision with replicated and
// one with data-parallel tokens. A refusal is the expected outcome; for an
// accepted plan every layer's scheduler must schedule each active expert
// exactly once, with holders on the ring, and decide the same again.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "moesaic/Dialect/Moe/MoeModelDesc.h"
#include "moesaic/Runtime/FseDp/FseDpPlan.h"
#include "moesaic/Support/InputChecks.h"
#include "moesaic/Target/HardwareFile.h"

#include "mlir/Parser/Parser.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

using namespace moesaic;

namespace {

struct Target {
  SystemModel system;
  ModelDesc model;
};

const Target &target() {
  static const Target t = [] {
    Target t;
    llvm::Expected<SystemModel> system = loadHardware("edge-chiplet-8-mesh");
    if (!system)
      fuzz::fail("the edge-chiplet-8-mesh preset does not load");
    t.system = std::move(*system);
    fuzz::ContextPool pool;
    mlir::MLIRContext &context = pool.get();
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceFile<mlir::ModuleOp>(
            MOESAIC_SOURCE_DIR "/examples/tiny-moe.mlir", &context);
    if (!module)
      fuzz::fail("examples/tiny-moe.mlir does not parse");
    moe::ModelOp op = moe::findModel(*module);
    if (!op)
      fuzz::fail("examples/tiny-moe.mlir has no moe.model");
    mlir::FailureOr<ModelDesc> model = moe::describeModel(op);
    if (mlir::failed(model))
      fuzz::fail("examples/tiny-moe.mlir's model cannot be described");
    t.model = std::move(*model);
    return t;
  }();
  return t;
}

/// Checks one decision of `topK` picks per token against the gating.
void checkDecision(const fsedp::Decision &d, const std::vector<int32_t> &gating,
                   unsigned numChiplets) {
  std::set<int32_t> active(gating.begin(), gating.end()), scheduled;
  active.erase(-1);
  const uint64_t ring = numChiplets >= 64 ? ~uint64_t(0)
                                          : (uint64_t(1) << numChiplets) - 1;
  for (const fsedp::ExpertDecision &e : d.experts) {
    fuzz::fuzzInvariant(scheduled.insert((int32_t)e.expert).second,
                        "an expert is scheduled twice");
    fuzz::fuzzInvariant(e.holders != 0 && (e.holders & ~ring) == 0,
                        "an expert's holders are not on the ring");
    fuzz::fuzzInvariant(e.endTick >= e.startTick,
                        "an expert ends before it starts");
  }
  fuzz::fuzzInvariant(scheduled == active,
                      "the active experts are not the scheduled ones");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const Target &t = target();
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  // What every reader refuses before parsing (llvm::json recurses per
  // level; InputChecks.h).
  if (jsonNestingProblem(text))
    return 0;
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json) {
    llvm::consumeError(json.takeError());
    return 0;
  }
  const llvm::json::Object *schedule = json->getAsObject();
  if (!schedule)
    return 0;
  llvm::Expected<fsedp::Plan> plan =
      fsedp::planFromSchedule(*schedule, t.system, t.model);
  if (!plan) {
    llvm::consumeError(plan.takeError());
    return 0;
  }
  fuzz::fuzzInvariant(plan->layers.size() == t.model.moeLayers.size(),
                      "an accepted plan has another number of MoE layers");
  const unsigned n = (unsigned)plan->ring.size();
  fuzz::fuzzInvariant(n >= 1 && n <= t.system.numDevices(),
                      "an accepted plan's ring is not on the system");
  // A gating drawn from the input's bytes: 4 tokens, the layer's top-k.
  for (size_t m = 0; m < plan->layers.size(); ++m) {
    const unsigned topK = (unsigned)t.model.moeLayers[m].topK;
    const int64_t experts = t.model.moeLayers[m].numExperts;
    const unsigned tokens = 4;
    std::vector<int32_t> gating;
    for (unsigned i = 0; i < tokens; ++i)
      for (unsigned j = 0; j < topK; ++j) {
        int32_t e = (int32_t)((data[(i * topK + j) % size] + j * 3) % experts);
        // Distinct per token: step past the ones it already picked.
        while (std::find(gating.end() - j, gating.end(), e) != gating.end())
          e = (e + 1) % (int32_t)experts;
        gating.push_back(e);
      }
    std::vector<uint16_t> positions(tokens);
    for (unsigned i = 0; i < tokens; ++i)
      positions[i] = (uint16_t)(i % n);
    fsedp::TrajectoryScheduler scheduler(plan->layers[m].schedulerConfig(n));
    scheduler.prepareReplicated(tokens * topK);
    for (const uint16_t *pos : {(const uint16_t *)nullptr,
                                (const uint16_t *)positions.data()}) {
      const fsedp::Decision &d =
          scheduler.decide(tokens, pos, gating.data(), topK);
      checkDecision(d, gating, n);
      uint32_t makespan = d.makespanTicks;
      fuzz::fuzzInvariant(
          scheduler.decide(tokens, pos, gating.data(), topK).makespanTicks ==
              makespan,
          "the same batch decided twice differs");
    }
  }
  return 0;
}
