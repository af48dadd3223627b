//===- HwSystemModel.cpp - hw.system <-> SystemModel ----------------------===//

#include "moesaic/Dialect/Hw/HwSystemModel.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include <map>

using namespace mlir;
using namespace moesaic;
using namespace moesaic::hw;

static SystemKind toModel(SystemKindAttr kind) {
  switch (kind) {
  case SystemKindAttr::chiplet: return SystemKind::Chiplet;
  case SystemKindAttr::wafer: return SystemKind::Wafer;
  case SystemKindAttr::gpu_ndp: return SystemKind::GpuNdp;
  case SystemKindAttr::gpu_cluster: return SystemKind::GpuCluster;
  }
  return SystemKind::Chiplet;
}

static SystemKindAttr toIR(SystemKind kind) {
  switch (kind) {
  case SystemKind::Chiplet: return SystemKindAttr::chiplet;
  case SystemKind::Wafer: return SystemKindAttr::wafer;
  case SystemKind::GpuNdp: return SystemKindAttr::gpu_ndp;
  case SystemKind::GpuCluster: return SystemKindAttr::gpu_cluster;
  }
  return SystemKindAttr::chiplet;
}

static DeviceKind toModel(DeviceKindAttr kind) {
  switch (kind) {
  case DeviceKindAttr::chiplet: return DeviceKind::Chiplet;
  case DeviceKindAttr::die: return DeviceKind::Die;
  case DeviceKindAttr::gpu: return DeviceKind::Gpu;
  case DeviceKindAttr::ndp: return DeviceKind::Ndp;
  case DeviceKindAttr::cpu: return DeviceKind::Cpu;
  case DeviceKindAttr::switch_: return DeviceKind::Switch;
  }
  return DeviceKind::Chiplet;
}

static DeviceKindAttr toIR(DeviceKind kind) {
  switch (kind) {
  case DeviceKind::Chiplet: return DeviceKindAttr::chiplet;
  case DeviceKind::Die: return DeviceKindAttr::die;
  case DeviceKind::Gpu: return DeviceKindAttr::gpu;
  case DeviceKind::Ndp: return DeviceKindAttr::ndp;
  case DeviceKind::Cpu: return DeviceKindAttr::cpu;
  case DeviceKind::Switch: return DeviceKindAttr::switch_;
  }
  return DeviceKindAttr::chiplet;
}

static TopologyKind toModel(TopologyKindAttr kind) {
  switch (kind) {
  case TopologyKindAttr::ring: return TopologyKind::Ring;
  case TopologyKindAttr::mesh: return TopologyKind::Mesh;
  case TopologyKindAttr::switch_: return TopologyKind::Switch;
  case TopologyKindAttr::pcie: return TopologyKind::Pcie;
  }
  return TopologyKind::Ring;
}

static TopologyKindAttr toIR(TopologyKind kind) {
  switch (kind) {
  case TopologyKind::Mesh: return TopologyKindAttr::mesh;
  case TopologyKind::Switch: return TopologyKindAttr::switch_;
  case TopologyKind::Pcie: return TopologyKindAttr::pcie;
  default: return TopologyKindAttr::ring;
  }
}

static FailureOr<SystemModel> buildModel(SystemOp system, bool routeTables);

FailureOr<SystemModel> moesaic::hw::buildSystemModel(SystemOp system) {
  return buildModel(system, /*routeTables=*/true);
}

LogicalResult moesaic::hw::verifySystemModel(SystemOp system) {
  return success(succeeded(buildModel(system, /*routeTables=*/false)));
}

