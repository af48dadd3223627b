//===- NdpPlan.cpp - The static half of a GPU-NDP schedule ----------------===//

#include "moesaic/Runtime/Ndp/NdpPlan.h"
#include "moesaic/Runtime/Ndp/Balancer.h"

#include "moesaic/Support/NumberFormat.h"
#include "moesaic/Support/JsonIntegers.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <map>

using namespace moesaic;
using namespace moesaic::ndp;

/// "4.5 MiB (4718592 bytes)": readable at any size, exact for checking.
static std::string gib(int64_t bytes) {
  return humanBytes(bytes) + " (" + std::to_string(bytes) + " bytes)";
}

llvm::Expected<unsigned> moesaic::ndp::findGpu(const SystemModel &system) {
  std::vector<unsigned> gpus;
  for (unsigned d : system.acceleratorDevices())
    if (system.devices[d].kind == DeviceKind::Gpu)
      gpus.push_back(d);
  if (gpus.size() > 1)
    return llvm::createStringError(
        "hardware '" + system.name + "' has " + std::to_string(gpus.size()) +
        " GPUs ('" + system.devices[gpus[0]].name + "', '" +
        system.devices[gpus[1]].name + "'" + (gpus.size() > 2 ? ", ..." : "") +
        "): the GPU-NDP strategies model one GPU plus NDP units (the others "
        "would sit idle)");
  if (gpus.size() == 1)
    return gpus[0];
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

llvm::Expected<NdpPlan> moesaic::ndp::parseNdpPlan(
    const llvm::json::Object &schedule, const SystemModel &system,
    const ModelDesc &model) {
  auto err = [](const std::string &msg) {
    return llvm::createStringError("schedule: " + msg);
  };
  NdpPlan plan;
  plan.strategy = schedule.getString("strategy").value_or("").str();
  const llvm::json::Array *ls = schedule.getArray("layers");
  if (!ls)
    return err("no 'layers'");
  const llvm::json::Object *vram = nullptr, *balance = nullptr;
  std::map<int64_t, const llvm::json::Object *> byIndex;
  for (const llvm::json::Value &lv : *ls) {
    const llvm::json::Object *lo = lv.getAsObject();
    if (!lo)
      return err("a layer entry is not an object");
    int64_t index = jsonInteger(*lo, "index").value_or(-2);
    if (index == -1) {
      vram = lo->getObject("ndp_vram_plan");
      balance = lo->getObject("ndp_balance");
    } else {
      byIndex[index] = lo;
    }
  }
  if (!vram)
    return err("no 'ndp_vram_plan' (the schedule was not made by a GPU-NDP "
               "strategy)");
  if (!balance)
    return err("no 'ndp_balance'");
  plan.gpu = vram->getString("gpu").value_or("").str();
  auto gpu = system.lookup(plan.gpu);
  if (!gpu)
    return err("'ndp_vram_plan' names unknown GPU '" + plan.gpu + "'");
  plan.vram.gpu = *gpu;
  plan.vram.vramBytes = jsonInteger(*vram, "vram_bytes").value_or(0);
  plan.vram.nonExpertBytes = jsonInteger(*vram, "non_expert_bytes").value_or(0);
  plan.vram.kvBytes = jsonInteger(*vram, "kv_bytes").value_or(0);
  plan.vram.workspaceBytes = jsonInteger(*vram, "workspace_bytes").value_or(0);
  plan.vram.expertCacheBytes =
      jsonInteger(*vram, "expert_cache_bytes").value_or(0);
  plan.cachePolicy = vram->getString("policy").value_or("online").str();
  plan.decay = vram->getNumber("decay").value_or(0.9);
  plan.hysteresis = vram->getNumber("hysteresis").value_or(1.5);
  plan.chunkBytes = jsonInteger(*vram, "chunk_bytes").value_or(4 << 20);
  plan.coldOn = balance->getString("cold").value_or("ndp-tp").str();
  plan.granularity = (int)jsonInteger(*balance, "granularity").value_or(4);

  auto unknown = [&](int64_t layer, llvm::StringRef what,
                     llvm::StringRef name) {
    return err("layer " + std::to_string(layer) + " '" + what.str() +
               "' names unknown device '" + name.str() + "'");
  };
  for (const MoeLayerDesc &l : model.moeLayers) {
    NdpPlan::Layer pl;
    pl.index = l.index;
    auto it = byIndex.find(l.index);
    const llvm::json::Object *lo = it == byIndex.end() ? nullptr : it->second;
    if (plan.coldOn == "ndp-tp") {
      const llvm::json::Object *ts =
          lo ? lo->getObject("ndp_tensor_split") : nullptr;
      if (!ts)
        return err("MoE layer " + std::to_string(l.index) +
                   " has no 'ndp_tensor_split'");
      if (const llvm::json::Array *u = ts->getArray("units"))
        for (const llvm::json::Value &n : *u) {
          std::string name = n.getAsString().value_or("").str();
          if (!system.lookup(name))
            return unknown(l.index, "units", name);
          pl.units.push_back(name);
        }
      if (const llvm::json::Array *r = ts->getArray("rows"))
        for (const llvm::json::Value &n : *r)
          pl.rows.push_back(jsonInteger(n).value_or(0));
      pl.reduceOn = ts->getString("reduce_on").value_or("").str();
      if (!system.lookup(pl.reduceOn))
        return unknown(l.index, "reduce_on", pl.reduceOn);
      if (pl.rows.size() != pl.units.size() ||
          pl.units.size() != system.ndpDevices().size())
        return err("MoE layer " + std::to_string(l.index) +
                   " splits across " + std::to_string(pl.units.size()) +
                   " units with " + std::to_string(pl.rows.size()) +
                   " row counts; the system has " +
                   std::to_string(system.ndpDevices().size()) + " NDP units");
      for (size_t u = 0; u < pl.units.size(); ++u)
        if (*system.lookup(pl.units[u]) != system.ndpDevices()[u])
          return err("MoE layer " + std::to_string(l.index) +
                     " lists the NDP units out of order");
    } else if (plan.coldOn == "ndp-ep") {
      const llvm::json::Array *pa =
          lo ? lo->getArray("expert_placement") : nullptr;
      if (!pa || (int64_t)pa->size() != l.numExperts)
        return err("MoE layer " + std::to_string(l.index) +
                   " has no 'expert_placement' of its " +
                   std::to_string(l.numExperts) + " experts");
      for (const llvm::json::Value &e : *pa) {
        const llvm::json::Array *devs = e.getAsArray();
        std::string name = devs && !devs->empty()
                               ? (*devs)[0].getAsString().value_or("").str()
                               : "";
        auto d = system.lookup(name);
        if (!d || system.devices[*d].kind != DeviceKind::Ndp)
          return err("MoE layer " + std::to_string(l.index) +
                     " places an expert on '" + name +
                     "', which is not an NDP unit");
        pl.expertUnit.push_back(name);
      }
    }
    plan.layers.push_back(std::move(pl));
  }
  return plan;
}
