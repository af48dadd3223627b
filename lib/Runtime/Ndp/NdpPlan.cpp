//===- NdpPlan.cpp - The static half of a GPU-NDP schedule ----------------===//

#include "moesaic/Runtime/Ndp/NdpPlan.h"
#include "moesaic/Runtime/Ndp/Balancer.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <map>

using namespace moesaic;
using namespace moesaic::ndp;

static std::string gib(int64_t bytes) {
  return llvm::formatv("{0:F2} GiB ({1} bytes)",
                       bytes / (1024.0 * 1024.0 * 1024.0), bytes)
      .str();
}

llvm::Expected<unsigned> moesaic::ndp::findGpu(const SystemModel &system) {
  for (unsigned d : system.acceleratorDevices())
    if (system.devices[d].kind == DeviceKind::Gpu)
      return d;
  return llvm::createStringError(
      "hardware '" + system.name + "' has no GPU: the GPU-NDP strategies need "
      "one GPU plus NDP units");
}

llvm::Expected<VramPlan> moesaic::ndp::planVram(const SystemModel &system,
                                                const ModelDesc &model,
                                                int64_t maxBatch,
                                                int64_t context,
                                                double workspaceFraction) {
  llvm::Expected<unsigned> gpu = findGpu(system);
  if (!gpu)
    return gpu.takeError();
  const Device &dev = system.devices[*gpu];
  VramPlan plan;
  plan.gpu = *gpu;
  plan.vramBytes = dev.offchipBytes;
  plan.nonExpertBytes = model.nonExpertBytes();
  for (const DenseOpDesc &op : model.denseOps)
    plan.kvBytes += op.kvBytesPerContextToken * context * maxBatch;
  plan.workspaceBytes = (int64_t)(workspaceFraction * plan.vramBytes);
  if (plan.nonExpertBytes > plan.vramBytes)
    return llvm::createStringError(
        "model '" + model.name + "' does not fit on '" + dev.name +
        "': its non-expert weights alone need " + gib(plan.nonExpertBytes) +
        " but the GPU has " + gib(plan.vramBytes) + " of VRAM");
  int64_t fixed = plan.nonExpertBytes + plan.kvBytes + plan.workspaceBytes;
  if (fixed > plan.vramBytes)
    return llvm::createStringError(
        "model '" + model.name + "' does not fit on '" + dev.name +
        "': non-expert weights (" + gib(plan.nonExpertBytes) +
        ") + KV cache for " + std::to_string(maxBatch) + " x " +
        std::to_string(context) + " tokens (" + gib(plan.kvBytes) +
        ") + workspace (" + gib(plan.workspaceBytes) + ") exceed its " +
        gib(plan.vramBytes) + " of VRAM");
  plan.expertCacheBytes = plan.vramBytes - fixed;
  return plan;
}

std::vector<int64_t> moesaic::ndp::tensorSplitRows(const SystemModel &system,
                                                   int64_t ffnRows,
                                                   int64_t quantum) {
  std::vector<double> w;
  for (unsigned u : system.ndpDevices())
    w.push_back(std::max(system.devices[u].offchipGBps, 1e-9));
  return proportionalSplit(ffnRows, w, quantum);
}

/// Time for every (src -> dst, bytes) flow to finish when flows sharing a
/// link queue behind each other: the busiest link's bytes over its
/// bandwidth plus the longest route latency.
static double flowsUs(const SystemModel &system,
                      const std::vector<std::pair<unsigned, unsigned>> &flows,
                      int64_t bytes) {
  std::map<unsigned, double> linkBytes;
  double lat = 0;
  for (auto [src, dst] : flows) {
    if (src == dst)
      continue;
    double l = 0;
    for (unsigned link : system.route(src, dst)) {
      linkBytes[link] += bytes;
      l += system.links[link].latencyNs * 1e-3;
    }
    lat = std::max(lat, l);
  }
  double busy = 0;
  for (auto [link, b] : linkBytes)
    busy = std::max(busy, bytesToUs(b, system.links[link].bandwidthGBps));
  return busy + lat;
}

