//===- Catalog.cpp - Registration, hardware presets and facts -------------===//

#include "Workspace.h"
#include "moesaic/InitAll.h"
#include "moesaic/Target/HardwareFile.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

using namespace moesaic;
using namespace moesaic::python;
namespace json = llvm::json;

void moesaic::python::initialize() { registerAllPasses(); }

std::vector<HardwareEntry> moesaic::python::listHardware() {
  std::vector<HardwareEntry> out;
  for (const PresetInfo &p : listPresets())
    out.push_back({p.name, p.kind, p.summary});
  return out;
}

/// The system's facts as the Python module shows them: the report's
/// summary fields, then every device and directed link after expansion.
static json::Object describeSystem(const SystemModel &sys) {
  json::Object o = hardwareSummary(sys);
  o["description"] = sys.description;
  json::Array devices;
  for (unsigned d = 0; d < sys.numDevices(); ++d) {
    const Device &dev = sys.devices[d];
    json::Object peak;
    for (const auto &[dtype, tflops] : dev.peakTflops)
      peak[dtype] = tflops;
    json::Array coord;
    for (int64_t c : dev.coord)
      coord.push_back(c);
    json::Object entry{{"name", dev.name},
                       {"kind", toString(dev.kind)},
                       {"coord", std::move(coord)},
                       {"peak_tflops", std::move(peak)},
                       {"onchip_bytes", dev.onchipBytes},
                       {"offchip_bytes", dev.offchipBytes},
                       {"offchip_gbps", dev.offchipGBps},
                       {"implicit", dev.implicit}};
    if (dev.attachedTo)
      entry["attached_to"] = sys.devices[*dev.attachedTo].name;
    devices.push_back(std::move(entry));
  }
  o["devices"] = std::move(devices);
  json::Array accel;
  for (unsigned d : sys.acceleratorDevices())
    accel.push_back(sys.devices[d].name);
  o["accelerators"] = std::move(accel);
  json::Array links;
  for (const Link &link : sys.links)
    links.push_back(json::Object{{"src", sys.devices[link.src].name},
                                 {"dst", sys.devices[link.dst].name},
                                 {"bandwidth_gbps", link.bandwidthGBps},
                                 {"latency_ns", link.latencyNs},
                                 {"kind", link.kind}});
  o["links"] = std::move(links);
  json::Object sources;
  for (const auto &[field, source] : sys.sources)
    sources[field] = source;
  o["sources"] = std::move(sources);
  o["file"] = toJSON(sys);
  return o;
}

std::string moesaic::python::hardwareFactsJSON(const SystemModel &sys) {
  return llvm::formatv("{0}", json::Value(describeSystem(sys))).str();
}

std::optional<std::string>
moesaic::python::hardwareJSON(const std::string &nameOrPath,
                              Diagnostics &diags) {
  llvm::Expected<SystemModel> sys = loadHardware(nameOrPath);
  if (!sys) {
    diags.add("error", "", llvm::toString(sys.takeError()));
    return std::nullopt;
  }
  return hardwareFactsJSON(*sys);
}
