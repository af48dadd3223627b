//===- HardwareFileFuzzer.cpp - Fuzz the hardware-file loader -------------===//
//
// bytes -> parseHardwareJSON (validates and finalizes) -> emitSystem ->
// verify -> buildSystemModel, and toJSON -> parseHardwareJSON. Any file the
// loader accepts must give a hw.system that verifies and reads back, and
// must survive its own serialisation.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "moesaic/Dialect/Hw/HwDialect.h"
#include "moesaic/Dialect/Hw/HwSystemModel.h"
#include "moesaic/Target/HardwareFile.h"

#include "mlir/IR/Builders.h"

#include <cstddef>
#include <cstdint>

using namespace moesaic;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Only the hw dialect: this target links the Target and Dialect
  // libraries alone, so it builds (and runs) without the rest.
  static fuzz::ContextPool pool([](mlir::DialectRegistry &registry) {
    registry.insert<hw::HwDialect>();
  });
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<SystemModel> system = parseHardwareJSON(text, "fuzz.json");
  if (!system) {
    llvm::consumeError(system.takeError());
    return 0;
  }
  fuzz::fuzzInvariant(system->isFinalized(),
                      "parseHardwareJSON returned an unfinalized system");

  // The serialised form parses back.
  std::string json;
  llvm::raw_string_ostream os(json);
  os << toJSON(*system);
  os.flush();
  llvm::Expected<SystemModel> again = parseHardwareJSON(json, "round-trip");
  if (!again) {
    std::fprintf(stderr, "%s\n", llvm::toString(again.takeError()).c_str());
    fuzz::fail("toJSON output of an accepted file does not parse");
  }
  fuzz::fuzzInvariant(again->devices.size() == system->devices.size(),
                      "round trip changed the device count");

  // The hw dialect form verifies and gives the same system back.
  mlir::MLIRContext &context = pool.get();
  mlir::OpBuilder builder(&context);
  mlir::Location loc = builder.getUnknownLoc();
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module->getBody());
  hw::SystemOp op = hw::emitSystem(builder, loc, *system);
  fuzz::fuzzInvariant(static_cast<bool>(op), "emitSystem returned null");
  fuzz::fuzzInvariant(mlir::succeeded(mlir::verify(*module)),
                      "the hw.system of an accepted file does not verify");
  mlir::FailureOr<SystemModel> back = hw::buildSystemModel(op);
  fuzz::fuzzInvariant(mlir::succeeded(back),
                      "buildSystemModel refuses an emitted hw.system");
  fuzz::fuzzInvariant(back->devices.size() == system->devices.size(),
                      "hw.system round trip changed the device count");
  return 0;
}
