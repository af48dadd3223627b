# RUN: %python -m pytest -q -p no:cacheprovider %s
# REQUIRES: python-module
"""moesaic.compile() and compare(): inputs, results, errors, warnings."""

import json
import warnings

import pytest

import moesaic
from conftest import SRC_ROOT, TINY, make_fused_moe_onnx, requires_onnx

WORKLOAD = "batch=8,trace=zipf:1.2,seed=3,steps=4"


def hw_name(report):
    """The report's hardware name as the preset is spelled. The report
    takes it from the hw.system symbol, where '-' becomes '_'."""
    return report["hardware"]["name"].replace("_", "-")


@pytest.fixture(scope="module")
def ep_result():
    return moesaic.compile(TINY, hw="edge-chiplet-4", strategy="ep",
                           workload=WORKLOAD)


def test_report_contract(ep_result):
    r = ep_result.report
    assert r["schema"] == "moesaic.report/1"
    assert r["model"]["name"] == "tiny_moe"
    assert hw_name(r) == "edge-chiplet-4"
    assert r["hardware"]["kind"] == "chiplet"
    assert r["workload"]["batch_tokens"] == 8
    assert r["workload"]["steps"] == 4
    assert r["workload"]["seed"] == 3
    assert [x["strategy"] for x in r["results"]] == ["ep"]
    res = ep_result.result("ep")
    for key in ("latency_us", "moe_latency_us", "lower_bound_us",
                "analytic_latency_us", "comm_bytes", "offchip_bytes",
                "peak_onchip_bytes", "migration_exposed_us", "layers", "links"):
        assert key in res, key
    assert res["latency_us"] >= res["lower_bound_us"] > 0
    assert [l["index"] for l in res["layers"]] == [0, 1]
    assert ep_result.latency_us == {"ep": res["latency_us"]}
    assert "ep" in repr(ep_result) and "tiny_moe" in repr(ep_result)
    # str() is moe-opt's --report-format=text table.
    text = str(ep_result)
    assert text.startswith("model:    tiny_moe")
    assert f"{res['latency_us']:.2f}" in text
    with pytest.raises(KeyError, match="have: ep"):
        ep_result.result("tp")


def test_mlir_schedule_timeline_hardware(ep_result):
    assert "hw.schedule" in ep_result.mlir
    assert "hw.system" in ep_result.mlir
    assert moesaic.parse(ep_result.mlir).summary()["name"] == "tiny_moe"
    assert ep_result.schedule["schema"] == "moesaic.schedule/1"
    assert ep_result.schedule["strategy"] == "ep"
    assert len(ep_result.schedule["layers"]) == 2
    trace = ep_result.timeline()
    slices = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert slices and all(e["dur"] > 0 for e in slices)
    names = {e["args"]["name"] for e in trace["traceEvents"]
             if e["ph"] == "M" and e["name"] == "process_name"}
    assert {"c0", "c1", "c2", "c3", "links"} <= names
    assert ep_result.hardware.name == "edge-chiplet-4"
    assert ep_result.hardware == moesaic.hardware("edge-chiplet-4")


def test_every_input_form_gives_the_same_report(ep_result, tmp_path):
    module = moesaic.Module.from_file(TINY)
    for model in (str(TINY), module, moesaic.parse(TINY.read_text())):
        r = moesaic.compile(model, hw="edge-chiplet-4", strategy="ep",
                            workload=WORKLOAD)
        assert r.report == ep_result.report
    # The Module is left as it was (compiles work on a copy).
    assert "hw.schedule" not in str(module)
    as_dict = {"batch": 8, "trace": "zipf:1.2", "seed": 3, "steps": 4}
    r = moesaic.compile(TINY, hw="edge-chiplet-4", strategy="ep",
                        workload=as_dict)
    assert r.report == ep_result.report


@requires_onnx
def test_onnx_inputs(tmp_path):
    onnx_bytes = make_fused_moe_onnx().SerializeToString()
    path = tmp_path / "fused_moe.onnx"
    path.write_bytes(onnx_bytes)
    from_path = moesaic.compile(path, hw="edge-chiplet-4", strategy="tp",
                                workload="batch=4,steps=2")
    assert from_path.report["model"]["moe_layers"][0]["num_experts"] == 4
    from_bytes = moesaic.compile(onnx_bytes, hw="edge-chiplet-4",
                                 strategy="tp", workload="batch=4,steps=2")
    from_module = moesaic.compile(moesaic.import_onnx(path), hw="edge-chiplet-4",
                                  strategy="tp", workload="batch=4,steps=2")
    lat = from_path.result()["latency_us"]
    assert from_bytes.result()["latency_us"] == lat
    assert from_module.result()["latency_us"] == lat


