"""Timing small pieces of code, for the notebooks that compare what methods cost.

A measurement must span many steps of the clock that takes it, or the clock's step is the result.
On Linux and macOS ``time.process_time`` (the CPU time of this process: other programs on the
machine do not count) advances in steps of a microsecond or less. On Windows it advances in steps
of 15.6 ms, whatever ``time.get_clock_info`` reports, so there the wall clock
``time.perf_counter`` is used instead. The module picks its clock once, at import::

    from helpers.timing import calls_for, seconds_per_call

    number = calls_for(lambda: model(x))          # enough calls to last >= MIN_TIME
    seconds = seconds_per_call(lambda: model(x), number)

Compare two timings taken back to back (a ratio), not timings taken minutes apart: a busy
machine slows both alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from helpers._checks import check_int

FINE_STEP = 1e-5  # a process clock that advances in steps under 10 us is fine enough


def clock_step(clock: Callable[[], float], reads: int = 5) -> float:
    """The step by which ``clock()`` advances: the median of ``reads`` steps, each measured by
    reading the clock until its value changes (one slow read, an interrupt, does not count).

    Args:
        clock: a function returning seconds, such as ``time.process_time``.
        reads: how many steps to measure.
    """
    check_int("reads", reads, minimum=1)
    steps = []
    for _ in range(reads):
        start = clock()
        while (now := clock()) == start:
            pass
        steps.append(now - start)
    return statistics.median(steps)


def choose_clock(
    process_time: Callable[[], float] = time.process_time,
    perf_counter: Callable[[], float] = time.perf_counter,
) -> tuple[Callable[[], float], float]:
    """The clock to time with and its step: ``process_time`` if its step is under 10 us,
    else ``perf_counter``.

    Args:
        process_time: the process's CPU clock.
        perf_counter: the wall clock, the fallback.

    Returns:
        ``(clock, tick)``: the chosen clock and its measured step in seconds.
    """
    step = clock_step(process_time)
    if step < FINE_STEP:
        return process_time, step
    return perf_counter, clock_step(perf_counter)


CLOCK, TICK = choose_clock()
MIN_TIME = max(0.002, 200 * TICK)  # >= 200 clock steps: the step rounds a timing by < 0.5 %


def calls_for(fn: Callable[[], object], min_time: float | None = None) -> int:
    """How many calls of ``fn()`` last at least ``min_time`` seconds (``MIN_TIME`` by default)
    on ``CLOCK``: 1, 2, 4, ... until they do.

    Args:
        fn: the code to time, as a function of no arguments (``lambda: model(x)``).
        min_time: the shortest time a measurement may span.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    min_time = MIN_TIME if min_time is None else min_time
    number = 1
    while True:
        start = CLOCK()
        for _ in range(number):
            fn()
        if CLOCK() - start >= min_time:
            return number
        number *= 2


def seconds_per_call(fn: Callable[[], object], number: int) -> float:
    """Seconds of one call of ``fn()``, averaged over ``number`` calls timed together on
    ``CLOCK``, after one call that is not timed (a warm-up). Never 0: a run shorter than one
    clock step counts as one step.

    Args:
        fn: the code to time, as a function of no arguments.
        number: how many calls to time together (``calls_for(fn)``).
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    check_int("number", number, minimum=1)
    fn()
    start = CLOCK()
    for _ in range(number):
        fn()
    return max(CLOCK() - start, TICK) / number


def median_seconds(fn: Callable[[], object], rounds: int = 5) -> float:
    """The median over ``rounds`` of :func:`seconds_per_call`, each of ``calls_for(fn)`` calls.

    Args:
        fn: the code to time, as a function of no arguments.
        rounds: how many measurements to take the median of.
    """
    check_int("rounds", rounds, minimum=1)
    number = calls_for(fn)
    return statistics.median(seconds_per_call(fn, number) for _ in range(rounds))
