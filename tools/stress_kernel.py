"""Stress test for notebook execution stalls (issue 15): run notebooks many times, count stalls.

    python tools/stress_kernel.py --runs 200 --jobs 3 --hogs 2            # the minimal notebook
    python tools/stress_kernel.py --runs 40 --jobs 2 notebooks/04_*.ipynb # real notebooks
    make stress STRESS_ARGS="--runs 200"

Each execution is one nbclient run in a fresh kernel (this interpreter's ipykernel), with a short
per-cell timeout (``--timeout``, 10 s). ``--jobs`` executions run at once, each in its own client
process, and ``--hogs`` niced busy-loop processes keep the CPUs contended: the stall shows under
contention (more runnable processes than cores) and hardly on an idle machine.

A stall is an execution that takes at least ``0.8 * timeout`` longer than the median of its
notebook: the client waits for a message that is already in its socket until the cell timeout
ends the wait, then carries on with no error and the same outputs. A cell that really times out
raises; that counts as an error, not a stall.

The minimal notebook (used when no notebook is given) is many tiny cells that print and display,
so one execution sends hundreds of shell and IOPub messages in a few seconds.
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def minimal_notebook(cells: int = 40) -> nbformat.NotebookNode:
    """A notebook of ``cells`` tiny code cells, each printing a few lines and displaying a value."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            f"for i in range(3):\n    print({k}, i)\ndisplay({{'cell': {k}}})\n{k}"
        )
        for k in range(cells)
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def now() -> str:
    """The time now, in the format of nbclient's message timestamps."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def mark(key: str):
    """An nbclient hook that stores the client's clock in the cell's timing metadata."""

    def hook(cell, **_):
        cell.metadata.setdefault("execution", {})[f"client.{key}"] = now()

    return hook


def slowest_cell(nb: nbformat.NotebookNode) -> str:
    """The timeline of the cell that took longest, in seconds after the client sent it:
    when the kernel went busy and sent its reply and idle (kernel clock, message headers) and
    when the client had the reply (client clock). Both clocks are this machine's."""

    def seconds(stamp: str) -> float:
        return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()

    timed = [c for c in nb.cells if "client.reply" in c.metadata.get("execution", {})]
    if not timed:
        return ""
    cell = max(
        timed,
        key=lambda c: (
            seconds(c.metadata.execution["client.reply"])
            - seconds(c.metadata.execution["client.sent"])
        ),
    )
    times = cell.metadata.execution
    sent = seconds(times["client.sent"])
    keys = ["iopub.status.busy", "shell.execute_reply", "iopub.status.idle", "client.reply"]
    return "  ".join(f"{k} +{seconds(times[k]) - sent:.2f}" for k in keys if k in times)


def execute_once(job: tuple[str, int]) -> tuple[str, float, str, str]:
    """Run one notebook (path, or "" for the minimal one) in a fresh kernel.

    Returns (name, seconds, error, slowest cell's timeline); error is "" when there was none."""
    path, timeout = job
    if path:
        nb = nbformat.read(path, as_version=4)
        resources = {"metadata": {"path": str(Path(path).parent)}}
    else:
        nb, resources = minimal_notebook(), {}
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources=resources,
        store_widget_state=True,
        record_timing=True,
        on_cell_execute=mark("sent"),
        on_cell_executed=mark("reply"),
    )
    start = time.perf_counter()
    try:
        client.execute()
        error = ""
    except Exception as exc:  # a real timeout or a dead kernel: report it, keep stressing
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return path or "minimal", time.perf_counter() - start, error, slowest_cell(nb)


def hog() -> None:
    """Burn CPU at the lowest priority until killed."""
    os.nice(19)
    while True:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: the minimal one)")
    parser.add_argument("--runs", type=int, default=100, help="executions in all (default 100)")
    parser.add_argument("--jobs", type=int, default=3, help="executions at once (default 3)")
    parser.add_argument("--hogs", type=int, default=2, help="niced CPU hogs (default 2)")
    parser.add_argument("--timeout", type=int, default=10, help="per-cell timeout, s (default 10)")
    parser.add_argument("--json", type=Path, help="write every run's time to this file")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.jobs < 1 or args.hogs < 0 or args.timeout < 1:
        parser.error("--runs, --jobs and --timeout must be >= 1, --hogs >= 0")

    paths = [str(p) for p in args.notebooks] or [""]
    jobs = [(paths[i % len(paths)], args.timeout) for i in range(args.runs)]
    ctx = mp.get_context("spawn")
    hogs = [ctx.Process(target=hog, daemon=True) for _ in range(args.hogs)]
    for process in hogs:
        process.start()
    results: list[tuple[str, float, str, str]] = []
    try:
        # maxtasksperchild=1: every execution gets a fresh client process, as a fresh kernel.
        with ctx.Pool(args.jobs, maxtasksperchild=1) as pool:
            for i, result in enumerate(pool.imap_unordered(execute_once, jobs), 1):
                results.append(result)
                name, seconds, error, slowest = result
                print(
                    f"{i:4d}  {seconds:7.2f} s  {name}  {error}  slowest cell: {slowest}",
                    flush=True,
                )
    finally:
        for process in hogs:
            process.kill()

    stalls = 0
    for name in sorted({r[0] for r in results}):
        times = [s for n, s, e, _ in results if n == name and not e]
        median = statistics.median(times) if times else float("nan")
        slow = [s for s in times if s >= median + 0.8 * args.timeout]
        errors = sum(1 for n, _, e, _ in results if n == name and e)
        stalls += len(slow)
        print(
            f"{name}: {len(times) + errors} runs, median {median:.2f} s, "
            f"{len(slow)} stalls {[round(s, 1) for s in slow]}, {errors} errors"
        )
    print(f"versions: {versions()}")
    print(f"stalls: {stalls} in {len(results)} executions")
    if args.json:
        args.json.write_text(
            json.dumps({"versions": versions(), "timeout": args.timeout, "runs": results}, indent=1)
        )
    return 1 if stalls else 0


def versions() -> dict[str, str]:
    """The versions of the packages on the messaging path."""
    from importlib.metadata import version

    names = ["pyzmq", "jupyter_client", "nbclient", "ipykernel", "tornado"]
    return {name: version(name) for name in names}


if __name__ == "__main__":
    sys.exit(main())