def test_compare(chiplet_strategies):
    r = moesaic.compare(TINY, hw="edge-chiplet-8-mesh",
                        strategies=chiplet_strategies, workload=WORKLOAD)
    assert r.strategies == chiplet_strategies
    lat = r.latency_us
    first = chiplet_strategies[0]
    assert r.report["speedup"][first] == pytest.approx(1.0)
    for s in chiplet_strategies:
        assert r.report["speedup"][s] == pytest.approx(lat[first] / lat[s])
    assert r.schedule["schema"] == "moesaic.schedules/1"
    assert [s["strategy"] for s in r.schedule["schedules"]] == chiplet_strategies
    pids = {e["pid"] // 1000 for e in r.timeline()["traceEvents"]}
    assert pids == set(range(len(chiplet_strategies)))
    # Each entry equals a compile of that strategy alone.
    alone = moesaic.compile(TINY, hw="edge-chiplet-8-mesh",
                            strategy=chiplet_strategies[1], workload=WORKLOAD)
    assert alone.result()["latency_us"] == r.result(chiplet_strategies[1])["latency_us"]
    # A comma-separated string works as in moe-opt --compare.
    again = moesaic.compare(TINY, hw="edge-chiplet-8-mesh",
                            strategies=",".join(chiplet_strategies),
                            workload=WORKLOAD, timeline=False)
    assert again.report == r.report


def test_target_defaults(ep_result):
    # No hw: the module's own hw.system...
    mine = moesaic.compile(moesaic.parse(ep_result.mlir), strategy="tp",
                           workload=WORKLOAD)
    assert hw_name(mine.report) == "edge-chiplet-4"
    attached = moesaic.compare(TINY, hw="wafer-8x8", strategies=["ep"],
                               workload=WORKLOAD)
    again = moesaic.compile(moesaic.parse(attached.mlir), strategy="ep",
                            workload=WORKLOAD)
    assert hw_name(again.report) == "wafer-8x8"
    # ...replaced by an explicit hw...
    other = moesaic.compile(moesaic.parse(attached.mlir), hw="edge-chiplet-4",
                            strategy="ep", workload=WORKLOAD)
    assert hw_name(other.report) == "edge-chiplet-4"
    # ...or the default preset.
    default = moesaic.compile(TINY, strategy="ep", workload=WORKLOAD)
    assert hw_name(default.report) == "edge-chiplet-4"


def test_hardware_file_target(tmp_path):
    path = tmp_path / "my-package.json"
    spec = moesaic.hardware("edge-chiplet-4").file
    spec["name"] = "my-package"
    path.write_text(json.dumps(spec))
    r = moesaic.compile(TINY, hw=path, strategy="ep", workload=WORKLOAD)
    assert hw_name(r.report) == "my-package"


def test_errors(tmp_path):
    with pytest.raises(moesaic.Error, match="needs strategy=.*ep"):
        moesaic.compile(TINY, hw="edge-chiplet-4")
    with pytest.raises(moesaic.Error, match="needs strategies="):
        moesaic.compare(TINY, hw="edge-chiplet-4", strategies=[])
    with pytest.raises(moesaic.Error, match="unknown strategy 'warp'"):
        moesaic.compile(TINY, hw="edge-chiplet-4", strategy="warp")
    # Arguments the API names, as the CLI refuses them.
    with pytest.raises(moesaic.Error, match="needs strategies="):
        moesaic.compare(TINY, hw="edge-chiplet-4", strategies=None)
    with pytest.raises(TypeError, match="strategies must be a list .* not int"):
        moesaic.compare(TINY, hw="edge-chiplet-4", strategies=5)
    with pytest.raises(moesaic.Error, match=r"has an empty item \(a stray comma\)"):
        moesaic.compare(TINY, hw="edge-chiplet-4", strategies="ep,,tp")
    with pytest.raises(moesaic.Error, match="hw is empty"):
        moesaic.compile(TINY, hw="", strategy="ep")
    with pytest.raises(moesaic.Error, match="name_or_path is empty"):
        moesaic.hardware("")
    with pytest.raises(TypeError, match="text must be MLIR text .* not NoneType"):
        moesaic.parse(None)
    assert "tiny_moe" in str(moesaic.parse(bytearray(
        moesaic.parse(open(TINY).read()).bytecode())))
    with pytest.raises(moesaic.Error, match="strategy 'tp' is listed twice"):
        moesaic.compare(TINY, hw="edge-chiplet-4", strategies=["tp", "ep", "tp"])
    with pytest.raises(moesaic.Error, match="workload 'batch=0'"):
        moesaic.compile(TINY, hw="edge-chiplet-4", strategy="ep",
                        workload="batch=0")
    with pytest.raises(moesaic.Error, match="unknown hardware 'nowhere'"):
        moesaic.compile(TINY, hw="nowhere", strategy="ep")
    with pytest.raises(moesaic.Error, match="cannot read '/nonexistent.mlir'"):
        moesaic.compile("/nonexistent.mlir", hw="edge-chiplet-4", strategy="ep")
    with pytest.raises(moesaic.Error, match="not an ONNX model|ONNX=OFF"):
        moesaic.compile(b"garbage", hw="edge-chiplet-4", strategy="ep")
    # MLIR's parser recurses per level: refused before it overflows.
    with pytest.raises(moesaic.Error, match="nested deeper than 512 levels"):
        moesaic.parse("module {" * 5000 + "}" * 5000)
    with pytest.raises(moesaic.Error, match="nested deeper than 512 levels"):
        moesaic.parse("module attributes {moe.a = " + "[" * 20000 +
                      "]" * 20000 + "} {}")
    # Bytecode: its operations' nesting is counted before verification.
    deep = moesaic.parse("module {" * 400 + "}" * 400)
    assert "module" in str(moesaic.parse(deep.bytecode()))
    nested = tmp_path / "nested.mlirbc"
    text = tmp_path / "nested.mlir"
    text.write_text("module {" * 3000 + "}" * 3000)
    import shutil, subprocess
    mlir_opt = shutil.which("mlir-opt") or "/usr/lib/llvm-19/bin/mlir-opt"
    subprocess.run([mlir_opt, str(text), "--emit-bytecode", "-o",
                    str(nested)], check=True)
    with pytest.raises(moesaic.Error, match="operations nested 3000 deep"):
        moesaic.parse(nested.read_bytes())
    with pytest.raises(moesaic.Error, match="holds no moe.model|needs a moe.model"):
        moesaic.compile(moesaic.parse("module {}"), hw="edge-chiplet-4",
                        strategy="ep")
    with pytest.raises(TypeError):
        moesaic.compile(42, hw="edge-chiplet-4", strategy="ep")
    with pytest.raises(TypeError):
        moesaic.compile(TINY, hw="edge-chiplet-4", strategy=["ep", "tp"])
    # A wrong type names the argument (os.fspath's own message names none).
    with pytest.raises(TypeError, match="hw must be a preset name .* not int"):
        moesaic.compile(TINY, hw=5, strategy="ep")
    with pytest.raises(TypeError, match="name_or_path must be .* not float"):
        moesaic.hardware(3.5)
    with pytest.raises(TypeError, match="strategies must be names .* not int"):
        moesaic.compare(TINY, hw="edge-chiplet-4", strategies=["ep", 1])
    r = moesaic.compile(TINY, hw="edge-chiplet-4", strategy="ep",
                        workload="steps=1", timeline=False)
    with pytest.raises(moesaic.Error, match="timeline=False"):
        r.timeline()


def test_strategy_refuses_a_target_it_cannot_serve():
    kinds = {p["name"]: p["kind"] for p in moesaic.list_hw()}
    for s in moesaic.list_strategies():
        refused = [n for n, k in kinds.items() if k not in s["targets"]]
        if refused:
            with pytest.raises(moesaic.Error, match="does not serve"):
                moesaic.compile(TINY, hw=refused[0], strategy=s["name"],
                                workload="steps=1")
            return
    pytest.skip("every strategy serves every preset's kind")


@requires_onnx
def test_warnings_reach_python(tmp_path):
    model = make_fused_moe_onnx(router_width=6)
    path = tmp_path / "odd_router.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.warns(moesaic.MoesaicWarning, match="router_probs scores 6"):
        m = moesaic.import_onnx(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = moesaic.compile(m, hw="edge-chiplet-4", strategy="ep",
                            workload="steps=1")
    assert any("router_probs scores 6" in str(w.message) for w in caught)
    assert any("router_probs scores 6" in w for w in r.warnings)


def test_a_warning_is_listed_once(tmp_path):
    # The compiler's warning (with its location) and the report's model
    # warning say the same: Result.warnings lists it once.
    spec = json.loads((SRC_ROOT / "hardware" / "edge-chiplet-4.json").read_text())
    for d in spec["devices"]:
        if "offchip_bytes" in d:
            d["offchip_bytes"] = 1024
    path = tmp_path / "small-memory.json"
    path.write_text(json.dumps(spec))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = moesaic.compile(TINY, hw=path, strategy="ep", workload="steps=1",
                            timeline=False)
    exceed = [w for w in r.warnings if "exceed the off-chip memory" in w]
    assert len(exceed) == 1, r.warnings


def test_a_schedule_not_asked_for_is_named():
    # A module lowered for tp and evaluated for ep keeps its tp schedule
    # but does not evaluate it: a warning says so; comparing both evaluates
    # the module's own tp schedule, without the warning.
    lowered = moesaic.parse(moesaic.compile(TINY, hw="edge-chiplet-4",
                                            strategy="tp", workload="steps=1",
                                            timeline=False).mlir)
    with pytest.warns(moesaic.MoesaicWarning, match="holds a 'tp' schedule"):
        r = moesaic.compile(lowered, strategy="ep", workload="steps=1",
                            timeline=False)
    assert r.strategies == ["ep"]
    assert any("'tp' schedule, which is not evaluated" in w for w in r.warnings)
    with warnings.catch_warnings():
        warnings.simplefilter("error", moesaic.MoesaicWarning)
        both = moesaic.compare(lowered, strategies=["ep", "tp"],
                               workload="steps=1", timeline=False)
    assert both.result("tp")["schedule_source"] == "input"
    assert not both.warnings


def test_save(ep_result, tmp_path):
    paths = ep_result.save(tmp_path / "out")
    assert json.loads(open(paths["report.json"]).read()) == ep_result.report
    assert json.loads(open(paths["timeline.json"]).read()) == ep_result.timeline()
    assert moesaic.Module.from_file(paths["module.mlir"]).summary()["name"] == "tiny_moe"


def test_dataflow_runtime_reports_the_same():
    """runtime="dataflow": the fse-dp decisions come from the schedule's
    when/where program; the report is the direct one but for the path it
    names. Strategies without such a path and unknown values are refused."""
    reports = {}
    for runtime in ("direct", "dataflow"):
        r = moesaic.compile(TINY, hw="edge-chiplet-8-mesh", strategy="fse-dp",
                            workload=WORKLOAD, timeline=False, runtime=runtime)
        reports[runtime] = r.report
    for runtime, report in reports.items():
        assert report["results"][0]["fse_dp"].pop("decisions") == runtime
    assert reports["direct"] == reports["dataflow"]
    with pytest.raises(moesaic.Error, match="no dataflow decision path"):
        moesaic.compile(TINY, hw="edge-chiplet-8-mesh", strategy="tp",
                        workload=WORKLOAD, runtime="dataflow")
    with pytest.raises(moesaic.Error, match="runtime must be one of"):
        moesaic.compile(TINY, hw="edge-chiplet-8-mesh", strategy="fse-dp",
                        runtime="graph")


def test_task_granularity():
    """task_granularity="coarse": fse-dp's runtime emits per-resource busy
    intervals (docs/fse-dp.md); the report records which granularity ran
    (fine for runtimes without a coarse mode), the same bytes move, and
    unknown values are refused."""
    fine = moesaic.compile(TINY, hw="edge-chiplet-8-mesh", strategy="fse-dp",
                           workload=WORKLOAD, timeline=False).report
    coarse = moesaic.compile(TINY, hw="edge-chiplet-8-mesh", strategy="fse-dp",
                             workload=WORKLOAD, timeline=False,
                             task_granularity="coarse").report
    f, c = fine["results"][0], coarse["results"][0]
    assert (f["task_granularity"], c["task_granularity"]) == ("fine", "coarse")
    assert c["tasks"] < f["tasks"]
    for key in ("comm_bytes", "offchip_bytes", "peak_onchip_bytes"):
        assert c[key] == f[key], key
    assert c["latency_us"] >= c["lower_bound_us"]
    both = moesaic.compare(TINY, hw="edge-chiplet-8-mesh",
                           strategies=["fse-dp", "ep"], workload=WORKLOAD,
                           timeline=False, task_granularity="coarse").report
    assert [r["task_granularity"] for r in both["results"]] == ["coarse", "fine"]
    with pytest.raises(moesaic.Error, match="task_granularity must be one of"):
        moesaic.compile(TINY, hw="edge-chiplet-8-mesh", strategy="fse-dp",
                        task_granularity="chunky")


def _has_dataflow(node):
    """Whether a schedule JSON holds a when/where program anywhere."""
    if isinstance(node, dict):
        return "dataflow" in node or any(_has_dataflow(v)
                                         for v in node.values())
    if isinstance(node, list):
        return any(_has_dataflow(v) for v in node)
    return False


def test_dataflow_program_keyword():
    """dataflow_program=False leaves the when/where program out of the
    schedule and the lowered IR; the report is the same. The dataflow
    runtime needs the program and builds it regardless."""
    out = {}
    for flag in (True, False):
        out[flag] = moesaic.compile(TINY, hw="edge-chiplet-8-mesh",
                                    strategy="fse-dp", workload=WORKLOAD,
                                    timeline=False, dataflow_program=flag)
    assert out[True].report == out[False].report
    assert _has_dataflow(out[True].schedule)
    assert not _has_dataflow(out[False].schedule)
    assert "df.program" in out[True].mlir
    assert "df.program" not in out[False].mlir
    forced = moesaic.compile(TINY, hw="edge-chiplet-8-mesh", strategy="fse-dp",
                             workload=WORKLOAD, timeline=False,
                             runtime="dataflow", dataflow_program=False)
    assert _has_dataflow(forced.schedule)
    both = moesaic.compare(TINY, hw="edge-chiplet-8-mesh",
                           strategies=["fse-dp", "ep"], workload=WORKLOAD,
                           timeline=False, dataflow_program=False)
    assert not _has_dataflow(both.schedule)


def test_a_module_holding_a_schedule_is_evaluated_as_it_is():
    # compile() lowers in place: its IR holds the fse-dp schedule. Compared
    # again, that schedule is evaluated as it is (same latency); ep, absent
    # from the module, is lowered by its pipeline.
    first = moesaic.compile(TINY, hw="edge-chiplet-8-mesh", strategy="fse-dp",
                            workload=WORKLOAD)
    assert first.report["results"][0]["schedule_source"] == "pipeline"
    lowered = moesaic.parse(first.mlir)
    again = moesaic.compare(lowered, strategies=["fse-dp", "ep"],
                            workload=WORKLOAD)
    by_name = {r["strategy"]: r for r in again.report["results"]}
    assert by_name["fse-dp"]["schedule_source"] == "input"
    assert by_name["ep"]["schedule_source"] == "pipeline"
    assert by_name["fse-dp"]["latency_us"] == \
        first.report["results"][0]["latency_us"]


def test_variants_of_a_strategy_compare_side_by_side():
    # Options for a strategy's passes (MLIR pipeline syntax): each variant
    # is reported under what was written, with its options.
    out = moesaic.compare(TINY, hw="edge-chiplet-8-mesh",
                          strategies="fse-dp,fse-dp{holders=single},tp",
                          workload=WORKLOAD, timeline=False)
    names = [r["strategy"] for r in out.report["results"]]
    assert names == ["fse-dp", "fse-dp{holders=single}", "tp"]
    assert out.report["results"][1]["strategy_options"] == "holders=single"
    assert "strategy_options" not in out.report["results"][0]
    assert set(out.report["speedup"]) == set(names)
    with pytest.raises(moesaic.Error, match="has no option 'hodlers'"):
        moesaic.compile(TINY, hw="edge-chiplet-8-mesh",
                        strategy="fse-dp{hodlers=single}", workload=WORKLOAD)


def test_strategy_lists_split_outside_braces():
    from moesaic import _split_strategies
    assert _split_strategies("a, b{x=1,2 y=3},c") == ["a", "b{x=1,2 y=3}", "c"]
    # A stray comma is refused, as moe-opt's --compare refuses it.
    with pytest.raises(moesaic.Error, match="has an empty item"):
        _split_strategies("a,b,")


def test_workload_dict_values_cannot_add_keys():
    # {"trace": "zipf,batch=3"} would have become "trace=zipf,batch=3".
    with pytest.raises(moesaic.Error, match="cannot contain ','"):
        moesaic.compile(TINY, hw="edge-chiplet-4", strategy="ep",
                        workload={"trace": "zipf,batch=3"})