double moesaic::ndp::reductionUs(const SystemModel &system, unsigned gpu,
                                 unsigned at, int64_t partialBytes) {
  const Device &dev = system.devices[at];
  std::vector<std::pair<unsigned, unsigned>> gather;
  for (unsigned u : system.ndpDevices())
    gather.push_back({u, at});
  double us = flowsUs(system, gather, partialBytes);
  // Adds: one per element per incoming partial (2 bytes per element).
  double adds = (double)system.ndpDevices().size() * partialBytes / 2.0;
  us += flopsToUs(adds, dev.peakFor("bf16"));
  if (at != gpu)
    us += system.transferUs(at, gpu, partialBytes);
  return us;
}

ReductionChoice moesaic::ndp::chooseReduction(const SystemModel &system,
                                              unsigned gpu,
                                              int64_t partialBytes) {
  std::vector<unsigned> cands;
  if (auto host = system.hostDevice())
    cands.push_back(*host);
  cands.push_back(gpu);
  for (unsigned u : system.ndpDevices())
    cands.push_back(u);
  ReductionChoice best;
  best.costUs = -1;
  for (unsigned c : cands) {
    if (!system.devices[c].canCompute())
      continue;
    double us = reductionUs(system, gpu, c, partialBytes);
    best.candidates.push_back({c, us});
    if (best.costUs < 0 || us < best.costUs - 1e-12) {
      best.costUs = us;
      best.device = c;
    }
  }
  return best;
}
llvm::json::Object NdpPlan::toJSON() const {
  llvm::json::Array ls;
  for (const Layer &l : layers) {
    llvm::json::Object o{{"index", l.index}};
    if (!l.units.empty()) {
      o["units"] = llvm::json::Array(l.units);
      o["rows"] = llvm::json::Array(l.rows);
      o["reduce_on"] = l.reduceOn;
    }
    if (!l.expertUnit.empty())
      o["expert_unit"] = llvm::json::Array(l.expertUnit);
    ls.push_back(std::move(o));
  }
  return llvm::json::Object{
      {"strategy", strategy},
      {"gpu", gpu},
      {"vram",
       llvm::json::Object{{"vram_bytes", vram.vramBytes},
                          {"non_expert_bytes", vram.nonExpertBytes},
                          {"kv_bytes", vram.kvBytes},
                          {"workspace_bytes", vram.workspaceBytes},
                          {"expert_cache_bytes", vram.expertCacheBytes}}},
      {"cache_policy", cachePolicy},
      {"cold_on", coldOn},
      {"granularity", granularity},
      {"decay", decay},
      {"hysteresis", hysteresis},
      {"chunk_bytes", chunkBytes},
      {"layers", std::move(ls)}};
}

llvm::Expected<NdpPlan> moesaic::ndp::defaultPlan(llvm::StringRef strategy,
                                                  const SystemModel &system,
                                                  const ModelDesc &model) {
  if (system.ndpDevices().empty() && strategy != "ndp-ondemand" &&
      strategy != "ndp-fiddler")
    return llvm::createStringError("hardware '" + system.name +
                                   "' has no NDP units");
  llvm::Expected<VramPlan> vram = planVram(system, model, 4, 4096, 0.05);
  if (!vram)
    return vram.takeError();
  NdpPlan plan;
  plan.strategy = strategy.str();
  plan.vram = *vram;
  plan.gpu = system.devices[vram->gpu].name;
  if (strategy == "ndp-tp") {
    plan.cachePolicy = "online";
    plan.coldOn = "ndp-tp";
  } else if (strategy == "ndp-ondemand") {
    plan.cachePolicy = "lru";
    plan.coldOn = "fetch";
  } else if (strategy == "ndp-fiddler") {
    plan.cachePolicy = "profile";
    plan.coldOn = "cpu";
  } else if (strategy == "ndp-monde") {
    plan.cachePolicy = "profile";
    plan.coldOn = "ndp-ep";
  } else {
    return llvm::createStringError("'" + strategy.str() +
                                   "' is not a GPU-NDP strategy");
  }
  const std::vector<unsigned> &units = system.ndpDevices();
  for (const MoeLayerDesc &l : model.moeLayers) {
    NdpPlan::Layer pl;
    pl.index = l.index;
    if (plan.coldOn == "ndp-tp") {
      for (unsigned u : units)
        pl.units.push_back(system.devices[u].name);
      pl.rows = tensorSplitRows(system, l.expertFfnSize);
      int64_t partial = l.tokenBytes() * 4;
      pl.reduceOn =
          system.devices[chooseReduction(system, vram->gpu, partial).device]
              .name;
    } else if (plan.coldOn == "ndp-ep") {
      for (int64_t e = 0; e < l.numExperts; ++e)
        pl.expertUnit.push_back(system.devices[units[e % units.size()]].name);
    }
    plan.layers.push_back(std::move(pl));
  }
  return plan;
}

