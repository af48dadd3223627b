//===- FseDpSchedule.h - What the FSE-DP passes share -----------*- C++ -*-===//
//
// The three FSE-DP passes work on the last hw.schedule of the module, its
// target model and (for sizing) its model description. `getFseDpTarget`
// finds them and reports a missing or unsuitable piece as one error.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_LIB_TRANSFORMS_FSEDPSCHEDULE_H
#define MOESAIC_LIB_TRANSFORMS_FSEDPSCHEDULE_H

#include "moesaic/Dialect/Hw/HwOps.h"
#include "moesaic/Dialect/Hw/HwSystemModel.h"
#include "moesaic/Dialect/Moe/MoeModelDesc.h"
#include "moesaic/Runtime/FseDp/RingEmbedding.h"

#include "mlir/IR/BuiltinOps.h"

namespace moesaic::fsedp {

struct FseDpTarget {
  hw::ScheduleOp schedule;
  hw::SystemOp systemOp;
  SystemModel system;
};

/// The last hw.schedule of `module` and its chiplet target; emits an error
/// and fails when there is none or the target is not a chiplet system.
inline mlir::FailureOr<FseDpTarget> getFseDpTarget(mlir::ModuleOp module,
                                                   llvm::StringRef pass) {
  FseDpTarget t;
  module.walk([&](hw::ScheduleOp s) { t.schedule = s; });
  if (!t.schedule)
    return module.emitError()
           << pass << " needs a hw.schedule (run moe-create-schedule first)";
  t.systemOp = t.schedule.getTargetSystem();
  if (!t.systemOp)
    return t.schedule.emitError()
           << "targets " << t.schedule.getTargetAttr()
           << ", which is not a hw.system here";
  mlir::FailureOr<SystemModel> system = hw::buildSystemModel(t.systemOp);
  if (mlir::failed(system))
    return mlir::failure();
  t.system = std::move(*system);
  if (t.system.kind != SystemKind::Chiplet)
    return t.schedule.emitError()
           << "fse-dp serves chiplet systems only; '" << t.system.name
           << "' is a " << toString(t.system.kind) << " system";
  return t;
}

/// The schedule's hw.stream_ring as a verified embedding.
inline mlir::FailureOr<RingEmbedding> getRing(const FseDpTarget &t,
                                              llvm::StringRef pass) {
  hw::StreamRingOp ringOp;
  hw::ScheduleOp schedule = t.schedule;
  for (mlir::Operation &op : schedule.getBody().front())
    if (auto r = llvm::dyn_cast<hw::StreamRingOp>(op))
      ringOp = r;
  if (!ringOp)
    return schedule.emitError()
           << pass << " needs a hw.stream_ring (run moe-fsedp-virtualize "
           << "first)";
  std::vector<unsigned> order;
  for (mlir::Attribute a : ringOp.getOrder()) {
    auto name = llvm::cast<mlir::FlatSymbolRefAttr>(a).getValue().str();
    std::optional<unsigned> d = t.system.lookup(name);
    if (!d)
      return ringOp.emitError() << "ring chiplet @" << name << " is unknown";
    order.push_back(*d);
  }
  llvm::Expected<RingEmbedding> ring =
      makeRing(t.system, std::move(order), ringOp.getRule().str());
  if (!ring)
    return ringOp.emitError() << llvm::toString(ring.takeError());
  return std::move(*ring);
}

} // namespace moesaic::fsedp

#endif // MOESAIC_LIB_TRANSFORMS_FSEDPSCHEDULE_H
