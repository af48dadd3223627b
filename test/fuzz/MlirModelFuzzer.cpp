//===- MlirModelFuzzer.cpp - Fuzz the .mlir parser, verifiers, pipeline ---===//
//
// bytes -> parse (moe + hw dialects) -> verify -> attach a preset and lower
// with the `ep` strategy, verifying after every pass. Parse and verifier
// rejections are the expected outcome; a crash, a sanitizer report or a
// successful pipeline that leaves invalid IR is a bug.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"
#include "moesaic/Support/InputChecks.h"

#include "mlir/Parser/Parser.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace moesaic;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz::ContextPool pool;
  mlir::MLIRContext &context = pool.get();
  // MLIR's lexer needs a NUL after the buffer, as every file moe-opt reads
  // has (MemoryBuffer); libFuzzer's bytes do not, so copy them.
  std::string text(reinterpret_cast<const char *>(data), size);
  // What moe-opt and the Python module refuse before parsing (the parser
  // recurses per level), the fuzzer does not hand to the parser either.
  if (mlirNestingProblem(text))
    return 0;
  mlir::ParserConfig config(&context, /*verifyAfterParse=*/true);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, config, "fuzz.mlir");
  if (!module)
    return 0;
  fuzz::runPipeline(*module, fuzz::kDefaultPipeline);
  return 0;
}
