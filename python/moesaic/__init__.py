"""Moesaic from Python: compile Mixture-of-Experts models onto multi-die
hardware, read the reports, plot the schedules, sweep design spaces.

    import moesaic
    m = moesaic.import_onnx("model.onnx")          # or moesaic.parse(text)
    r = moesaic.compile(m, hw="edge-chiplet-4", strategy="ep",
                        workload="batch=8,trace=zipf:1.2,steps=16")
    r.report["results"][0]["latency_us"]
    r.plot_timeline()

The compiler runs in-process (the `_core` extension links the same
libraries and registrations as `moe-opt`). Every failure raises
`moesaic.Error` whose text is the diagnostics; warnings are issued as
`moesaic.MoesaicWarning` through the `warnings` module and kept on the
result. Nothing is printed on the process's stderr. Compiles release the
GIL, so several threads may compile at once.
"""

import json as _json
import os as _os
import stat as _stat
import warnings as _warnings

from . import _core
from ._core import Error, Module

__all__ = [
    "Error", "MoesaicWarning", "Module", "Result", "Hardware",
    "parse", "import_onnx", "compile", "compare", "hardware", "list_hw",
    "list_strategies", "sweep", "workload_spec", "have_onnx",
]


class MoesaicWarning(UserWarning):
    """A warning diagnosed by the compiler or the ONNX importer."""


def _warn(messages, stacklevel=3):
    for message in messages:
        _warnings.warn(message, MoesaicWarning, stacklevel=stacklevel)


def parse(text, name="<string>"):
    """Parses MLIR text (str) or MLIR bytecode (bytes) into a Module."""
    if isinstance(text, (bytearray, memoryview)):
        text = bytes(text)
    if not isinstance(text, (str, bytes)):
        raise TypeError("text must be MLIR text (str) or bytecode (bytes), "
                        "not " + type(text).__name__)
    module = Module.parse(text, name)
    _warn(module.load_warnings)
    return module


def _is_bytes(obj):
    return isinstance(obj, (bytes, bytearray, memoryview))


def import_onnx(path, name=None):
    """Imports an ONNX model: `path` names a file (.onnx binary protobuf or
    .onnxtext; a str or os.PathLike), or is the bytes of a serialized
    ModelProto. Returns a Module holding a moe.model; the importer's
    warnings (e.g. an expert a torch trace dropped) are issued as
    MoesaicWarning."""
    if _is_bytes(path):
        module = Module.from_onnx_bytes(path, name or "<onnx bytes>")
    else:
        if not isinstance(path, (str, _os.PathLike)):
            raise TypeError("path must be a file path (str or os.PathLike) "
                            "or ONNX bytes, not " + type(path).__name__)
        path = _os.fspath(path)
        if path.endswith((".onnx", ".onnxtext")):
            module = Module.from_file(path)
        else:
            try:
                # A FIFO would block and a device never end: regular files
                # only, as moe-opt reads them.
                mode = _os.stat(path).st_mode
                if _stat.S_ISDIR(mode):
                    raise Error(f"error: cannot read '{path}': is a directory")
                if not _stat.S_ISREG(mode):
                    raise Error(f"error: cannot read '{path}': not a regular "
                                "file (a FIFO, a device or a socket)")
                with open(path, "rb") as f:
                    data = f.read()
            except OSError as e:
                raise Error(f"error: cannot read '{path}': {e.strerror}") from None
            module = Module.from_onnx_bytes(data, name or path)
    _warn(module.load_warnings)
    try:
        _warn(module.summary().get("warnings", []))
    except Error:
        pass
    return module


def _model_arg(model):
    if isinstance(model, Module) or _is_bytes(model):
        return model
    if isinstance(model, (str, _os.PathLike)):
        return _os.fspath(model)
    raise TypeError("model must be a path (.onnx, .onnxtext, .mlir), ONNX "
                    f"bytes or a moesaic.Module, not {type(model).__name__}")


