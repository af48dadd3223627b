//===- FseDpPlan.cpp - FSE-DP shard sizing and schedule tables ------------===//

#include "moesaic/Runtime/FseDp/FseDpPlan.h"

#include <algorithm>
#include <cmath>

using namespace moesaic;
using namespace moesaic::fsedp;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

SchedulerConfig LayerPlan::schedulerConfig(unsigned numChiplets) const {
  SchedulerConfig c;
  c.numChiplets = numChiplets;
  c.numExperts = numExperts;
  c.chunksPerShard = chunksPerShard;
  c.linkTicksPerChunk = linkTicksPerChunk;
  c.dramTicksPerChunk = dramTicksPerChunk;
  c.computeTicksPerTokenChunk = computeTicksPerTokenChunk;
  return c;
}

int64_t Plan::streamBufferBytes() const {
  int64_t m = 0;
  for (const LayerPlan &l : layers)
    m = std::max(m, l.bufferBytes);
  return m;
}

llvm::Expected<LayerPlan> fsedp::planLayer(const MoeLayerDesc &layer,
                                           const SystemModel &system,
                                           const RingEmbedding &ring,
                                           const ShardRule &rule) {
  unsigned n = ring.size();
  LayerPlan plan;
  plan.layer = layer.index;
  plan.numExperts = layer.numExperts;
  plan.expertBytes = layer.expertBytes();
  plan.expertFlopsPerToken = layer.expertFlopsPerToken();
  std::string where = "MoE layer " + std::to_string(layer.index);
  if (n == 0 || n > 64)
    return error(where + ": FSE-DP streams over 1 to 64 chiplets, '" +
                 system.name + "' has " + std::to_string(n));
  if (plan.expertBytes <= 0)
    return error(where + ": experts have no weights to stream");

  // The slowest ring link, the smallest SRAM, DRAM and compute.
  double linkGBps = 1e300, latNs = 0;
  for (unsigned p = 0; p < n && n > 1; ++p) {
    unsigned a = ring.logicalToPhysical[p];
    for (unsigned b : {ring.logicalToPhysical[ring.next(p)],
                       ring.logicalToPhysical[ring.prev(p)]}) {
      const Link &l = system.links[*system.directLink(a, b)];
      linkGBps = std::min(linkGBps, l.bandwidthGBps);
      latNs = std::max(latNs, l.latencyNs);
    }
  }
  if (n == 1)
    linkGBps = 1e3;
  int64_t sram = INT64_MAX, dramBytes = INT64_MAX;
  double dramGBps = 1e300, tflops = 1e300;
  std::string smallest;
  for (unsigned d : ring.logicalToPhysical) {
    const Device &dev = system.devices[d];
    if (dev.onchipBytes < sram) {
      sram = dev.onchipBytes;
      smallest = dev.name;
    }
    dramBytes = std::min(dramBytes, dev.offchipBytes);
    dramGBps = std::min(dramGBps, dev.offchipGBps);
    tflops = std::min(tflops, dev.peakFor(layer.weightType));
  }
  if (dramGBps <= 0 || tflops <= 0)
    return error(where + ": chiplet without DRAM bandwidth or compute on '" +
                 system.name + "'");

  plan.shardBytes = ceilDiv(plan.expertBytes, n);
  if ((double)plan.shardBytes * layer.numExperts > (double)dramBytes)
    return error(where + ": each chiplet must hold " +
                 std::to_string(plan.shardBytes * layer.numExperts) +
                 " bytes of expert shards but has " +
                 std::to_string(dramBytes) + " bytes of DRAM (shortfall " +
                 std::to_string(plan.shardBytes * layer.numExperts -
                                dramBytes) + ")");
  int64_t budget = (int64_t)std::floor((double)sram * rule.bufferFraction);
  int64_t chunkMax = budget / kStreamBuffers;
  int64_t chunkMin = std::max<int64_t>(
      1, (int64_t)std::ceil(kMinChunkHops * latNs * linkGBps));
  int64_t needed = std::min(plan.shardBytes, chunkMin);
  if (needed > chunkMax)
    return error(where + ": stream buffers need " +
                 std::to_string(kStreamBuffers) + " x " +
                 std::to_string(needed) + " = " +
                 std::to_string(kStreamBuffers * needed) +
                 " bytes per chiplet but '" + smallest + "' gives them " +
                 std::to_string(budget) + " bytes (" +
                 std::to_string((int)std::lround(rule.bufferFraction * 100)) +
                 " % of " +
                 std::to_string(sram) + " bytes of SRAM); shortfall " +
                 std::to_string(kStreamBuffers * needed - budget) + " bytes");
  plan.chunkBytes = std::min(
      {plan.shardBytes, chunkMax,
       std::max(chunkMin, ceilDiv(plan.shardBytes, 2 * (int64_t)n))});
  plan.chunksPerShard = ceilDiv(plan.shardBytes, plan.chunkBytes);
  plan.bufferBytes = kStreamBuffers * plan.chunkBytes;

  double linkUs = latNs * 1e-3 + bytesToUs(plan.chunkBytes, linkGBps);
  double dramUs = bytesToUs(plan.chunkBytes, dramGBps);
  double flopsPerTokenChunk =
      plan.expertFlopsPerToken / n / plan.chunksPerShard;
  double computeUs = flopsToUs(flopsPerTokenChunk, tflops);
  plan.linkTicksPerChunk = kLinkTicksPerChunk;
  plan.usPerTick = linkUs / kLinkTicksPerChunk;
  plan.dramTicksPerChunk =
      std::max<uint32_t>(1, (uint32_t)std::lround(dramUs / plan.usPerTick));
  plan.computeTicksPerTokenChunk =
      (uint32_t)std::lround(computeUs / plan.usPerTick);
  return plan;
}

