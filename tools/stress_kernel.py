"""Stress test for notebook execution stalls (issue 15): run notebooks many times, count stalls.

    python -m tools.stress_kernel --runs 400 --jobs 3 --hogs 2             # the minimal notebook
    python -m tools.stress_kernel --runs 30 --timeout 60 notebooks/04_*.ipynb  # real notebooks
    make stress STRESS_ARGS="--runs 400"

Each execution is one nbclient run in a fresh kernel (this interpreter's ipykernel), with a short
per-cell timeout (``--timeout``, 10 s). ``--jobs`` executions run at once, each in its own client
process, and ``--hogs`` niced busy-loop processes keep the CPUs contended: the stall needs the
client to lag behind the kernel, which contention (more runnable processes than cores) provides.

``--client`` chooses the kernel client, run by run from a comma-separated cycle: ``stock`` is
nbclient's default (the stall), ``fixed`` uses :class:`tools.kernel_session.WakeupKernelManager`
(the fix). The default ``stock,fixed`` alternates the two, so both meet the same load;
``fixed,fixed,stock`` spends two thirds of the runs on the fix.

A stall is an execution whose cells (from sending each to its reply; the kernel's start and
stop, which vary a lot under load, left out) take at least ``0.8 * timeout`` longer than the
median for its notebook and client, or that has a late reply: a cell whose reply reached the client
``0.8 * timeout`` or more after the kernel sent it. The client waits for a reply that is already
in its socket until the cell timeout ends the wait, then carries on with no error and the same
outputs. A cell that really
times out raises; that counts as an error, not a stall. For each execution the slowest cell's
timeline is printed: when the kernel went busy, sent its reply and went idle (the messages'
header times) and when the client had the reply, in seconds after the client sent the cell. In a
stall the kernel replied at once and the client got the reply a timeout later.

The minimal notebook (used when no notebook is given) is what triggers the stall: cells whose
output goes into an ipywidgets Output widget (as ``interact`` does), so that nbclient sends
``comm_msg`` updates on the shell channel while it waits for the cell's reply there.
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing as mp
import os
import signal
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tools.kernel_session import WakeupKernelManager

STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"  # nbclient's format for message times


def minimal_notebook(cells: int = 20) -> nbformat.NotebookNode:
    """A notebook of ``cells`` tiny cells, each printing into a new ipywidgets Output widget."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import ipywidgets as widgets")] + [
        nbformat.v4.new_code_cell(
            f"out = widgets.Output()\ndisplay(out)\nwith out:\n    for i in range(3):\n"
            f"        print({k}, i)"
        )
        for k in range(cells)
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def mark(key: str):
    """An nbclient hook that stores the client's clock in the cell's timing metadata."""

    def hook(cell, **_):
        now = datetime.datetime.now(datetime.UTC).strftime(STAMP)
        cell.metadata.setdefault("execution", {})[f"client.{key}"] = now

    return hook


def seconds(stamp: str) -> float:
    """A message time (nbclient's format) in seconds since the epoch."""
    return datetime.datetime.strptime(stamp, STAMP).timestamp()


def late_replies(nb: nbformat.NotebookNode, late: float) -> int:
    """The number of cells whose reply reached the client ``late`` seconds or more after the
    kernel sent it: the stall itself, whatever the notebook's other timings."""
    times = [c.metadata.get("execution", {}) for c in nb.cells]
    return sum(
        1
        for t in times
        if "client.reply" in t
        and "shell.execute_reply" in t
        and seconds(t["client.reply"]) - seconds(t["shell.execute_reply"]) >= late
    )


def cells_time(nb: nbformat.NotebookNode) -> float:
    """Seconds from sending each cell to having its reply, summed over the cells."""
    times = [c.metadata.get("execution", {}) for c in nb.cells]
    return sum(
        seconds(t["client.reply"]) - seconds(t["client.sent"]) for t in times if "client.reply" in t
    )


def slowest_cell(nb: nbformat.NotebookNode) -> str:
    """The timeline of the cell that took longest, in seconds after the client sent it."""

    def took(cell) -> float:
        times = cell.metadata.execution
        return seconds(times["client.reply"]) - seconds(times["client.sent"])

    timed = [c for c in nb.cells if "client.reply" in c.metadata.get("execution", {})]
    if not timed:
        return ""
    cell = max(timed, key=took)
    times, sent = cell.metadata.execution, seconds(cell.metadata.execution["client.sent"])
    keys = ["iopub.status.busy", "shell.execute_reply", "iopub.status.idle", "client.reply"]
    steps = "  ".join(f"{k} +{seconds(times[k]) - sent:.2f}" for k in keys if k in times)
    return f"cell {nb.cells.index(cell)}: {steps}"


def execute_once(job: tuple[str, int, str]) -> tuple[str, str, float, float, str, int, str]:
    """Run one notebook (path, or "" for the minimal one) in a fresh kernel with the given client.

    Returns (name, client, seconds in all, seconds in cells, error, late replies, slowest cell);
    error is "" when there was none."""
    path, timeout, client_kind = job
    if path:
        nb = nbformat.read(path, as_version=4)
        resources = {"metadata": {"path": str(Path(path).parent)}}
    else:
        nb, resources = minimal_notebook(), {}
    extra = {"kernel_manager_class": WakeupKernelManager} if client_kind == "fixed" else {}
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources=resources,
        store_widget_state=True,
        record_timing=True,
        on_cell_execute=mark("sent"),
        on_cell_executed=mark("reply"),
        **extra,
    )
    start = time.perf_counter()
    try:
        client.execute()
        error = ""
    except Exception as exc:  # a real timeout or a dead kernel: report it, keep stressing
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    took = time.perf_counter() - start
    late = late_replies(nb, 0.8 * timeout)
    return path or "minimal", client_kind, took, cells_time(nb), error, late, slowest_cell(nb)