static FailureOr<SystemModel> buildModel(SystemOp system, bool routeTables) {
  SystemModel model;
  model.name = system.getSourceName().value_or(system.getSymName()).str();
  model.kind = toModel(system.getKind());
  if (auto d = system.getDescription())
    model.description = d->str();

  llvm::StringMap<unsigned> index;
  std::map<std::vector<int64_t>, DeviceOp> byCoord;
  for (DeviceOp dev : system.getBody().getOps<DeviceOp>()) {
    Device d;
    d.name = dev.getSymName().str();
    d.kind = toModel(dev.getKind());
    if (auto coord = dev.getCoord())
      d.coord.assign(coord->begin(), coord->end());
    for (NamedAttribute peak : dev.getPeakTflops())
      if (auto f = dyn_cast<FloatAttr>(peak.getValue()))
        d.peakTflops[peak.getName().str()] = f.getValueAsDouble();
    d.onchipBytes = dev.getOnchipBytes();
    d.offchipBytes = dev.getOffchipBytes();
    d.offchipGBps = dev.getOffchipGbps().convertToDouble();
    if (auto ch = dev.getOffchipChannels())
      d.offchipChannels = *ch;
    if (!d.coord.empty()) {
      // The first device declared at these coordinates (a map, not a scan
      // of every earlier device: thousands of devices were quadratic).
      auto [at, inserted] = byCoord.try_emplace(d.coord, dev);
      if (!inserted) {
        StringRef name = at->second.getSymName();
        InFlightDiagnostic diag = dev.emitOpError()
                                  << "has the coordinates of " << name;
        diag.attachNote(at->second.getLoc()) << name << " is here";
        return diag;
      }
    }
    index[d.name] = model.addDevice(d);
  }
  // Attachments need every device declared first.
  for (DeviceOp dev : system.getBody().getOps<DeviceOp>())
    if (auto host = dev.getAttachedTo()) {
      auto it = index.find(*host);
      if (it == index.end())
        return dev.emitOpError() << "is attached to unknown device @" << *host;
      model.devices[index[dev.getSymName()]].attachedTo = it->second;
    }

  auto resolve = [&](Operation *op, FlatSymbolRefAttr ref,
                     unsigned &out) -> LogicalResult {
    auto it = index.find(ref.getValue());
    if (it == index.end())
      return op->emitOpError() << "refers to unknown device " << ref;
    out = it->second;
    return success();
  };

  // Declarations in order, remembering their ops so that a failure of the
  // whole-system check can point at the right one.
  std::vector<Operation *> linkOps, topoOps;
  for (Operation &op : system.getBody().front()) {
    if (auto link = dyn_cast<LinkOp>(op)) {
      SystemModel::LinkDecl l;
      if (failed(resolve(link, link.getSrcAttr(), l.a)) ||
          failed(resolve(link, link.getDstAttr(), l.b)))
        return failure();
      l.gbps = link.getBw().convertToDouble();
      l.latencyNs = link.getLat().convertToDouble();
      l.bidirectional = link.getBidirectional();
      if (auto t = link.getType())
        l.type = t->str();
      model.linkDecls.push_back(l);
      linkOps.push_back(link);
    } else if (auto topo = dyn_cast<TopologyOp>(op)) {
      SystemModel::TopologyDecl t;
      t.kind = toModel(topo.getKind());
      for (Attribute m : topo.getMembers()) {
        unsigned i = 0;
        if (failed(resolve(topo, cast<FlatSymbolRefAttr>(m), i)))
          return failure();
        t.members.push_back(i);
      }
      if (auto hub = topo.getHubAttr()) {
        unsigned i = 0;
        if (failed(resolve(topo, hub, i)))
          return failure();
        t.hub = i;
      }
      t.rows = topo.getRows().value_or(0);
      t.cols = topo.getCols().value_or(0);
      t.gbps = topo.getBw().convertToDouble();
      t.latencyNs = topo.getLat().convertToDouble();
      if (auto ty = topo.getType())
        t.type = ty->str();
      model.topologyDecls.push_back(t);
      topoOps.push_back(topo);
    }
  }

  if (model.devices.size() > 1 && model.linkDecls.empty() &&
      model.topologyDecls.empty())
    return system.emitOpError()
           << "has " << model.devices.size()
           << " devices but no hw.link or hw.topology joining them";

  std::string problem = routeTables ? model.finalize() : model.check();
  if (!problem.empty()) {
    // Point at the declaration the sentence names where we can.
    // Sentences start with "link <index> " for links; topology problems
    // name their kind ("mesh topology ...", "mesh member ...",
    // "pcie hub ..."), and go to the first topology of that kind.
    Operation *culprit = system;
    for (auto [i, op] : llvm::enumerate(linkOps))
      if (problem.rfind("link " + std::to_string(i) + " ", 0) == 0)
        culprit = op;
    if (culprit == system)
      for (auto [op, decl] : llvm::zip(topoOps, model.topologyDecls)) {
        std::string kind = toString(decl.kind);
        if (problem.rfind(kind + " topology", 0) == 0 ||
            problem.rfind(kind + " member", 0) == 0 ||
            problem.rfind(kind + " hub", 0) == 0) {
          culprit = op;
          break;
        }
      }
    return culprit->emitOpError() << problem;
  }
  return model;
}