llvm::Expected<Plan> fsedp::planModel(const ModelDesc &model,
                                      const SystemModel &system,
                                      const ShardRule &rule) {
  if (system.kind != SystemKind::Chiplet)
    return error("'" + system.name + "' is a " + toString(system.kind) +
                 " system; fse-dp serves chiplet systems only");
  llvm::Expected<RingEmbedding> ring = embedRing(system);
  if (!ring)
    return ring.takeError();
  Plan plan;
  plan.ring = std::move(*ring);
  plan.bufferFraction = rule.bufferFraction;
  for (unsigned d : plan.ring.logicalToPhysical)
    plan.chiplets.push_back(system.devices[d].name);
  for (const MoeLayerDesc &layer : model.moeLayers) {
    llvm::Expected<LayerPlan> lp = planLayer(layer, system, plan.ring, rule);
    if (!lp)
      return lp.takeError();
    plan.layers.push_back(*lp);
  }
  return plan;
}

llvm::json::Object fsedp::toJSON(const Plan &plan) {
  llvm::json::Array chiplets, layers;
  for (const std::string &c : plan.chiplets)
    chiplets.push_back(c);
  for (const LayerPlan &l : plan.layers)
    layers.push_back(llvm::json::Object{
        {"layer", l.layer},
        {"num_experts", l.numExperts},
        {"expert_bytes", l.expertBytes},
        {"shard_bytes", l.shardBytes},
        {"chunk_bytes", l.chunkBytes},
        {"chunks_per_shard", l.chunksPerShard},
        {"buffer_bytes", l.bufferBytes},
        {"expert_flops_per_token", l.expertFlopsPerToken},
        {"link_ticks_per_chunk", (int64_t)l.linkTicksPerChunk},
        {"dram_ticks_per_chunk", (int64_t)l.dramTicksPerChunk},
        {"compute_ticks_per_token_chunk",
         (int64_t)l.computeTicksPerTokenChunk},
        {"us_per_tick", l.usPerTick}});
  return llvm::json::Object{
      {"version", 1},
      {"ring_rule", plan.ring.rule},
      {"ring", std::move(chiplets)},
      {"buffer_fraction", plan.bufferFraction},
      {"stream_buffers_per_chiplet", kStreamBuffers},
      {"layers", std::move(layers)}};
}

llvm::Expected<Plan> fsedp::planFromJSON(const llvm::json::Object &object,
                                         const SystemModel &system) {
  auto fail = [&](const llvm::Twine &what) {
    return error("fse_dp schedule: " + what);
  };
  const llvm::json::Array *ringNames = object.getArray("ring");
  const llvm::json::Array *layers = object.getArray("layers");
  if (!ringNames || !layers)
    return fail("needs 'ring' and 'layers' arrays");
  Plan plan;
  std::vector<unsigned> order;
  for (const llvm::json::Value &v : *ringNames) {
    std::optional<llvm::StringRef> name = v.getAsString();
    if (!name)
      return fail("'ring' holds a non-string entry");
    std::optional<unsigned> d = system.lookup(name->str());
    if (!d)
      return fail("ring chiplet '" + *name + "' is not a device of '" +
                  system.name + "'");
    order.push_back(*d);
    plan.chiplets.push_back(name->str());
  }
  std::string rule = object.getString("ring_rule").value_or("explicit").str();
  llvm::Expected<RingEmbedding> ring = makeRing(system, order, rule);
  if (!ring)
    return ring.takeError();
  plan.ring = std::move(*ring);
  plan.bufferFraction = object.getNumber("buffer_fraction").value_or(0.5);
  for (const llvm::json::Value &v : *layers) {
    const llvm::json::Object *o = v.getAsObject();
    if (!o)
      return fail("'layers' holds a non-object entry");
    LayerPlan l;
    auto i64 = [&](llvm::StringRef key, int64_t &out) -> bool {
      std::optional<int64_t> x = o->getInteger(key);
      if (!x)
        return false;
      out = *x;
      return true;
    };
    int64_t lt = 0, dt = 0, ct = 0;
    if (!i64("layer", l.layer) || !i64("num_experts", l.numExperts) ||
        !i64("expert_bytes", l.expertBytes) ||
        !i64("shard_bytes", l.shardBytes) ||
        !i64("chunk_bytes", l.chunkBytes) ||
        !i64("chunks_per_shard", l.chunksPerShard) ||
        !i64("buffer_bytes", l.bufferBytes) ||
        !i64("link_ticks_per_chunk", lt) ||
        !i64("dram_ticks_per_chunk", dt) ||
        !i64("compute_ticks_per_token_chunk", ct))
      return fail("a layer entry misses an integer field");
    if (l.chunkBytes <= 0 || l.chunksPerShard <= 0 || lt <= 0 || dt <= 0 ||
        l.numExperts <= 0)
      return fail("layer " + llvm::Twine(l.layer) +
                  " has a non-positive size");
    l.linkTicksPerChunk = lt;
    l.dramTicksPerChunk = dt;
    l.computeTicksPerTokenChunk = ct;
    l.expertFlopsPerToken =
        o->getNumber("expert_flops_per_token").value_or(0.0);
    l.usPerTick = o->getNumber("us_per_tick").value_or(0.0);
    plan.layers.push_back(l);
  }
  return plan;
}
