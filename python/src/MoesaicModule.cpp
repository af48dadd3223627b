//===- MoesaicModule.cpp - The moesaic._core extension --------------------===//
//
// pybind11 bindings over Compiler.h. Inputs are copied into C++ strings and
// the GIL is released around every load and compile, so Python threads
// compile concurrently (each on its own MLIRContext). Failures raise
// moesaic.Error with the captured diagnostics; warnings are handed back
// for the Python layer to issue through the `warnings` module.
//
//===----------------------------------------------------------------------===//

#include "Compiler.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;
using namespace moesaic::python;

namespace {
/// Thrown by the bindings, translated into moesaic.Error.
struct Failure {
  Diagnostics diags;
  std::string fallback;
};

PyObject *errorType = nullptr;

py::list diagnosticList(const Diagnostics &diags) {
  py::list out;
  for (const Diagnostic &d : diags.entries) {
    py::dict entry;
    entry["severity"] = d.severity;
    entry["location"] = d.location;
    entry["message"] = d.message;
    entry["text"] = d.text;
    out.append(entry);
  }
  return out;
}

py::list warningList(const Diagnostics &diags) {
  py::list out;
  for (const std::string &w : diags.warnings())
    out.append(w);
  return out;
}

py::object loadsJSON(const std::string &text) {
  return py::module_::import("json").attr("loads")(text);
}

/// A loaded module plus the warnings its loading produced.
struct PyModule {
  std::unique_ptr<Model> model;
  Diagnostics loadDiags;
};

PyModule loadModule(const ModelSource &source) {
  Diagnostics diags;
  std::unique_ptr<Model> model;
  {
    py::gil_scoped_release release;
    model = Model::load(source, diags);
  }
  if (!model)
    throw Failure{std::move(diags), "could not load '" + source.name + "'"};
  return PyModule{std::move(model), std::move(diags)};
}

/// Bytes or str -> a C++ string (bytes are taken as is).
std::string bytesOf(const py::object &data) {
  if (py::isinstance<py::bytes>(data))
    return data.cast<std::string>();
  if (py::isinstance<py::bytearray>(data))
    return py::bytes(data.cast<py::bytearray>()).cast<std::string>();
  if (py::isinstance<py::memoryview>(data))
    return py::bytes(data).cast<std::string>();
  return data.cast<std::string>();
}
} // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "Moesaic's compiler, registered as in moe-opt (internal module; "
            "use the `moesaic` package)";
  initialize();

  errorType = PyErr_NewExceptionWithDoc(
      "moesaic.Error",
      "A Moesaic failure. str(e) is the diagnostics text; e.diagnostics "
      "lists each diagnostic as a dict (severity, location, message, text).",
      PyExc_Exception, py::dict(py::arg("diagnostics") = py::tuple()).ptr());
  m.attr("Error") = py::handle(errorType);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p)
        std::rethrow_exception(p);
    } catch (const Failure &f) {
      std::string text = f.diags.errorText();
      if (text.empty())
        text = f.fallback;
      py::object error = py::reinterpret_borrow<py::object>(errorType)(text);
      error.attr("diagnostics") = diagnosticList(f.diags);
      PyErr_SetObject(errorType, error.ptr());
    }
  });

  py::class_<PyModule>(m, "Module", R"doc(
A Moesaic module (moe dialect, optionally with a hw.system and schedules).
str(module) is its MLIR text. Build one with moesaic.import_onnx(),
moesaic.parse() or Module.from_file().)doc")
      .def_static(
          "parse",
          [](const py::object &text, const std::string &name) {
            ModelSource source;
            source.kind = ModelSource::MlirText;
            source.data = bytesOf(text);
            source.name = name;
            return loadModule(source);
          },
          py::arg("text"), py::arg("name") = "<string>",
          "Parses MLIR text (or bytecode) into a Module.")
      .def_static(
          "from_file",
          [](const py::object &path) {
            std::string p =
                py::str(py::module_::import("os").attr("fspath")(path));
            return loadModule(sourceForPath(p));
          },
          py::arg("path"),
          "Loads an .mlir/.mlirbc file, or imports an .onnx/.onnxtext file.")
      .def_static(
          "from_onnx_bytes",
          [](const py::object &data, const std::string &name) {
            ModelSource source;
            source.kind = ModelSource::OnnxBytes;
            source.data = bytesOf(data);
            source.name = name;
            return loadModule(source);
          },
          py::arg("data"), py::arg("name") = "<onnx bytes>",
          "Imports a serialized ONNX ModelProto.")
      .def("__str__", [](const PyModule &m) { return m.model->text(); })
      .def("__repr__",
           [](const PyModule &m) {
             return "<moesaic.Module from '" + m.model->sourceName() + "'>";
           })
      .def(
          "text",
          [](const PyModule &m, bool debugInfo) {
            return m.model->text(debugInfo);
          },
          py::arg("debug_info") = false,
          "The MLIR text; with debug_info, locations included.")
      .def(
          "bytecode",
          [](const PyModule &m) { return py::bytes(m.model->bytecode()); },
          "The module as MLIR bytecode.")
      .def(
          "summary",
          [](const PyModule &m) {
            Diagnostics diags;
            std::optional<std::string> text = m.model->summaryJSON(diags);
            if (!text)
              throw Failure{std::move(diags), "cannot describe the model"};
            return loadsJSON(*text);
          },
          "The report's `model` section (name, layers, MoE layers, "
          "warnings) as a dict.")
      .def_property_readonly(
          "source_name",
          [](const PyModule &m) { return m.model->sourceName(); })
      .def_property_readonly(
          "load_warnings",
          [](const PyModule &m) { return warningList(m.loadDiags); },
          "Warnings diagnosed while loading.");

  m.def(
      "compile",
      [](const py::object &model, const std::string &hw,
         const std::vector<std::string> &strategies,
         const std::string &workload, bool timeline, bool lowerInPlace,
         const std::string &runtime, const std::string &taskGranularity,
         bool dataflowPrograms) {
        CompileRequest request;
        if (py::isinstance<PyModule>(model)) {
          const PyModule &pm = model.cast<const PyModule &>();
          request.model.kind = ModelSource::MlirText;
          request.model.data = pm.model->bytecode();
          request.model.name = pm.model->sourceName();
        } else if (py::isinstance<py::bytes>(model) ||
                   py::isinstance<py::bytearray>(model) ||
                   py::isinstance<py::memoryview>(model)) {
          request.model.kind = ModelSource::OnnxBytes;
          request.model.data = bytesOf(model);
          request.model.name = "<onnx bytes>";
        } else {
          std::string p =
              py::str(py::module_::import("os").attr("fspath")(model));
          request.model = sourceForPath(p);
        }
        request.hw = hw;
        request.strategies = strategies;
        request.workload = workload;
        request.timeline = timeline;
        request.lowerInPlace = lowerInPlace && strategies.size() == 1;
        request.runtime = runtime;
        request.taskGranularity = taskGranularity;
        request.dataflowPrograms = dataflowPrograms;
        Diagnostics diags;
        std::optional<CompileOutput> out;
        {
          py::gil_scoped_release release;
          out = compile(request, diags);
        }
        if (!out)
          throw Failure{std::move(diags), "compilation failed"};
        py::dict result;
        result["report"] = py::str(out->reportJSON);
        result["report_text"] = py::str(out->reportText);
        result["schedule"] = py::str(out->scheduleJSON);
        result["timeline"] = py::str(out->timelineJSON);
        result["hardware"] = py::str(out->hardwareJSON);
        result["mlir"] = py::str(out->mlir);
        result["warnings"] = warningList(diags);
        return result;
      },
      py::arg("model"), py::arg("hw"), py::arg("strategies"),
      py::arg("workload"), py::arg("timeline"), py::arg("lower_in_place"),
      py::arg("runtime") = "direct", py::arg("task_granularity") = "fine",
      py::arg("dataflow_program") = true,
      "Lowers and evaluates; returns JSON texts (use moesaic.compile).");

  m.def(
      "hardware_json",
      [](const std::string &nameOrPath) {
        Diagnostics diags;
        std::optional<std::string> text = hardwareJSON(nameOrPath, diags);
        if (!text)
          throw Failure{std::move(diags), "cannot load hardware"};
        return *text;
      },
      py::arg("name_or_path"));
  m.def("list_hw", [] {
    py::list out;
    for (const HardwareEntry &e : listHardware()) {
      py::dict d;
      d["name"] = e.name;
      d["kind"] = e.kind;
      d["summary"] = e.summary;
      out.append(d);
    }
    return out;
  });
  m.def("list_strategies", [] {
    py::list out;
    for (const StrategyEntry &e : listStrategies()) {
      py::dict d;
      d["name"] = e.name;
      d["summary"] = e.summary;
      d["targets"] = e.targets;
      py::list options;
      for (const StrategyEntry::Option &o : e.options) {
        py::dict od;
        od["name"] = o.name;
        od["default"] = o.value;
        od["passes"] = o.passes;
        options.append(od);
      }
      d["options"] = options;
      out.append(d);
    }
    return out;
  });
  m.def("have_onnx", &haveOnnx);
}
