//===- FseDpScheduleTrajectories.cpp - FSE-DP static stream schedule ------===//

#include "FseDpSchedule.h"
#include "moesaic/Runtime/FseDp/FseDpPlan.h"
#include "moesaic/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

#include <cmath>

namespace moesaic {
#define GEN_PASS_DEF_FSEDPSCHEDULETRAJECTORIES
#include "Transforms/Passes.h.inc"
} // namespace moesaic

using namespace mlir;
using namespace moesaic;

namespace {
struct FseDpScheduleTrajectoriesPass
    : moesaic::impl::FseDpScheduleTrajectoriesBase<
          FseDpScheduleTrajectoriesPass> {
  using FseDpScheduleTrajectoriesBase::FseDpScheduleTrajectoriesBase;

  void runOnOperation() override {
    FailureOr<fsedp::FseDpTarget> t = fsedp::getFseDpTarget(
        getOperation(), "moe-fsedp-schedule-trajectories");
    if (failed(t))
      return signalPassFailure();
    FailureOr<fsedp::RingEmbedding> ring =
        fsedp::getRing(*t, "moe-fsedp-schedule-trajectories");
    if (failed(ring))
      return signalPassFailure();
    if (!fsedp::isLoadOrder(loads)) {
      t->schedule.emitError()
          << "moe-fsedp-schedule-trajectories: loads must be interleaved or "
             "sequential (rule V5), not '"
          << loads << "'";
      return signalPassFailure();
    }
    if (!fsedp::isHolderPolicy(holders)) {
      t->schedule.emitError()
          << "moe-fsedp-schedule-trajectories: holders must be split or "
             "single (rule V6), not '"
          << holders << "'";
      return signalPassFailure();
    }
    Block &body = t->schedule.getBody().front();
    SmallVector<hw::StreamShardsOp> shards;
    for (Operation &op : llvm::make_early_inc_range(body)) {
      if (isa<hw::StreamScheduleOp>(op))
        op.erase();
      else if (auto s = dyn_cast<hw::StreamShardsOp>(op))
        shards.push_back(s);
    }
    if (shards.empty()) {
      t->schedule.emitError() << "moe-fsedp-schedule-trajectories needs "
                                 "hw.stream_shards (run "
                                 "moe-fsedp-shard-experts first)";
      return signalPassFailure();
    }
    const SystemModel &sys = t->system;
    unsigned n = ring->size();
    // The slowest ring link and DRAM, the smallest SRAM, the weakest compute.
    double linkGBps = 1e300, latNs = 0, dramGBps = 1e300;
    int64_t sram = INT64_MAX;
    std::string smallest;
    for (unsigned p = 0; p < n; ++p) {
      unsigned a = ring->logicalToPhysical[p];
      if (n > 1)
        for (unsigned b : {ring->logicalToPhysical[ring->next(p)],
                           ring->logicalToPhysical[ring->prev(p)]}) {
          const Link &l = sys.links[*sys.directLink(a, b)];
          linkGBps = std::min(linkGBps, l.bandwidthGBps);
          latNs = std::max(latNs, l.latencyNs);
        }
      dramGBps = std::min(dramGBps, sys.devices[a].offchipGBps);
      if (sys.devices[a].onchipBytes < sram) {
        sram = sys.devices[a].onchipBytes;
        smallest = sys.devices[a].name;
      }
    }
    if (n == 1)
      linkGBps = 1e3;
    auto modelOp = SymbolTable::lookupNearestSymbolFrom<moe::ModelOp>(
        t->schedule, t->schedule.getModelAttr());
    FailureOr<ModelDesc> model =
        modelOp ? moe::describeModel(modelOp) : FailureOr<ModelDesc>(failure());

    OpBuilder b = OpBuilder::atBlockEnd(&body);
    for (hw::StreamShardsOp s : shards) {
      int64_t chunk = s.getChunkBytes();
      int64_t need = fsedp::kStreamBuffers * chunk;
      if (need > sram) {
        s.emitError() << "layer " << s.getLayer() << ": " << fsedp::kStreamBuffers
                      << " stream buffers of " << chunk << " bytes need "
                      << need << " bytes but chiplet '" << smallest
                      << "' has " << sram << " bytes of SRAM (shortfall "
                      << need - sram << " bytes)";
        return signalPassFailure();
      }
      double linkUs = latNs * 1e-3 + bytesToUs(chunk, linkGBps);
      double usPerTick = linkUs / fsedp::kLinkTicksPerChunk;
      int64_t dramTicks = std::max<int64_t>(
          1, std::lround(bytesToUs(chunk, dramGBps) / usPerTick));
      int64_t computeTicks = 0;
      if (succeeded(model))
        for (const MoeLayerDesc &l : model->moeLayers)
          if (l.index == (int64_t)s.getLayer()) {
            double tflops = 1e300;
            for (unsigned d : ring->logicalToPhysical)
              tflops = std::min(tflops, sys.devices[d].peakFor(l.weightType));
            double flops = l.expertFlopsPerToken() / n / s.getChunks();
            computeTicks = std::lround(flopsToUs(flops, tflops) / usPerTick);
          }
      b.create<hw::StreamScheduleOp>(
          s.getLoc(), s.getLayer(), "arc", "longest-first", loads, holders,
          (int64_t)fsedp::kStreamBuffers, chunk,
          (int64_t)fsedp::kLinkTicksPerChunk, dramTicks, computeTicks,
          llvm::APFloat(usPerTick));
    }
  }
};
} // namespace