std::string moesaic::hw::systemSymbolName(llvm::StringRef name) {
  std::string sym = name.str();
  for (char &c : sym)
    if (!llvm::isAlnum(c) && c != '_')
      c = '_';
  if (sym.empty() || llvm::isDigit(sym[0]))
    sym = "sys_" + sym;
  return sym;
}

SystemOp moesaic::hw::emitSystem(OpBuilder &builder, Location loc,
                                 const SystemModel &model) {
  MLIRContext *ctx = builder.getContext();
  auto system = builder.create<SystemOp>(
      loc, builder.getStringAttr(systemSymbolName(model.name)),
      SystemKindAttrAttr::get(ctx, toIR(model.kind)),
      model.description.empty() ? StringAttr()
                                : builder.getStringAttr(model.description),
      systemSymbolName(model.name) == model.name
          ? StringAttr()
          : builder.getStringAttr(model.name));
  Block *body = new Block();
  system.getBody().push_back(body);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(body);
  auto ref = [&](unsigned i) {
    return FlatSymbolRefAttr::get(ctx, model.devices[i].name);
  };
  for (const Device &d : model.devices) {
    if (d.implicit)
      continue;
    SmallVector<NamedAttribute> peaks;
    for (auto &[dtype, tflops] : d.peakTflops)
      peaks.push_back(builder.getNamedAttr(dtype, builder.getF64FloatAttr(tflops)));
    auto dev = builder.create<DeviceOp>(
        loc, builder.getStringAttr(d.name),
        DeviceKindAttrAttr::get(ctx, toIR(d.kind)),
        d.coord.empty() ? DenseI64ArrayAttr()
                        : builder.getDenseI64ArrayAttr(d.coord),
        builder.getDictionaryAttr(peaks),
        builder.getI64IntegerAttr(d.onchipBytes),
        builder.getI64IntegerAttr(d.offchipBytes),
        builder.getF64FloatAttr(d.offchipGBps),
        d.offchipChannels != 1 ? builder.getI64IntegerAttr(d.offchipChannels)
                               : IntegerAttr(),
        d.attachedTo ? ref(*d.attachedTo) : FlatSymbolRefAttr());
    (void)dev;
  }
  for (const SystemModel::LinkDecl &l : model.linkDecls)
    builder.create<LinkOp>(loc, ref(l.a), ref(l.b),
                           builder.getF64FloatAttr(l.gbps),
                           builder.getF64FloatAttr(l.latencyNs),
                           l.bidirectional ? builder.getUnitAttr() : UnitAttr(),
                           l.type.empty() ? StringAttr()
                                          : builder.getStringAttr(l.type));
  for (const SystemModel::TopologyDecl &t : model.topologyDecls) {
    SmallVector<Attribute> members;
    for (unsigned m : t.members)
      members.push_back(ref(m));
    bool mesh = t.kind == TopologyKind::Mesh;
    builder.create<TopologyOp>(
        loc, TopologyKindAttrAttr::get(ctx, toIR(t.kind)),
        builder.getArrayAttr(members),
        mesh ? builder.getI64IntegerAttr(t.rows) : IntegerAttr(),
        mesh ? builder.getI64IntegerAttr(t.cols) : IntegerAttr(),
        t.hub ? ref(*t.hub) : FlatSymbolRefAttr(),
        builder.getF64FloatAttr(t.gbps), builder.getF64FloatAttr(t.latencyNs),
        t.type.empty() ? StringAttr() : builder.getStringAttr(t.type));
  }
  return system;
}

SystemOp moesaic::hw::findSystem(Operation *module) {
  SystemOp found;
  module->walk([&](SystemOp op) {
    found = op;
    return WalkResult::interrupt();
  });
  return found;
}
