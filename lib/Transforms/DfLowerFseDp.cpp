//===- DfLowerFseDp.cpp - fse-dp runtime schedule as a when/where program -===//

#include "moesaic/Dialect/Df/DfOps.h"
#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

#include <map>

namespace moesaic {
#define GEN_PASS_DEF_DFLOWERFSEDP
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
constexpr int64_t kMaxPairs = 65536;

struct DfLowerFseDpPass
    : moesaic::impl::DfLowerFseDpBase<DfLowerFseDpPass> {
  void runOnOperation() override {
    hw::ScheduleOp schedule;
    getOperation().walk([&](hw::ScheduleOp s) { schedule = s; });
    if (!schedule) {
      getOperation().emitError()
          << "moe-df-lower-fsedp needs a hw.schedule (run the fse-dp "
             "pipeline first)";
      return signalPassFailure();
    }
    Block &body = schedule.getBody().front();
    hw::StreamRingOp ring;
    SmallVector<hw::StreamShardsOp> shards;
    for (Operation &op : body) {
      if (auto r = dyn_cast<hw::StreamRingOp>(op))
        ring = r;
      else if (auto s = dyn_cast<hw::StreamShardsOp>(op))
        shards.push_back(s);
    }
    if (!ring) {
      schedule.emitError() << "moe-df-lower-fsedp: schedule '"
                           << schedule.getSymName()
                           << "' has no hw.stream_ring (run "
                              "moe-fsedp-virtualize first)";
      return signalPassFailure();
    }
    if (shards.empty()) {
      schedule.emitError() << "moe-df-lower-fsedp: schedule '"
                           << schedule.getSymName()
                           << "' has no hw.stream_shards (run "
                              "moe-fsedp-shard-experts first)";
      return signalPassFailure();
    }
    int64_t n = (int64_t)ring.getOrder().size();
    for (hw::StreamShardsOp s : shards) {
      int64_t experts = s.getExperts();
      if (experts * n > kMaxPairs) {
        s.emitError() << "moe-df-lower-fsedp: layer " << s.getLayer()
                      << " has " << experts << " experts x " << n
                      << " chiplets = " << experts * n
                      << " (expert, chiplet) pairs, more than the "
                      << kMaxPairs << " a program may hold";
        return signalPassFailure();
      }
    }
    for (Operation &op : llvm::make_early_inc_range(body))
      if (isa<df::ProgramOp, df::ProgramRefOp>(op))
        op.erase();
    // At the schedule's start, in layer order: a df.program_ref finds its
    // program (ProgramRefOp::getTarget scans the block from its start) in
    // a few steps, not past every layer's stream ops (quadratic in layers).
    OpBuilder b(&getContext());
    b.setInsertionPointToStart(&body);
    // One program per distinct (experts, chunks): the program depends on
    // nothing else, so layers of one shape share it (df.program_ref).
    std::map<std::pair<int64_t, int64_t>, df::ProgramOp> built;
    for (hw::StreamShardsOp s : shards) {
      int64_t layer = s.getLayer();
      auto [it, fresh] = built.try_emplace({s.getExperts(), s.getChunks()});
      if (fresh) {
        it->second = df::buildFseDpProgram(b, s.getLoc(), layer, n,
                                           s.getExperts(), s.getChunks());
        continue;
      }
      b.create<df::ProgramRefOp>(
          s.getLoc(), b.getStringAttr(df::fseDpProgramName(layer)),
          b.getI64IntegerAttr(layer), it->second.getSymNameAttr());
    }
  }
};
} // namespace
