//===- Compiler.h - What the Python module asks of the compiler -*- C++ -*-===//
//
// The C++ half of `import moesaic`, in plain C++ types so that the pybind11
// file (MoesaicModule.cpp) stays a thin translation layer. Everything here
// works on its own MLIRContext and reports problems as captured
// diagnostics, never on stderr; nothing here touches Python, so callers may
// release the GIL around any of it.
//
//===----------------------------------------------------------------------===//

#ifndef MOESAIC_PYTHON_COMPILER_H
#define MOESAIC_PYTHON_COMPILER_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace moesaic::python {

/// One captured MLIR diagnostic (with its notes), rendered as text.
struct Diagnostic {
  std::string severity; ///< "error", "warning", "remark", "note"
  std::string location; ///< "file:line:col", or "" when unknown
  std::string message;
  /// "location: severity: message", followed by one line per note.
  std::string text;
};

/// Everything one operation reported.
struct Diagnostics {
  std::vector<Diagnostic> entries;

  void add(std::string severity, std::string location, std::string message);
  bool hasErrors() const;
  /// Every error (and its notes), one per line; "" when none.
  std::string errorText() const;
  /// The text of every warning.
  std::vector<std::string> warnings() const;
};

/// Registers the dialects, passes and strategies (idempotent, thread-safe).
void initialize();

/// Where a model comes from.
struct ModelSource {
  enum Kind {
    MlirText,  ///< `data` holds MLIR text (or bytecode).
    MlirFile,  ///< `data` is a path to an .mlir/.mlirbc file.
    OnnxFile,  ///< `data` is a path to an .onnx/.onnxtext file.
    OnnxBytes, ///< `data` holds a serialized ONNX ModelProto.
  };
  Kind kind = MlirText;
  std::string data;
  /// Names the input in diagnostics ("<string>", the file name...).
  std::string name;
};

/// Picks the kind of a path from its extension (.onnx/.onnxtext: ONNX).
ModelSource sourceForPath(const std::string &path);

/// Whether this build includes the ONNX frontend.
bool haveOnnx();

/// A parsed or imported module with its own MLIRContext. Not thread-safe:
/// the Python wrapper serialises calls on one Model (it holds the GIL).
class Model {
public:
  ~Model();
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  /// Loads a model; null with `diags` holding the errors on failure.
  static std::unique_ptr<Model> load(const ModelSource &source,
                                     Diagnostics &diags);

  /// The module as MLIR text.
  std::string text(bool debugInfo = false) const;
  /// The module as MLIR bytecode (how a Model travels into a compile).
  std::string bytecode() const;
  /// The report's "model" section of the first moe.model, as JSON text;
  /// nullopt with errors in `diags` when the module has none or it cannot
  /// be described.
  std::optional<std::string> summaryJSON(Diagnostics &diags) const;
  /// The name the input was loaded under.
  const std::string &sourceName() const;

  struct Impl;

private:
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

/// One compile or comparison.
struct CompileRequest {
  ModelSource model;
  /// Preset name or path; "" uses the module's own hw.system, or the
  /// default preset when it has none.
  std::string hw;
  /// One strategy (compile) or several (compare).
  std::vector<std::string> strategies;
  /// A workload spec ("batch=8,trace=zipf:1.2,seed=0,steps=64"); "" for the
  /// defaults.
  std::string workload;
  /// Record per-task times and build the Chrome trace.
  bool timeline = true;
  /// With one strategy: lower the module itself, so the output MLIR holds
  /// the lowered IR (compile), rather than a clone (compare).
  bool lowerInPlace = false;
  /// Where the runtimes take their decisions: "direct" or "dataflow" (the
  /// schedule's when/where programs, docs/dataflow.md).
  std::string runtime = "direct";
  /// Simulator task granularity: "fine" or "coarse" (EvaluateOptions).
  std::string taskGranularity = "fine";
  /// Build the strategies' when/where programs into the schedule and the
  /// lowered MLIR (EvaluateOptions::dataflowPrograms); the "dataflow"
  /// runtime builds them regardless.
  bool dataflowPrograms = true;
};

/// What a compile produced, as JSON/MLIR text.
struct CompileOutput {
  std::string reportJSON;
  /// The report as moe-opt's --report-format=text table.
  std::string reportText;
  std::string scheduleJSON;
  std::string timelineJSON; ///< "" when not requested
  std::string hardwareJSON; ///< hardwareJSON() of the target compiled for
  /// The module after compilation: lowered in place (lowerInPlace), else
  /// the input with its target attached.
  std::string mlir;
};

/// Whether this build can compile (has the strategy evaluation path).
/// Lowers, simulates and reports; nullopt with errors in `diags`.
std::optional<CompileOutput> compile(const CompileRequest &request,
                                     Diagnostics &diags);

/// A hardware preset or file: its file form plus the expanded facts
/// ("devices" with coordinates and memories, directed "links") and the
/// report's summary fields, as JSON text.
std::optional<std::string> hardwareJSON(const std::string &nameOrPath,
                                        Diagnostics &diags);

struct HardwareEntry {
  std::string name, kind, summary;
};
std::vector<HardwareEntry> listHardware();

struct StrategyEntry {
  std::string name, summary;
  std::vector<std::string> targets;
  /// What `name{key=value ...}` may set: name, default, passes taking it.
  struct Option {
    std::string name, value;
    std::vector<std::string> passes;
  };
  std::vector<Option> options;
};
std::vector<StrategyEntry> listStrategies();

} // namespace moesaic::python

#endif // MOESAIC_PYTHON_COMPILER_H
