"""Latency of every interactive widget's update, measured in the notebook's own kernel.

Each notebook is executed top to bottom in a fresh kernel that is kept alive; then the probe,
tools/widget_probe.py, runs in that kernel. It finds every live widget (ipywidgets 8 keeps them in
``ipywidgets.widgets.widget._instances``): each ``interactive`` (``interact``) with its controls,
and every other control whose ``value`` has an observer from notebook code (sliders plus
``observe``, ``interactive_output``), grouped by observer. For each control it sweeps the value
(the options of a selection, or about seven steps from min to max of a slider) and times each
``control.value = v`` with ``perf_counter`` (and the kernel thread's CPU time, a cross-check
that other processes on the machine inflate less); the update runs synchronously inside that
assignment, figure rendering by the inline backend included. A group that misses the targets is
profiled (cProfile) on its slowest value, so the report says where the time goes.

The same run gives the notebook's execution time (kernel start-up and every cell, as
``run_notebooks.execute`` times it but for the kernel's shutdown) and its per-cell times, which
show which cell makes a slow notebook slow: `make bench` runs each notebook once for both.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import nbformat

from tools.run_notebooks import client_for

PROBE = Path(__file__).with_name("widget_probe.py")  # sent to the kernel as source
WIDGET_CHECK = Path(__file__).with_name("widget_check.py")  # which widgets are controls


def measure(path: Path, median_target: float, worst_target: float, timeout: int = 600) -> dict:
    """Execute ``path`` in a kept-alive kernel, then time its widgets' updates in that kernel;
    a widget whose median or worst update misses its target (seconds) is profiled."""
    nb = nbformat.read(path, as_version=4)
    client = client_for(nb, path, timeout)
    client.reset_execution_trackers()  # what execute() does before setup_kernel()
    cell_times = []
    start_all = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, client.setup_kernel():
        out = Path(tmp) / "widgets.json"
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            start = time.perf_counter()
            client.execute_cell(cell, index)
            cell_times.append((time.perf_counter() - start, index, cell.get("id", "")))
        executed = time.perf_counter() - start_all  # kernel start-up and every cell
        probe = nbformat.v4.new_code_cell(
            PROBE.read_text()
            + f"\nprobe({str(out)!r}, {median_target!r}, {worst_target!r}, {str(WIDGET_CHECK)!r})\n"
        )
        nb.cells.append(probe)
        client.execute_cell(probe, len(nb.cells) - 1)
        probed = json.loads(out.read_text())
        widgets = probed["widgets"]
    for w in widgets:  # the cell that defines each update function
        w["cells"] = [
            {"index": i, "id": c.get("id", "")}
            for line in w.get("defined_by", [])
            if line
            for i, c in enumerate(nb.cells[:-1])
            if c.cell_type == "code" and line in c.source
        ]
    cell_times.sort(reverse=True)
    return {
        "notebook": path.name,
        "executed_s": round(executed, 2),
        "kernel_cpu_s": round(probed["kernel_cpu_s"], 2),
        "slowest_cells": [
            {"index": i, "id": cid, "seconds": round(t, 3)} for t, i, cid in cell_times[:3]
        ],
        "widgets": widgets,
    }
