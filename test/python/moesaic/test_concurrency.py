# RUN: %python -m pytest -q -p no:cacheprovider %s
# REQUIRES: python-module
"""Repeated compiles in one process and compiles from several threads."""

import concurrent.futures as cf
import threading

import moesaic
from conftest import EXAMPLES, TINY

CASES = [("edge-chiplet-4", "ep", "batch=8,trace=zipf:1.2,seed=1,steps=3"),
         ("edge-chiplet-8-mesh", "tp", "batch=4,seed=2,steps=3"),
         ("edge-chiplet-16-mesh", "ep", "batch=16,trace=zipf:0.8,seed=5,steps=2")]


def run(case):
    hw, strategy, workload = case
    return moesaic.compile(TINY, hw=hw, strategy=strategy,
                           workload=workload).report


def test_repeated_compiles_are_identical():
    first = [run(c) for c in CASES]
    for _ in range(3):
        assert [run(c) for c in CASES] == first


def test_compiles_from_threads_match_serial():
    serial = {c: run(c) for c in CASES}
    jobs = CASES * 4
    with cf.ThreadPoolExecutor(max_workers=6) as pool:
        reports = list(pool.map(run, jobs))
    for case, report in zip(jobs, reports):
        assert report == serial[case]


def test_errors_from_threads_stay_with_their_call():
    """Diagnostics are captured per compile: a failing compile on one
    thread does not leak its errors into another's."""
    barrier = threading.Barrier(4)
    out = {}

    def worker(i):
        barrier.wait()
        try:
            if i % 2:
                moesaic.compile(TINY, hw="edge-chiplet-4", strategy=f"bad{i}")
            else:
                out[i] = run(CASES[0])
        except moesaic.Error as e:
            out[i] = str(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(4):
        if i % 2:
            assert f"unknown strategy 'bad{i}'" in out[i]
            assert f"bad{4 - i}" not in out[i]
        else:
            assert out[i] == out[0] and isinstance(out[i], dict)


def test_gil_is_released_during_compile():
    """While the extension compiles, another Python thread keeps running.
    (_core.compile is one C++ call: without the GIL released the ticker
    could not run until it returns.)"""
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(1)
            done.wait(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        before = len(ticks)
        moesaic._core.compile(str(EXAMPLES / "mixtral-8x7b.mlir"),
                              "edge-chiplet-8-mesh", ["ep", "tp"],
                              "batch=8,steps=4", False, False)
        during = len(ticks) - before
    finally:
        done.set()
        t.join()
    assert during > 0
