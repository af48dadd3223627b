//===- HwWaferOps.cpp - Verifiers and JSON export of the wafer ops --------===//

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Dialect/Hw/HwScheduleExport.h"

#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace moesaic::hw;

//===----------------------------------------------------------------------===//
// hw.wafer_rings
//===----------------------------------------------------------------------===//

LogicalResult WaferRingsOp::verify() {
  if (getDispatch() != "owner" && getDispatch() != "domain")
    return emitOpError() << "dispatch must be \"owner\" or \"domain\", not \""
                         << getDispatch() << "\"";
  auto check = [&](ArrayAttr sets, StringRef what) -> LogicalResult {
    llvm::DenseSet<Attribute> seen;
    size_t total = 0;
    for (Attribute set : sets) {
      ArrayAttr members = cast<ArrayAttr>(set);
      if (members.empty())
        return emitOpError() << "has an empty entry in " << what;
      for (Attribute m : members) {
        ++total;
        if (!seen.insert(m).second)
          return emitOpError() << "lists " << m << " twice in " << what;
      }
    }
    return success();
  };
  if (getRings().empty())
    return emitOpError() << "needs at least one ring";
  if (failed(check(getRings(), "rings")) ||
      failed(check(getDomains(), "domains")))
    return failure();
  size_t ringDies = 0, domainDies = 0;
  for (Attribute r : getRings())
    ringDies += cast<ArrayAttr>(r).size();
  for (Attribute d : getDomains())
    domainDies += cast<ArrayAttr>(d).size();
  if (ringDies != domainDies)
    return emitOpError() << "rings cover " << ringDies
                         << " dies but domains cover " << domainDies;
  return success();
}

int64_t WaferRingsOp::getEntryLayer() { return -1; }

void WaferRingsOp::exportTo(llvm::json::Object &layerEntry) {
  llvm::json::Array rings, domains;
  for (Attribute r : getRings())
    rings.push_back(deviceNames(cast<ArrayAttr>(r)));
  for (Attribute d : getDomains())
    domains.push_back(deviceNames(cast<ArrayAttr>(d)));
  layerEntry["wafer_rings"] =
      llvm::json::Object{{"dispatch", getDispatch().str()},
                         {"rings", std::move(rings)},
                         {"domains", std::move(domains)}};
}

//===----------------------------------------------------------------------===//
// hw.wafer_experts
//===----------------------------------------------------------------------===//

LogicalResult WaferExpertsOp::verify() {
  int64_t experts = (int64_t)getExperts(), shards = (int64_t)getShards(),
          perDie = (int64_t)getPerDie();
  if (experts < 1 || shards < 1 || perDie < 1)
    return emitOpError() << "experts, shards and per_die must be positive";
  if ((int64_t)getUnits().size() != experts * shards)
    return emitOpError() << "places " << getUnits().size()
                         << " units but " << experts << " experts x "
                         << shards << " shards need " << experts * shards;
  llvm::DenseMap<Attribute, int64_t> count;
  for (Attribute u : getUnits())
    if (++count[u] > perDie)
      return emitOpError() << "puts more than " << perDie
                           << " expert units on " << u;
  for (int64_t e = 0; e < experts; ++e) {
    llvm::DenseSet<Attribute> dies;
    for (int64_t s = 0; s < shards; ++s)
      if (!dies.insert(getUnits()[e * shards + s]).second)
        return emitOpError() << "puts two shards of expert " << e << " on "
                             << getUnits()[e * shards + s];
  }
  return success();
}

int64_t WaferExpertsOp::getEntryLayer() { return -1; }

void WaferExpertsOp::exportTo(llvm::json::Object &layerEntry) {
  layerEntry["wafer_experts"] =
      llvm::json::Object{{"experts", (int64_t)getExperts()},
                         {"shards", (int64_t)getShards()},
                         {"per_die", (int64_t)getPerDie()},
                         {"units", deviceNames(getUnits())}};
}

//===----------------------------------------------------------------------===//
// hw.wafer_balancer
//===----------------------------------------------------------------------===//

LogicalResult WaferBalancerOp::verify() {
  if (getStaging() != "non-invasive" && getStaging() != "stop-the-world")
    return emitOpError() << "staging must be \"non-invasive\" or "
                            "\"stop-the-world\", not \""
                         << getStaging() << "\"";
  if ((int64_t)getWindow() < 1 || (int64_t)getMaxSwaps() < 1 ||
      (int64_t)getCooldown() < 1 || (int64_t)getChunks() < 1 ||
      (int64_t)getHorizon() < 1)
    return emitOpError()
           << "window, max_swaps, cooldown, chunks and horizon must be "
              "positive";
  if (getTrigger().convertToDouble() <= 1.0)
    return emitOpError() << "trigger must exceed 1 (a busiest-to-mean die "
                            "load ratio), got "
                         << getTrigger().convertToDouble();
  double cold = getColdFraction().convertToDouble();
  if (cold <= 0 || cold > 1)
    return emitOpError() << "cold_fraction must be in (0, 1], got " << cold;
  return success();
}

int64_t WaferBalancerOp::getEntryLayer() { return -1; }

void WaferBalancerOp::exportTo(llvm::json::Object &layerEntry) {
  layerEntry["wafer_balancer"] = llvm::json::Object{
      {"staging", getStaging().str()},
      {"window", (int64_t)getWindow()},
      {"trigger", getTrigger().convertToDouble()},
      {"max_swaps", (int64_t)getMaxSwaps()},
      {"cooldown", (int64_t)getCooldown()},
      {"chunks", (int64_t)getChunks()},
      {"cold_fraction", getColdFraction().convertToDouble()},
      {"horizon", (int64_t)getHorizon()}};
}
