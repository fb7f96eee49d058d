"""Notebook 02's forward-vs-reverse timing harness (the cell that defines ``clock_step``) on a
coarse clock.

Windows' ``time.process_time`` advances in steps of 15.625 ms (and ``time.get_clock_info``
reports 1e-7 s for it, python/cpython#135304). A harness that trusts it stops calibrating at the
first step and can then divide by a time of 0 (the cell divides one way's time by another's).
These tests run the harness's own definitions, taken from the notebook, against such a clock; the
same checks as tests/test_notebook01_timing.py, for notebook 02's zero-argument ``fn()`` calls.
"""

from __future__ import annotations

import ast
import math
import time
from types import SimpleNamespace

import nbformat
import pytest

from tools import ROOT

NOTEBOOK = ROOT / "notebooks" / "02_autograd.ipynb"
HARNESS_FUNCTIONS = {"clock_step", "calls_for", "seconds_per_call"}
HARNESS_NAMES = {"clock", "tick", "min_time"}


def harness(process_time, perf_counter=time.perf_counter) -> dict:
    """The notebook's clock choice and timing functions, run with ``process_time`` as the
    process clock and ``perf_counter`` as the wall clock (by default the real one)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    source = next(
        c.source for c in nb.cells if c.cell_type == "code" and "def clock_step" in c.source
    )
    kept = [
        node
        for node in ast.parse(source).body
        if (isinstance(node, ast.FunctionDef) and node.name in HARNESS_FUNCTIONS)
        or (
            isinstance(node, ast.Assign)
            and {getattr(t, "id", None) for t in node.targets} <= HARNESS_NAMES
        )
    ]
    assert {getattr(n, "name", None) for n in kept} >= HARNESS_FUNCTIONS
    fake_time = SimpleNamespace(process_time=process_time, perf_counter=perf_counter)
    namespace = {"time": fake_time}
    exec(compile(ast.Module(body=kept, type_ignores=[]), str(NOTEBOOK), "exec"), namespace)
    assert HARNESS_NAMES <= namespace.keys()
    return namespace


def windows_process_time() -> float:
    return math.floor(time.process_time() / 0.015625) * 0.015625


def short_call() -> int:
    return sum(range(100))


def test_fine_process_clock_is_kept():
    ns = harness(time.process_time)
    assert ns["clock"] is time.process_time  # Linux: a step well under 10 us
    assert ns["min_time"] == pytest.approx(0.002)


def test_coarse_process_clock_falls_back_to_perf_counter():
    ns = harness(windows_process_time)
    assert ns["clock_step"](windows_process_time) == pytest.approx(0.015625)
    assert ns["clock"] is time.perf_counter
    assert 0 < ns["tick"] < 1e-5 and ns["min_time"] >= 200 * ns["tick"]
    number = ns["calls_for"](short_call)
    assert ns["seconds_per_call"](short_call, number) > 0


def test_a_time_is_never_zero_even_on_the_coarse_clock():
    ns = harness(windows_process_time)
    ns["clock"], ns["tick"] = windows_process_time, 0.015625  # as if nothing fell back
    for _ in range(20):  # most of these calls end within one 15.6 ms step
        assert ns["seconds_per_call"](short_call, 1) > 0


def test_a_measurement_spans_200_steps_when_both_clocks_are_coarse():
    ns = harness(windows_process_time, perf_counter=windows_process_time)
    assert ns["tick"] == pytest.approx(0.015625)
    assert ns["min_time"] >= 200 * ns["tick"]  # 3.1 s: the 15.6 ms rounding stays < 0.5 %