def workload_spec(workload):
    """The workload spec string for None, a spec string, or a dict such as
    {"batch": 8, "trace": "zipf:1.2", "steps": 16}."""
    if workload is None:
        return ""
    if isinstance(workload, str):
        return workload
    if isinstance(workload, dict):
        # A value holding ',' or '=' would smuggle in other keys
        # ({"trace": "zipf,batch=3"}): refused, like the spec's own errors.
        for k, v in workload.items():
            if any(c in str(k) + str(v) for c in ",="):
                raise Error(f"error: workload {{{k!r}: {v!r}}}: keys and "
                            "values cannot contain ',' or '='")
        return ",".join(f"{k}={v}" for k, v in workload.items())
    raise TypeError("workload must be None, a spec string or a dict, not "
                    f"{type(workload).__name__}")


class Hardware(dict):
    """A target system's facts: the report's summary fields (name, kind,
    num_devices, onchip_bytes, ...), "devices" and directed "links" after
    topology expansion, "sources" of the numbers, and "file" (the hardware
    file form, which moe-opt --hw=path accepts). Keys are also
    attributes: hw.num_devices."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def device(self, name):
        """The entry of device `name`."""
        for d in self["devices"]:
            if d["name"] == name:
                return d
        raise KeyError(name)


def have_onnx():
    """Whether this build imports ONNX (configured with
    MOESAIC_ENABLE_ONNX=ON, the default)."""
    return _core.have_onnx()


def _hw_arg(hw, what="hw"):
    """A preset name or a hardware file's path, as a string; a clear
    TypeError for anything else (os.fspath's own names no argument), and an
    Error for an empty one (it is no preset; None picks the default)."""
    if isinstance(hw, (str, bytes, _os.PathLike)):
        path = _os.fspath(hw)
        path = path.decode() if isinstance(path, bytes) else path
        if not path:
            raise Error(f"{what} is empty: give a preset name (see "
                        "list_hw()) or a hardware file path (None: the "
                        "module's own system, else the default preset)")
        return path
    raise TypeError(f"{what} must be a preset name (see list_hw()) or a "
                    f"hardware file path, not {type(hw).__name__}")


def hardware(name_or_path):
    """A preset (see list_hw()) or a hardware description file."""
    return Hardware(_json.loads(_core.hardware_json(
        _hw_arg(name_or_path, "name_or_path"))))


def list_hw():
    """The shipped presets: a list of {"name", "kind", "summary"}."""
    return _core.list_hw()


def list_strategies():
    """The registered strategies: a list of {"name", "summary",
    "targets", "options"}: the system kinds each serves, and the options
    its passes take (`strategy="name{key=value ...}"`), each
    {"name", "default", "passes"}."""
    return _core.list_strategies()


class Result:
    """The outcome of compile() or compare().

    report    the cost report (schema moesaic.report/1), a dict
    mlir      the module after compilation (lowered, for compile())
    schedule  the static schedule JSON (one strategy), or
              {"schema": "moesaic.schedules/1", "schedules": [...]}
    hardware  the target's facts (a Hardware, as moesaic.hardware())
    warnings  the warnings the compilation produced
    timeline()  the simulated run as a Chrome/Perfetto trace dict
    str(result) is the report as moe-opt's text table.
    """

    def __init__(self, raw):
        self.report = _json.loads(raw["report"])
        self.schedule = _json.loads(raw["schedule"])
        self.hardware = Hardware(_json.loads(raw["hardware"]))
        self.mlir = raw["mlir"]
        self._text = raw["report_text"]
        # Compiler warnings, then what the model's description warns about
        # (e.g. an ONNX expert the importer found inconsistent) unless a
        # compiler warning already said it (with its location in front).
        self.warnings = list(raw["warnings"]) + [
            w for w in self.report.get("model", {}).get("warnings", [])
            if not any(c.endswith(w) for c in raw["warnings"])]
        self._timeline_text = raw["timeline"]
        self._timeline = None

    @property
    def strategies(self):
        """The evaluated strategies, in order."""
        return [r["strategy"] for r in self.report["results"]]

    def result(self, strategy=None):
        """The report's results entry of `strategy` (default: the first)."""
        results = self.report["results"]
        if strategy is None:
            return results[0]
        for r in results:
            if r["strategy"] == strategy:
                return r
        raise KeyError(f"no result for strategy '{strategy}' "
                       f"(have: {', '.join(self.strategies)})")

    @property
    def latency_us(self):
        """Mean decode-step latency of each strategy, {name: us}."""
        return {r["strategy"]: r["latency_us"] for r in self.report["results"]}

    def timeline(self):
        """The simulated execution as a Chrome trace dict (load it in
        Perfetto or chrome://tracing after json.dump)."""
        if self._timeline is None:
            if not self._timeline_text:
                raise Error("this result was compiled with timeline=False")
            self._timeline = _json.loads(self._timeline_text)
        return self._timeline

    def save(self, directory):
        """Writes report.json, schedule.json, timeline.json and module.mlir
        into `directory` (created if needed); returns the paths."""
        _os.makedirs(directory, exist_ok=True)
        paths = {}
        for name, content in (("report.json", self.report),
                              ("schedule.json", self.schedule)):
            paths[name] = _os.path.join(directory, name)
            with open(paths[name], "w") as f:
                _json.dump(content, f, indent=2)
        if self._timeline_text:
            paths["timeline.json"] = _os.path.join(directory, "timeline.json")
            with open(paths["timeline.json"], "w") as f:
                f.write(self._timeline_text)
        paths["module.mlir"] = _os.path.join(directory, "module.mlir")
        with open(paths["module.mlir"], "w") as f:
            f.write(self.mlir)
        return paths

    # Plots (matplotlib Figures; see moesaic.plots).
    def plot_timeline(self, strategy=None, **kwargs):
        """Gantt chart of the simulated schedule: one row per device engine
        and per busy link."""
        from . import plots
        return plots.timeline(self.timeline(), strategy=strategy,
                              strategies=self.strategies, **kwargs)

    def plot_link_load(self, strategy=None, **kwargs):
        """Link-load heat map: the mesh with each link coloured by its busy
        time (meshes), or a source x destination matrix (other systems)."""
        from . import plots
        return plots.link_load(self.result(strategy), self.hardware,
                               self.report, **kwargs)

    def plot_comparison(self, **kwargs):
        """Latency of each strategy beside its lower bound and analytic
        estimate."""
        from . import plots
        return plots.comparison(self.report, **kwargs)

    def plot_memory(self, **kwargs):
        """On-chip memory in use against each device's capacity."""
        from . import plots
        return plots.memory(self.report, self.hardware, **kwargs)

    def __str__(self):
        """The report as a table (moe-opt --report-format=text)."""
        return self._text

    def __repr__(self):
        lat = ", ".join(f"{k}={v:.1f}us" for k, v in self.latency_us.items())
        hw = self.report.get("hardware", {}).get("name", "?")
        model = self.report.get("model", {}).get("name", "?")
        return f"<moesaic.Result {model} on {hw}: {lat}>"


_RUNTIMES = ("direct", "dataflow")
_TASK_GRANULARITIES = ("fine", "coarse")


def _compile(model, hw, strategies, workload, timeline, lower_in_place,
             runtime="direct", task_granularity="fine",
             dataflow_program=True):
    if runtime not in _RUNTIMES:
        raise Error(f"runtime must be one of {', '.join(_RUNTIMES)}, "
                    f"not {runtime!r}")
    if task_granularity not in _TASK_GRANULARITIES:
        raise Error("task_granularity must be one of "
                    f"{', '.join(_TASK_GRANULARITIES)}, "
                    f"not {task_granularity!r}")
    raw = _core.compile(_model_arg(model), "" if hw is None else _hw_arg(hw),
                        list(strategies), workload_spec(workload),
                        bool(timeline), lower_in_place, runtime,
                        task_granularity, bool(dataflow_program))
    result = Result(raw)
    _warn(result.warnings, stacklevel=4)
    return result


def compile(model, hw=None, strategy=None, workload=None, timeline=True,
            runtime="direct", task_granularity="fine", dataflow_program=True):
    """Lowers `model` with one strategy for `hw`, simulates the workload and
    returns a Result.

    model     a path (.onnx, .onnxtext, .mlir), ONNX bytes or a Module
    hw        a preset name or hardware file; None: the module's own
              hw.system, else the default preset
    strategy  a name from list_strategies(), optionally with options for
              its passes in MLIR's pipeline syntax: "fse-dp{holders=single}"
              (docs/strategies.md); the report names it as written
    workload  a spec string ("batch=8,trace=zipf:1.2,seed=0,steps=16"),
              a dict of the same keys, or None for the defaults
    timeline  record the per-task timeline (Result.timeline())
    runtime   where the simulated runtime takes its per-batch decisions:
              "direct" (the strategy's runtime scheduler) or "dataflow"
              (the schedule's when/where program: fse-dp, ndp-tp and
              er-mapping; docs/dataflow.md)
    task_granularity  simulator tasks of runtimes that offer a choice
              (fse-dp): "fine" (one per shard chunk transfer and compute)
              or "coarse" (each MoE layer as 6 pipelined waves of
              per-chiplet loads, per-link transfers and per-holder
              computes, docs/fse-dp.md); report["results"][i]
              ["task_granularity"] says which ran
    dataflow_program  include the strategy's when/where program (fse-dp,
              ndp-tp, er-mapping; docs/dataflow.md) in Result.schedule
              and Result.mlir. False skips building it: the report is
              the same, and a large model compiles a little faster
              (DeepSeek-V3, fse-dp, 16 chiplets: 2.5 s against 3.0 s;
              runtime="dataflow" needs the program and builds it anyway)
    """
    if strategy is None:
        names = ", ".join(s["name"] for s in list_strategies())
        raise Error(f"compile() needs strategy=... (known: {names})")
    if not isinstance(strategy, str):
        raise TypeError("strategy must be a name; use compare() for several")
    return _compile(model, hw, [strategy], workload, timeline, True, runtime,
                    task_granularity, dataflow_program)


def _split_strategies(text):
    """"a,b{x=1,2},c" -> ["a", "b{x=1,2}", "c"]: commas inside braces
    belong to an option's value."""
    out, current, depth = [], "", 0
    for c in text:
        depth += (c == "{") - (c == "}")
        if c == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += c
    out.append(current.strip())
    if len(out) > 1 and not all(out):
        # As moe-opt's --compare: "ep,,tp" or "ep,tp," is a typo.
        raise Error(f"strategies '{text}' has an empty item (a stray comma)")
    return [s for s in out if s]


def compare(model, hw=None, strategies=(), workload=None, timeline=True,
            runtime="direct", task_granularity="fine", dataflow_program=True):
    """Evaluates several strategies on the same model, hardware and
    workload; the report's "speedup" is relative to the first. Each may
    carry options for its passes, so variants of one strategy compare side
    by side: ["fse-dp", "fse-dp{holders=single}", "tp"] (a string is split
    at the commas outside braces). `runtime`
    as for compile() (every strategy must have a dataflow path);
    `task_granularity` as for compile() (strategies without a coarse mode
    run fine); `dataflow_program` as for compile()."""
    if isinstance(strategies, str):
        strategies = _split_strategies(strategies)
    if strategies is None:
        strategies = ()
    if not isinstance(strategies, (list, tuple)):
        raise TypeError("strategies must be a list of names or a "
                        "comma-separated string, not "
                        + type(strategies).__name__)
    strategies = list(strategies)
    if not strategies:
        names = ", ".join(s["name"] for s in list_strategies())
        raise Error(f"compare() needs strategies=[...] (known: {names})")
    for s in strategies:
        if not isinstance(s, str):
            raise TypeError("strategies must be names (strings such as "
                            f"'ep' or 'fse-dp{{holders=single}}'), not "
                            f"{type(s).__name__}")
    return _compile(model, hw, strategies, workload, timeline, False, runtime,
                    task_granularity, dataflow_program)


from .sweep import sweep  # noqa: E402