def hog() -> None:
    """Burn CPU at the lowest priority until killed."""
    os.nice(19)
    while True:
        pass


def versions() -> dict[str, str]:
    """The versions of the packages on the messaging path."""
    from importlib.metadata import version

    names = ["pyzmq", "jupyter_client", "nbclient", "ipykernel", "ipywidgets", "tornado"]
    return {name: version(name) for name in names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: the minimal one)")
    parser.add_argument("--runs", type=int, default=100, help="executions in all (default 100)")
    parser.add_argument("--jobs", type=int, default=3, help="executions at once (default 3)")
    parser.add_argument("--hogs", type=int, default=2, help="niced CPU hogs (default 2)")
    parser.add_argument("--timeout", type=int, default=10, help="per-cell timeout, s (default 10)")
    parser.add_argument("--client", default="stock,fixed", help="cycle of stock/fixed clients")
    parser.add_argument("--json", type=Path, help="write every run's result to this file")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.jobs < 1 or args.hogs < 0 or args.timeout < 1:
        parser.error("--runs, --jobs and --timeout must be >= 1, --hogs >= 0")
    cycle = args.client.split(",")
    if not set(cycle) <= {"stock", "fixed"}:
        parser.error("--client: a comma-separated cycle of 'stock' and 'fixed'")

    paths = [str(p) for p in args.notebooks] or [""]
    kinds = sorted(set(cycle))
    jobs = [
        (paths[i // len(cycle) % len(paths)], args.timeout, cycle[i % len(cycle)])
        for i in range(args.runs)
    ]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the pool and the hogs too
    ctx = mp.get_context("spawn")
    hogs = [ctx.Process(target=hog, daemon=True) for _ in range(args.hogs)]
    for process in hogs:
        process.start()
    results: list[tuple[str, str, float, float, str, int, str]] = []
    try:
        # maxtasksperchild=1: every execution gets a fresh client process, as a fresh kernel.
        with ctx.Pool(args.jobs, maxtasksperchild=1) as pool:
            for i, result in enumerate(pool.imap_unordered(execute_once, jobs), 1):
                results.append(result)
                name, kind, took, cells, error, late, slowest = result
                print(
                    f"{i:4d} {took:7.2f} s (cells {cells:6.2f} s)  {kind}  {name}  "
                    f"late {late}  {error}  {slowest}",
                    flush=True,
                )
    finally:
        for process in hogs:
            process.kill()

    stalls = {kind: 0 for kind in kinds}  # slow executions, or ones with a late reply
    for name, kind in sorted({(r[0], r[1]) for r in results}):
        mine = [r for r in results if r[:2] == (name, kind)]
        times = [r[3] for r in mine if not r[4]]
        median = statistics.median(times) if times else float("nan")
        slow = [r for r in mine if not r[4] and r[3] >= median + 0.8 * args.timeout]
        stalled = [r for r in mine if r in slow or r[5]]
        stalls[kind] += len(stalled)
        print(
            f"{kind} client, {name}: {len(mine)} runs, median {median:.2f} s in cells, "
            f"{len(slow)} slow by >= 0.8 timeout {[round(r[3], 1) for r in slow]}, "
            f"{sum(1 for r in mine if r[5])} with late replies ({sum(r[5] for r in mine)} cells), "
            f"{len(mine) - len(times)} errors"
        )
    print(f"versions: {versions()}")
    for kind in kinds:
        runs = sum(1 for r in results if r[1] == kind)
        print(f"stalls: {stalls[kind]} in {runs} executions with the {kind} client")
    if args.json:
        record = {"versions": versions(), "args": vars(args) | {"json": str(args.json)}}
        args.json.write_text(json.dumps(record | {"runs": results}, indent=1))
    return 1 if stalls.get("fixed") else 0


if __name__ == "__main__":
    sys.exit(main())
