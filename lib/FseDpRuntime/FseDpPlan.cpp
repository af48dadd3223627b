//===- FseDpPlan.cpp - FSE-DP shard sizing and schedule tables ------------===//

#include "moesaic/Runtime/FseDp/FseDpPlan.h"
#include "moesaic/Support/JsonIntegers.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace moesaic;
using namespace moesaic::fsedp;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The bound: the last of `experts` DRAM starts (S x dram ticks apart),
// every expert's link work after it (a link carries at most n shards of S
// chunks), the pipeline fill, and each holder's compute of up to 255 tokens
// of every expert.
std::string fsedp::tickRangeProblem(int64_t experts, int64_t chunks,
                                    long double lt, long double dt,
                                    long double ct, unsigned n) {
  long double E = experts, S = chunks;
  long double work = S * std::max<long double>(n * lt, dt);
  long double bound = E * S * dt + dt + S * dt + E * work + 2.0L * n * lt +
                      E * 255.0L * ct * S * n;
  if (bound < 4294967296.0L)
    return "";
  // Whole tick counts as integers, beyond int64 in E notation (a ratio of
  // hardware speeds may be anything).
  auto ticks = [](long double t) {
    return t < 9.0e18L ? std::to_string((long long)t)
                       : llvm::formatv("{0:E2}", (double)t).str();
  };
  return "a decision could reach " +
         llvm::formatv("{0:E2}", (double)bound).str() + " ticks (link " +
         ticks(lt) + ", DRAM " + ticks(dt) + ", compute " + ticks(ct) +
         " ticks per chunk, " + std::to_string(chunks) +
         " chunks per shard, " + std::to_string(experts) +
         " experts), past the runtime scheduler's 32-bit ticks";
}

/// The layer's ticks, or an error naming `where` (tickRangeProblem).
static llvm::Error checkTicks(const std::string &where, int64_t experts,
                              int64_t chunks, long double lt, long double dt,
                              long double ct, unsigned n) {
  std::string problem = tickRangeProblem(experts, chunks, lt, dt, ct, n);
  if (problem.empty())
    return llvm::Error::success();
  return error(where + ": " + problem);
}

