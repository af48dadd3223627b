"""Design-space sweeps: every combination of models, hardware, strategies
and workloads, compiled in parallel processes (or on a Dask cluster).

    rows = moesaic.sweep(["examples/tiny-moe.mlir"],
                         hw=["edge-chiplet-4", "wafer-8x8"],
                         strategies=["ep", "tp"],
                         workloads=["batch=8,steps=8", "batch=32,steps=8"])

One row (a dict) per combination, in the order of the product, or a pandas
DataFrame when pandas is importable (as_frame=None). A combination that
fails (e.g. a strategy that cannot serve a target) gives a row whose
"error" holds the diagnostics instead of aborting the sweep.
"""

import itertools
import os
import sys
import time

# The result fields copied into each row (the report's results entry).
RESULT_FIELDS = (
    "latency_us", "moe_latency_us", "lower_bound_us", "analytic_latency_us",
    "bound_ratio", "comm_bytes", "offchip_bytes", "peak_onchip_bytes",
    "migration_exposed_us",
)


def _listify(value):
    if value is None:
        return [None]
    if isinstance(value, (str, bytes, bytearray, os.PathLike)) or \
            not hasattr(value, "__iter__") or isinstance(value, dict):
        return [value]
    return list(value)


def _model_entry(model):
    """(label, transportable form) of a model: Modules travel as bytecode."""
    from . import Module
    if isinstance(model, Module):
        try:
            label = model.summary().get("name") or model.source_name
        except Exception:
            label = model.source_name
        return label, ("mlir", model.bytecode(), model.source_name)
    if isinstance(model, (bytes, bytearray, memoryview)):
        return "<onnx bytes>", ("onnx", bytes(model), "<onnx bytes>")
    path = os.fspath(model)
    label = os.path.splitext(os.path.basename(path))[0]
    return label, ("path", path, path)


def _run_one(task):
    """Compiles one combination; runs in a worker process (importable, and
    its argument and result are plain data)."""
    import moesaic
    index, (label, (kind, data, name)), hw, strategy, workload = task
    row = {"model": label, "hw": hw, "strategy": strategy,
           "workload": moesaic.workload_spec(workload)}
    start = time.perf_counter()
    try:
        if kind == "mlir":
            model = moesaic.parse(data, name)
        elif kind == "onnx":
            model = moesaic.import_onnx(data, name)
        else:
            model = data
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = moesaic.compile(model, hw=hw, strategy=strategy,
                                     workload=workload, timeline=False,
                                     dataflow_program=False)
        entry = result.result()
        hardware = result.report.get("hardware", {})
        row.update({"hw_kind": hardware.get("kind"),
                    "num_devices": hardware.get("num_devices")})
        for field in RESULT_FIELDS:
            row[field] = entry.get(field)
        row["warnings"] = "; ".join(str(w.message) for w in caught)
        row["error"] = ""
    except moesaic.Error as e:
        row["error"] = str(e)
    row["compile_s"] = time.perf_counter() - start
    return index, row


class _Progress:
    """A one-line text progress bar (carriage returns; works in terminals
    and notebooks, no dependency)."""

    def __init__(self, total, stream, width=30):
        self.total, self.stream, self.width = total, stream, width
        self.done = self.failed = 0
        self.start = time.monotonic()
        self._draw()

    def update(self, row):
        self.done += 1
        self.failed += bool(row.get("error"))
        self._draw()

    def _draw(self):
        if self.stream is None:
            return
        frac = self.done / self.total if self.total else 1.0
        fill = int(round(frac * self.width))
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0
        failed = f", {self.failed} failed" if self.failed else ""
        self.stream.write(f"\rsweep [{'#' * fill}{'.' * (self.width - fill)}] "
                          f"{self.done}/{self.total}{failed} "
                          f"{elapsed:.0f}s elapsed, ~{eta:.0f}s left ")
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def combinations(models, hw, strategies, workloads):
    """The tasks of a sweep, in product order (models, hw, strategies,
    workloads)."""
    entries = [_model_entry(m) for m in _listify(models)]
    product = itertools.product(entries, _listify(hw), _listify(strategies),
                                _listify(workloads))
    return [(i, *combo) for i, combo in enumerate(product)]


def sweep(models, hw, strategies, workloads=None, *, processes=None,
          client=None, progress=True, as_frame=None):
    """Compiles every combination and returns one row per combination.

    models      a model or a list of them (paths, ONNX bytes, Modules)
    hw          a preset/file or a list
    strategies  a strategy name or a list
    workloads   a spec (string or dict), a list of them, or None
    processes   worker processes (default: os.cpu_count()); 0 runs in
                this process, one after another
    client      a dask.distributed Client: run the combinations on its
                cluster instead (its workers must be able to import
                moesaic)
    progress    True (a text bar on sys.stderr), a file object, or False
    as_frame    True: a pandas DataFrame; False: a list of dicts; None: a
                DataFrame when pandas is importable
    """
    tasks = combinations(models, hw, strategies, workloads)
    stream = sys.stderr if progress is True else (progress or None)
    bar = _Progress(len(tasks), stream)
    rows = [None] * len(tasks)

    def collect(index, row):
        rows[index] = row
        bar.update(row)

    if client is not None:
        from distributed import as_completed
        futures = client.map(_run_one, tasks, pure=False)
        for future in as_completed(futures):
            collect(*future.result())
    elif processes == 0 or len(tasks) <= 1:
        for task in tasks:
            collect(*_run_one(task))
    else:
        import concurrent.futures as cf
        import multiprocessing
        workers = min(processes or os.cpu_count() or 1, len(tasks))
        # spawn: a fresh interpreter per worker, safe whatever threads the
        # caller (a notebook kernel) runs; it inherits sys.path.
        context = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=workers,
                                    mp_context=context) as pool:
            futures = [pool.submit(_run_one, t) for t in tasks]
            for future in cf.as_completed(futures):
                collect(*future.result())
    return _frame(rows, as_frame)


def _frame(rows, as_frame):
    if as_frame is False:
        return rows
    try:
        import pandas
    except ImportError:
        if as_frame:
            raise
        return rows
    return pandas.DataFrame(rows)
