"""Every notebook, run in JupyterLab in a real (headless) Chromium, as a student runs it.

The test lives here and runs from two files, tests/test_browser_1.py and test_browser_2.py, each
over half of the notebooks, so that pytest-xdist's two workers share it (`--dist loadfile` gives a
file to one worker). In each file one JupyterLab server (from this venv, on a free port of
127.0.0.1, serving a temporary copy of notebooks/), one browser and one tab in it serve the whole
module. For each notebook: open it (from the file browser after the first), clear its outputs,
Run > Run All Cells, wait for the kernel to go idle, move the sliders, close it with File > Close
and Shut Down Notebook, then assert that

- no cell shows an error (a traceback on stderr; warnings are listed but do not fail),
- every widget renders (no "Error displaying widget" / "model not found" / "Loading widget..."),
  including every widget the stored notebook shows,
- pressing an arrow key on the first slider of each widget changes that widget's figure.

A screenshot per notebook goes to test-artifacts/<notebook>.png, and the timings and findings to
test-artifacts/browser-report-<test file>.json. Skipped, with the reason shown by `make test`,
when Debian's Chromium (/usr/bin/chromium) or the Playwright client is missing (make browser-deps).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import time
from pathlib import Path

import browser_support as bs
import nbformat
import pytest
from course_tools import NOTEBOOKS, ROOT

ARTIFACTS = ROOT / "test-artifacts"

if not bs.CHROMIUM.exists():
    SKIP = f"browser test skipped: {bs.CHROMIUM} not found (make browser-deps)"
elif importlib.util.find_spec("playwright") is None:
    SKIP = "browser test skipped: the playwright client is not in .venv (make browser-deps)"
else:
    SKIP = None

MARKS = [
    pytest.mark.skipif(SKIP is not None, reason=SKIP or ""),
    pytest.mark.allow_hosts(["127.0.0.1"]),  # the local JupyterLab server only
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("jupyterlab")
    root = bs.copy_course(ROOT, work / "course")  # the browser never writes to the repository
    with bs.JupyterLab(root, work / "lab") as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = bs.launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def tab(browser, lab, request: pytest.FixtureRequest):
    """One JupyterLab tab for the module's notebooks, opened one after another."""
    tab = bs.LabTab(browser, lab, name=request.module.__name__.replace("_", "-"))
    yield tab
    tab.close()


@pytest.fixture(scope="module")
def findings(request: pytest.FixtureRequest):
    results: dict[str, dict] = {}
    start = time.monotonic()
    yield results
    ARTIFACTS.mkdir(exist_ok=True)
    summary = {"total_seconds": round(time.monotonic() - start, 1), "notebooks": results}
    (ARTIFACTS / f"browser-report-{request.module.__name__}.json").write_text(
        json.dumps(summary, indent=2) + "\n"
    )


def stored_widget_cells(path: Path) -> set[int]:
    """Indices of the cells whose stored outputs include a widget."""
    nb = nbformat.read(path, as_version=4)
    return {
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and any(bs.WIDGET_MIME in out.get("data", {}) for out in cell.get("outputs", []))
    }


def half(part: int) -> list:
    """The notebooks of one test file (part 1 or 2): every other one, to balance the two."""
    return [pytest.param(path, id=path.name) for path in NOTEBOOKS[part - 1 :: 2]]


def check_notebook(path: Path, tab: bs.LabTab, findings: dict) -> None:
    expected_widgets = stored_widget_cells(path)
    report = bs.NotebookReport(path.name)
    start = time.monotonic()
    ran = False
    try:
        tab.open(report)
        bs.run_notebook(tab.page, report)
        bs.move_sliders(tab.page, report)
        ran = True
    finally:
        if tab.page is not None:
            bs.show_first_widget(tab.page, report)
            shot = time.monotonic()
            bs.screenshot(tab.page, ARTIFACTS / f"{path.stem}.png")
            report.timings["screenshot"] = round(time.monotonic() - shot, 1)
        shot = time.monotonic()
        try:
            tab.close_notebook() if ran else tab.discard()
        finally:
            report.timings["close"] = round(time.monotonic() - shot, 1)
            report.seconds = round(time.monotonic() - start, 1)
            findings[path.name] = {
                k: sorted(v) if isinstance(v, set) else v
                for k, v in dataclasses.asdict(report).items()
            }

    assert not report.errors, f"{path.name} in JupyterLab:\n" + "\n".join(report.errors)
    missing = expected_widgets - report.widget_cells
    assert not missing, f"{path.name}: stored widgets not rendered in cells {sorted(missing)}"
    assert len(report.sliders_moved) == len(report.widget_cells)