SchedulerConfig LayerPlan::schedulerConfig(unsigned numChiplets) const {
  SchedulerConfig c;
  c.numChiplets = numChiplets;
  c.numExperts = numExperts;
  c.chunksPerShard = chunksPerShard;
  c.linkTicksPerChunk = linkTicksPerChunk;
  c.dramTicksPerChunk = dramTicksPerChunk;
  c.computeTicksPerTokenChunk = computeTicksPerTokenChunk;
  c.splitHolders = splitHolders;
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
  // Ticks of DRAM and compute relative to a link's: hardware whose speeds
  // are far apart (a DRAM a million times slower than the links) would
  // pass the scheduler's 32-bit ticks.
  long double dt =
      std::max(1.0L, std::round((long double)dramUs / plan.usPerTick));
  long double ct = std::round((long double)computeUs / plan.usPerTick);
  if (llvm::Error e = checkTicks(where, plan.numExperts, plan.chunksPerShard,
                                 kLinkTicksPerChunk, dt, ct, n))
    return std::move(e);
  plan.dramTicksPerChunk = (uint32_t)dt;
  plan.computeTicksPerTokenChunk = (uint32_t)ct;
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

llvm::json::Array fsedp::scheduleLayers(const Plan &plan) {
  llvm::json::Array layers, order;
  for (const std::string &c : plan.chiplets)
    order.push_back(c);
  layers.push_back(llvm::json::Object{
      {"index", -1},
      {"stream_ring", llvm::json::Object{{"rule", plan.ring.rule},
                                         {"order", std::move(order)}}}});
  for (const LayerPlan &l : plan.layers) {
    llvm::json::Array homes;
    for (const std::string &c : plan.chiplets)
      homes.push_back(c);
    layers.push_back(llvm::json::Object{
        {"index", l.layer},
        {"stream_shards",
         llvm::json::Object{{"experts", l.numExperts},
                            {"homes", std::move(homes)},
                            {"shard_bytes", l.shardBytes},
                            {"chunk_bytes", l.chunkBytes},
                            {"chunks", l.chunksPerShard}}},
        {"stream_schedule",
         llvm::json::Object{
             {"template", "arc"},
             {"order", "longest-first"},
             {"loads", l.interleavedLoads ? kLoadsInterleaved : kLoadsSequential},
             {"holders", l.splitHolders ? kHoldersSplit : kHoldersSingle},
             {"buffers", kStreamBuffers},
             {"buffer_bytes", l.chunkBytes},
             {"link_ticks", (int64_t)l.linkTicksPerChunk},
             {"dram_ticks", (int64_t)l.dramTicksPerChunk},
             {"compute_ticks", (int64_t)l.computeTicksPerTokenChunk},
             {"us_per_tick", l.usPerTick}}}});
  }
  return layers;
}

/// One of two spellings under `key` of a stream_schedule (`older` when the
/// key is missing: a schedule written before the rule), or an error naming
/// the key, both spellings and what was found.
static llvm::Expected<bool> readChoice(const llvm::json::Object &sc,
                                       llvm::StringRef key,
                                       llvm::StringRef yes,
                                       llvm::StringRef no,
                                       llvm::StringRef older) {
  const llvm::json::Value *v = sc.get(key);
  llvm::StringRef value = older;
  if (v) {
    std::optional<llvm::StringRef> s = v->getAsString();
    if (!s)
      return error("'" + key + "' must be \"" + yes + "\" or \"" + no +
                   "\", not a " +
                   (v->kind() == llvm::json::Value::Number
                        ? "number"
                        : "non-string value"));
    value = *s;
  }
  if (value != yes && value != no)
    return error("'" + key + "' must be \"" + yes + "\" or \"" + no +
                 "\", not \"" + value + "\"");
  return value == yes;
}

static std::vector<std::string> names(const llvm::json::Array *a) {
  std::vector<std::string> out;
  if (a)
    for (const llvm::json::Value &v : *a)
      if (std::optional<llvm::StringRef> s = v.getAsString())
        out.push_back(s->str());
  return out;
}

llvm::Expected<Plan> fsedp::planFromSchedule(const llvm::json::Object &schedule,
                                             const SystemModel &system,
                                             const ModelDesc &model) {
  auto fail = [&](const llvm::Twine &what) {
    return error("fse-dp schedule: " + what);
  };
  const llvm::json::Array *layers = schedule.getArray("layers");
  if (!layers)
    return fail("needs a 'layers' array");
  std::map<int64_t, const llvm::json::Object *> byIndex;
  for (const llvm::json::Value &v : *layers)
    if (const llvm::json::Object *o = v.getAsObject())
      if (std::optional<int64_t> i = jsonInteger(*o, "index"))
        byIndex[*i] = o;
  auto global = byIndex.find(-1);
  const llvm::json::Object *ringObj =
      global == byIndex.end() ? nullptr
                              : global->second->getObject("stream_ring");
  if (!ringObj)
    return fail("no 'stream_ring' (layer -1)");
  Plan plan;
  plan.chiplets = names(ringObj->getArray("order"));
  if (plan.chiplets.empty())
    return fail("'stream_ring' has no 'order'");
  std::vector<unsigned> order;
  for (const std::string &name : plan.chiplets) {
    std::optional<unsigned> d = system.lookup(name);
    if (!d)
      return fail("ring chiplet '" + name + "' is not a device of '" +
                  system.name + "'");
    order.push_back(*d);
  }
  llvm::Expected<RingEmbedding> ring = makeRing(
      system, order, ringObj->getString("rule").value_or("explicit").str());
  if (!ring)
    return ring.takeError();
  plan.ring = std::move(*ring);
  for (const MoeLayerDesc &desc : model.moeLayers) {
    std::string where = "layer " + std::to_string(desc.index);
    auto it = byIndex.find(desc.index);
    const llvm::json::Object *sh =
        it == byIndex.end() ? nullptr : it->second->getObject("stream_shards");
    const llvm::json::Object *sc =
        it == byIndex.end() ? nullptr
                            : it->second->getObject("stream_schedule");
    if (!sh || !sc)
      return fail(where + " lacks 'stream_shards' or 'stream_schedule'");
    if (names(sh->getArray("homes")) != plan.chiplets)
      return fail(where + ": shard homes do not follow the ring (rule V2)");
    LayerPlan l;
    l.layer = desc.index;
    l.expertBytes = desc.expertBytes();
    l.expertFlopsPerToken = desc.expertFlopsPerToken();
    int64_t lt = 0, dt = 0, ct = 0, buffers = 0, bufferBytes = 0;
    auto get = [](const llvm::json::Object *o, llvm::StringRef key,
                  int64_t &out) {
      std::optional<int64_t> x = jsonInteger(*o, key);
      if (x)
        out = *x;
      return x.has_value();
    };
    if (!get(sh, "experts", l.numExperts) ||
        !get(sh, "shard_bytes", l.shardBytes) ||
        !get(sh, "chunk_bytes", l.chunkBytes) ||
        !get(sh, "chunks", l.chunksPerShard) ||
        !get(sc, "buffers", buffers) ||
        !get(sc, "buffer_bytes", bufferBytes) ||
        !get(sc, "link_ticks", lt) || !get(sc, "dram_ticks", dt) ||
        !get(sc, "compute_ticks", ct))
      return fail(where + ": a stream entry misses an integer field");
    if (l.numExperts != desc.numExperts)
      return fail(where + ": " + std::to_string(l.numExperts) +
                  " experts sharded but the model has " +
                  std::to_string(desc.numExperts));
    if (l.chunkBytes <= 0 || l.chunksPerShard <= 0 || lt <= 0 || dt <= 0 ||
        ct < 0 || buffers < 2 || bufferBytes != l.chunkBytes)
      return fail(where + ": inconsistent stream sizes");
    if (sc->getString("template").value_or("") != "arc")
      return fail(where + ": unknown trajectory template");
    if (llvm::Error e = checkTicks(where, l.numExperts, l.chunksPerShard, lt,
                                   dt, ct, plan.ring.size()))
      return fail(llvm::toString(std::move(e)));
    l.bufferBytes = buffers * bufferBytes;
    l.linkTicksPerChunk = lt;
    l.dramTicksPerChunk = dt;
    l.computeTicksPerTokenChunk = ct;
    l.usPerTick = sc->getNumber("us_per_tick").value_or(0.0);
    // Schedules written before rule V5 have no "loads" (they were
    // simulated expert by expert), before V6 no "holders" (one holder per
    // expert).
    llvm::Expected<bool> interleaved = readChoice(
        *sc, "loads", kLoadsInterleaved, kLoadsSequential, kLoadsSequential);
    if (!interleaved)
      return fail(where + ": " + llvm::toString(interleaved.takeError()));
    l.interleavedLoads = *interleaved;
    llvm::Expected<bool> split = readChoice(*sc, "holders", kHoldersSplit,
                                            kHoldersSingle, kHoldersSingle);
    if (!split)
      return fail(where + ": " + llvm::toString(split.takeError()));
    l.splitHolders = *split;
    if (!(l.usPerTick > 0))
      return fail(where + ": 'us_per_tick' must be positive");
    plan.layers.push_back(l);
  }
  return plan;
}