llvm::Expected<NdpPlan> moesaic::ndp::parseNdpPlan(const llvm::json::Object &o,
                                                   const SystemModel &system,
                                                   const ModelDesc &model) {
  auto err = [](const std::string &msg) {
    return llvm::createStringError("schedule 'ndp' section: " + msg);
  };
  NdpPlan plan;
  if (auto s = o.getString("strategy"))
    plan.strategy = s->str();
  else
    return err("missing 'strategy'");
  auto gpuName = o.getString("gpu");
  if (!gpuName)
    return err("missing 'gpu'");
  plan.gpu = gpuName->str();
  auto gpu = system.lookup(plan.gpu);
  if (!gpu)
    return err("unknown GPU '" + plan.gpu + "'");
  plan.vram.gpu = *gpu;
  if (const llvm::json::Object *v = o.getObject("vram")) {
    plan.vram.vramBytes = v->getInteger("vram_bytes").value_or(0);
    plan.vram.nonExpertBytes = v->getInteger("non_expert_bytes").value_or(0);
    plan.vram.kvBytes = v->getInteger("kv_bytes").value_or(0);
    plan.vram.workspaceBytes = v->getInteger("workspace_bytes").value_or(0);
    plan.vram.expertCacheBytes = v->getInteger("expert_cache_bytes").value_or(0);
  } else {
    return err("missing 'vram'");
  }
  plan.cachePolicy = o.getString("cache_policy").value_or("online").str();
  plan.coldOn = o.getString("cold_on").value_or("ndp-tp").str();
  plan.granularity = (int)o.getInteger("granularity").value_or(4);
  plan.decay = o.getNumber("decay").value_or(0.9);
  plan.hysteresis = o.getNumber("hysteresis").value_or(1.5);
  plan.chunkBytes = o.getInteger("chunk_bytes").value_or(4 << 20);
  const llvm::json::Array *ls = o.getArray("layers");
  if (!ls)
    return err("missing 'layers'");
  if (ls->size() != model.moeLayers.size())
    return err("has " + std::to_string(ls->size()) + " layers but the model " +
               std::to_string(model.moeLayers.size()) + " MoE layers");
  for (const llvm::json::Value &lv : *ls) {
    const llvm::json::Object *lo = lv.getAsObject();
    if (!lo)
      return err("a layer is not an object");
    NdpPlan::Layer l;
    l.index = lo->getInteger("index").value_or(-1);
    auto names = [&](llvm::StringRef key, std::vector<std::string> &out)
        -> llvm::Error {
      if (const llvm::json::Array *a = lo->getArray(key))
        for (const llvm::json::Value &n : *a) {
          auto s = n.getAsString();
          if (!s || !system.lookup(s->str()))
            return err("layer " + std::to_string(l.index) + " '" + key.str() +
                       "' names an unknown device");
          out.push_back(s->str());
        }
      return llvm::Error::success();
    };
    if (llvm::Error e = names("units", l.units))
      return std::move(e);
    if (llvm::Error e = names("expert_unit", l.expertUnit))
      return std::move(e);
    if (const llvm::json::Array *a = lo->getArray("rows"))
      for (const llvm::json::Value &n : *a)
        l.rows.push_back(n.getAsInteger().value_or(0));
    l.reduceOn = lo->getString("reduce_on").value_or("").str();
    if (!l.reduceOn.empty() && !system.lookup(l.reduceOn))
      return err("layer " + std::to_string(l.index) +
                 " reduces on unknown device '" + l.reduceOn + "'");
    if (l.rows.size() != l.units.size())
      return err("layer " + std::to_string(l.index) +
                 " has rows for " + std::to_string(l.rows.size()) +
                 " units but names " + std::to_string(l.units.size()));
    plan.layers.push_back(std::move(l));
  }
  return plan;
}
