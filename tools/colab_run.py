"""Run one notebook in the current environment and report on it as JSON (the last stdout line).

``tools/colab_check.py`` runs this file with the Python of its Colab replica, so it imports only
what that environment has (nbclient, nbformat, ipywidgets, the standard library).

The report: ``errors`` (error outputs, a failed assertion among them), ``stderr`` (text a cell
wrote to stderr, such as a warning), ``differ`` (code cells whose text output, after the course's
sanitize rules, is not the stored one: ``[index, diff lines]``), ``cells`` (code cells),
``controls`` (widget controls moved) and ``widgets`` (controls that, moved to two other values,
did not change what their demo shows: ``tools/widget_check.py``, run in the notebook's kernel
after its last cell).
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from pathlib import Path

import nbformat
from kernel_session import WakeupKernelManager  # beside this file (run as a script from tools/)
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
SANITIZE = HERE.parent / "tests" / "nbval_sanitize.cfg"
WIDGET_CHECK = HERE / "widget_check.py"


def sanitize_rules() -> list[tuple[str, str]]:
    """The (regex, replacement) pairs of the course's nbval sanitize file."""
    text = SANITIZE.read_text() if SANITIZE.exists() else ""
    return re.findall(r"^regex: (.*)\nreplace: (.*)$", text, flags=re.MULTILINE)


def text_of(outputs: list, rules: list[tuple[str, str]]) -> str:
    """A cell's text outputs as one sanitised string, as nbval compares them: each stream's
    pieces joined (a run may split printed text into other pieces), images and widget views out."""
    streams: dict[str, str] = {}
    parts = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            streams[output["name"]] = streams.get(output["name"], "") + output["text"]
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" not in data:
                parts.append(data.get("text/plain", ""))
        elif kind == "error":
            parts.append(f"{output['ename']}: {output['evalue']}")
    text = "".join(f"{name}:{value}" for name, value in sorted(streams.items())) + "".join(parts)
    for pattern, replacement in rules:
        text = re.sub(pattern, replacement, text)
    return text


def run(path: Path) -> tuple[nbformat.NotebookNode, dict | str]:
    """Execute the notebook at ``path`` in a fresh kernel, then the widget check in that kernel;
    return the executed notebook and the check's result (or its error, as text)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        kernel_manager_class=WakeupKernelManager,  # no stall to the timeout (issue 15)
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    check = nbformat.v4.new_code_cell(
        "import json, runpy\n"
        f"print(json.dumps(runpy.run_path({str(WIDGET_CHECK)!r})['check_controls']()))"
    )
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        nb.cells.append(check)
        client.execute_cell(check, len(nb.cells) - 1)
        nb.cells.pop()
    for output in check.outputs:
        if output.get("output_type") == "error":
            return nb, f"the widget check failed: {output['ename']}: {output['evalue']}"
    printed = "".join(o.get("text", "") for o in check.outputs if o.get("name") == "stdout")
    return nb, json.loads(printed.strip().splitlines()[-1])


def report(path: Path) -> dict:
    stored = nbformat.read(path, as_version=4)
    nb, widgets = run(path)
    rules = sanitize_rules()
    found = {"errors": [], "stderr": [], "differ": [], "cells": 0, "controls": 0, "widgets": []}
    for index, (old, new) in enumerate(zip(stored.cells, nb.cells, strict=True)):
        if new.cell_type != "code":
            continue
        found["cells"] += 1
        tags = " ".join(new.metadata.get("tags", []))
        for output in new.outputs:
            if output.get("output_type") == "error" and "raises-exception" not in tags:
                found["errors"].append(f"cell {index}: {output['ename']}: {output['evalue']}")
            if output.get("output_type") == "stream" and output["name"] == "stderr":
                found["stderr"].append(f"cell {index} wrote to stderr: {output['text'][:300]}")
        before, after = text_of(old.outputs, rules), text_of(new.outputs, rules)
        if "nbval-ignore-output" not in tags and before != after:
            lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            found["differ"].append([index, [line for line in lines if line[:1] in "+-"][2:]])
    if isinstance(widgets, str):
        found["widgets"].append(widgets)
    else:
        found["controls"] = widgets["controls"]
        found["widgets"] += widgets["problems"]
    return found


if __name__ == "__main__":
    print(json.dumps(report(Path(sys.argv[1]))))
