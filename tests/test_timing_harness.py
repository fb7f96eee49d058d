"""The timing harness of notebooks 01 and 02 (the cell that defines ``clock_step``) on fine,
coarse and jumpy clocks.

Both notebooks time with ``time.process_time`` when it advances in steps under 10 us, and with
``time.perf_counter`` otherwise. Windows' ``process_time`` advances in steps of 15.625 ms (and
``time.get_clock_info`` reports 1e-7 s for it, python/cpython#135304): a harness that trusted it
would stop calibrating at the first step and could then divide by a time of 0. These tests take the
harness's own definitions from each notebook and run them against clocks made to measure, so that
they do not depend on the clock of the machine that runs them.
"""

from __future__ import annotations

import ast
import math
import statistics
import time
from collections.abc import Callable
from types import SimpleNamespace

import nbformat
import pytest

from tools import ROOT

NOTEBOOKS = ["01_backpropagation.ipynb", "02_autograd.ipynb"]
HARNESS_FUNCTIONS = {"clock_step", "calls_for", "seconds_per_call"}
HARNESS_NAMES = {"clock", "tick", "min_time"}
WINDOWS_STEP = 0.015625


def harness(notebook: str, process_time: Callable[[], float]) -> dict:
    """The notebook's clock choice and timing functions, run with ``process_time`` as the
    process clock (``perf_counter`` stays the real one)."""
    path = ROOT / "notebooks" / notebook
    nb = nbformat.read(path, as_version=4)
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
    fake_time = SimpleNamespace(process_time=process_time, perf_counter=time.perf_counter)
    namespace = {"time": fake_time, "statistics": statistics}
    exec(compile(ast.Module(body=kept, type_ignores=[]), str(path), "exec"), namespace)
    assert HARNESS_NAMES <= namespace.keys()
    return namespace


def counting_clock(step: float, jumps: dict[int, float] | None = None) -> Callable[[], float]:
    """A clock that advances by ``step`` at every read, and by ``jumps[k]`` more at read k."""
    reads, now = 0, 0.0

    def clock() -> float:
        nonlocal reads, now
        reads += 1
        now += step + (jumps or {}).get(reads, 0.0)
        return now

    return clock


def windows_clock() -> Callable[[], float]:
    """A fine counting clock read through Windows' 15.625 ms steps."""
    fine = counting_clock(1e-6)
    return lambda: math.floor(fine() / WINDOWS_STEP) * WINDOWS_STEP


def windows_process_time() -> float:
    return math.floor(time.process_time() / WINDOWS_STEP) * WINDOWS_STEP


def short_call() -> int:
    return sum(range(100))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_a_fine_process_clock_is_kept(notebook):
    fine = counting_clock(1e-7)
    ns = harness(notebook, fine)
    assert ns["clock"] is fine
    assert ns["tick"] == pytest.approx(1e-7)
    assert ns["min_time"] == pytest.approx(0.002)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_one_slow_read_does_not_make_a_fine_clock_coarse(notebook):
    # the second of the five steps is measured across an interrupt of 1 ms
    jumpy = counting_clock(1e-7, jumps={4: 1e-3})
    assert harness(notebook, jumpy)["clock"] is jumpy


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_a_coarse_process_clock_falls_back_to_perf_counter(notebook):
    ns = harness(notebook, windows_clock())
    assert ns["clock_step"](windows_clock()) == pytest.approx(WINDOWS_STEP)
    assert ns["clock"] is time.perf_counter
    assert 0 < ns["tick"] < 1e-5 and ns["min_time"] >= 200 * ns["tick"]
    number = ns["calls_for"](short_call)
    assert ns["seconds_per_call"](short_call, number=number) > 0


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_a_time_is_never_zero_even_on_the_coarse_clock(notebook):
    ns = harness(notebook, windows_clock())
    ns["clock"], ns["tick"] = windows_process_time, WINDOWS_STEP  # as if nothing fell back
    for _ in range(20):  # most of these calls end within one 15.6 ms step
        assert ns["seconds_per_call"](short_call, number=1) > 0
