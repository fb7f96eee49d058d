"""helpers.timing: the clock it chooses, on fine, coarse and jumpy clocks made to measure (not
on the clock of the machine that runs the test), and timings that are never 0."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import pytest

from helpers import timing

WINDOWS_STEP = 0.015625  # Windows' process_time, whatever time.get_clock_info reports


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


def test_clock_step_measures_the_step_of_a_coarse_clock():
    assert timing.clock_step(windows_clock()) == pytest.approx(WINDOWS_STEP)
    assert timing.clock_step(counting_clock(1e-7)) == pytest.approx(1e-7)


def test_a_fine_process_clock_is_chosen():
    fine = counting_clock(1e-7)
    clock, tick = timing.choose_clock(fine, time.perf_counter)
    assert clock is fine and tick == pytest.approx(1e-7)


def test_one_slow_read_does_not_make_a_fine_clock_coarse():
    jumpy = counting_clock(1e-7, jumps={4: 1e-3})  # the 2nd of the 5 steps spans a 1 ms interrupt
    assert timing.choose_clock(jumpy, time.perf_counter)[0] is jumpy


def test_a_coarse_process_clock_falls_back_to_the_wall_clock():
    wall = counting_clock(1e-7)
    clock, tick = timing.choose_clock(windows_clock(), wall)
    assert clock is wall and tick == pytest.approx(1e-7)


def test_calls_for_counts_the_calls_that_last_min_time(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(timing, "CLOCK", lambda: now[0])

    def one_ms():
        now[0] += 1e-3

    assert timing.calls_for(one_ms, min_time=0.01) == 16  # 1, 2, 4, 8 calls are < 10 ms


def test_a_time_is_never_zero_even_when_the_clock_has_not_moved(monkeypatch):
    monkeypatch.setattr(timing, "CLOCK", lambda: 1.0)  # a coarse clock, between two steps
    monkeypatch.setattr(timing, "TICK", WINDOWS_STEP)
    assert timing.seconds_per_call(lambda: None, 4) == pytest.approx(WINDOWS_STEP / 4)


def test_seconds_per_call_warms_up_once_then_averages(monkeypatch):
    now, calls = [0.0], []
    monkeypatch.setattr(timing, "CLOCK", lambda: now[0])

    def two_ms():
        calls.append(1)
        now[0] += 2e-3

    assert timing.seconds_per_call(two_ms, 5) == pytest.approx(2e-3)
    assert len(calls) == 6, "one untimed call first"
    assert timing.median_seconds(two_ms, rounds=3) == pytest.approx(2e-3)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: timing.calls_for("model"), TypeError, "fn must be callable"),
        (lambda: timing.seconds_per_call(print, 0), ValueError, "number must be at least 1"),
        (lambda: timing.seconds_per_call(print, 2.5), TypeError, "number must be an int"),
        (lambda: timing.median_seconds(print, rounds=0), ValueError, "rounds must be at least 1"),
    ],
)
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_module_clock_is_one_of_the_two_and_its_step_is_fine():
    assert timing.CLOCK in (time.process_time, time.perf_counter)
    assert 0 < timing.TICK < timing.FINE_STEP
    assert timing.MIN_TIME >= max(0.002, 200 * timing.TICK)
