"""Every notebook, run in JupyterLab in a real (headless) Chromium, as a student runs it.

One JupyterLab server (from this venv, on a free port of 127.0.0.1, serving a temporary copy of
notebooks/), one browser and one tab serve a group of notebooks. For each notebook: open it (from
the file browser after the first), clear its outputs, Run > Run All Cells, wait for the kernel to
go idle, move the sliders, close it with File > Close and Shut Down Notebook, then assert that

- no cell shows an error (a traceback on stderr; warnings do not fail),
- every widget renders (no "Error displaying widget" / "model not found" / "Loading widget..."),
  including every widget the stored notebook shows,
- pressing an arrow key on the first slider of each widget changes that widget's figure.

The notebooks fall into two classes (every other one), so that `make test`'s two workers
share the test; each worker starts its own server and browser. A screenshot per notebook goes to
test-artifacts/<notebook>.png. Skipped, with the reason shown by `make test`, when Debian's
Chromium (/usr/bin/chromium) or the Playwright client is missing (`make browser-deps`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import browser_support as bs
import nbformat
import pytest

from tools import NOTEBOOKS, ROOT

ARTIFACTS = ROOT / "test-artifacts"

if not bs.CHROMIUM.exists():
    SKIP = f"browser test skipped: {bs.CHROMIUM} not found (make browser-deps)"
elif importlib.util.find_spec("playwright") is None:
    SKIP = "browser test skipped: the playwright client is not in .venv (make browser-deps)"
else:
    SKIP = None

pytestmark = [
    pytest.mark.skipif(SKIP is not None, reason=SKIP or ""),
    pytest.mark.allow_hosts(["127.0.0.1"]),  # the local JupyterLab server only
]


@pytest.fixture(scope="module")
def tab(tmp_path_factory: pytest.TempPathFactory):
    """One JupyterLab server, browser and tab for this worker's notebooks, in turn."""
    from playwright.sync_api import sync_playwright

    work = tmp_path_factory.mktemp("jupyterlab")
    root = bs.copy_course(ROOT, work / "course")  # the browser never writes to the repository
    with bs.JupyterLab(root, work / "lab") as lab, sync_playwright() as playwright:
        browser = bs.launch_chromium(playwright)
        tab = bs.LabTab(browser, lab, name=work.name)
        yield tab
        tab.close()
        browser.close()


def stored_widget_cells(path: Path) -> set[int]:
    """Indices of the cells whose stored outputs include a widget."""
    nb = nbformat.read(path, as_version=4)
    return {
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and any(bs.WIDGET_MIME in out.get("data", {}) for out in cell.get("outputs", []))
    }


def check_notebook(path: Path, tab: bs.LabTab) -> None:
    report = bs.NotebookReport(path.name)
    ran = False
    try:
        tab.open(report)
        bs.run_notebook(tab.page, report)
        bs.move_sliders(tab.page, report)
        ran = True
    finally:
        if tab.page is not None:
            bs.show_first_widget(tab.page, report)
            bs.screenshot(tab.page, ARTIFACTS / f"{path.stem}.png")
        tab.close_notebook() if ran else tab.discard()

    assert not report.errors, f"{path.name} in JupyterLab:\n" + "\n".join(report.errors)
    missing = stored_widget_cells(path) - report.widget_cells
    assert not missing, f"{path.name}: stored widgets not rendered in cells {sorted(missing)}"
    assert len(report.sliders_moved) == len(report.widget_cells)


def every_other(start: int) -> list:
    return [pytest.param(path, id=path.name) for path in NOTEBOOKS[start::2]]


# Two classes, because `make test`'s `--dist loadscope` gives each class to one worker.
class TestOddNotebooks:
    @pytest.mark.parametrize("path", every_other(0))
    def test_notebook_runs_in_jupyterlab(self, path: Path, tab: bs.LabTab) -> None:
        check_notebook(path, tab)


class TestEvenNotebooks:
    @pytest.mark.parametrize("path", every_other(1))
    def test_notebook_runs_in_jupyterlab(self, path: Path, tab: bs.LabTab) -> None:
        check_notebook(path, tab)
