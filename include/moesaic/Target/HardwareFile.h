//===- HardwareFile.h - JSON hardware descriptions and presets --*- C++ -*-===//
//
// Loads and validates hardware description files (docs/hardware.md gives
// the format) into a finalized SystemModel, and serves the presets shipped
// under hardware/ (embedded in the binary at build time, so they work from
// any directory). No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_TARGET_HARDWAREFILE_H
#define MOESAIC_TARGET_HARDWAREFILE_H

#include "moesaic/Target/SystemModel.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace moesaic {

/// Parses a hardware description. `sourceName` names the input in errors
/// ("hardware file 'x.json': devices[2]: 'offchip_gbps' must be a positive
/// number").
llvm::Expected<SystemModel> parseHardwareJSON(llvm::StringRef text,
                                              llvm::StringRef sourceName);

/// Reads and parses a file (at most 16 MiB).
llvm::Expected<SystemModel> loadHardwareFile(llvm::StringRef path);

/// A preset name (see listPresets) or a path to a file. A name that is
/// neither gets an error listing the presets.
llvm::Expected<SystemModel> loadHardware(llvm::StringRef nameOrPath);

struct PresetInfo {
  std::string name;
  std::string kind;
  std::string summary;
  /// The preset's JSON text, as shipped in hardware/<name>.json.
  llvm::StringRef text;
};
/// Every shipped preset, sorted by name.
const std::vector<PresetInfo> &listPresets();

/// The name of the preset used when none is given.
llvm::StringRef defaultPresetName();

/// Serialises a system to the file format (devices and declarations as
/// given, not expanded); parseHardwareJSON(toJSON(s)) gives s back.
llvm::json::Value toJSON(const SystemModel &system);

/// The report's short "hardware" section: name, kind, num_devices, totals.
llvm::json::Object hardwareSummary(const SystemModel &system);

} // namespace moesaic

#endif // MOESAIC_TARGET_HARDWAREFILE_H
