"""Drive JupyterLab in headless Chromium, as a student would (used by tests/test_browser.py).

- :class:`JupyterLab` starts ``jupyter lab`` from this interpreter's environment (the venv) on a
  free port of 127.0.0.1, with a random token and throwaway config, data, runtime, settings and
  workspace folders, so nothing of the user's leaks in; the settings turn off news and update
  checks, autosave and the editor's blinking cursor, and hold cell windowing at JupyterLab's
  default, "contentVisibility": every cell is in the page, and Chromium skips laying out the
  cells out of view.
- :class:`LabTab` is one browser tab on it, kept from notebook to notebook: it opens a notebook
  (the first by its address, later ones from the file browser) and closes it with File > Close
  and Shut Down Notebook.
- :func:`run_notebook` clears the open notebook's outputs, chooses Run > Run All Cells from the
  menu bar, waits for every cell and the kernel, and reads the page.
- :func:`move_sliders` presses an arrow key on the first slider of each widget and waits for that
  widget's figure to change.

Chromium is Debian's (``/usr/bin/chromium``); Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # Chromium refuses to run as root with its sandbox
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 1000}

# User settings that keep the page quiet and complete (JUPYTERLAB_SETTINGS_DIR).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    # JupyterLab 4's default, held in case it changes: every cell stays in the page (unlike
    # "full"), and cells out of view are not laid out (unlike "none"). Read the page with
    # textContent, which needs no layout: innerText gives "" for a cell out of view.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "contentVisibility"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # A blinking cursor in the active cell's editor keeps Chromium drawing frames for the whole
    # run, for nothing the test looks at.
    "@jupyterlab/codemirror-extension/plugin": {"defaultConfig": {"cursorBlinkRate": 0}},
}

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
STDERR_MIME = "application/vnd.jupyter.stderr"
ERROR_TEXT = re.compile(r"Traceback|\b\w*(Error|Exception)\b")
WIDGET_ERRORS = ("Error displaying widget", "model not found")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """A private JupyterLab server serving ``root`` (a folder of notebooks)."""

    def __init__(self, root: Path, work: Path, startup_timeout: float = 90.0) -> None:
        self.root, self.work = root, work
        self.port = free_port()
        self.token = os.urandom(16).hex()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = work / "jupyterlab.log"
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> JupyterLab:
        dirs = {
            name: self.work / name
            for name in ("config", "data", "runtime", "settings", "workspaces", "ipython")
        }
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        for plugin, values in LAB_SETTINGS.items():
            path = dirs["settings"] / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(dirs["config"]),
            "JUPYTER_DATA_DIR": str(dirs["data"]),
            "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
            "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
            "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
            "IPYTHONDIR": str(dirs["ipython"]),
            "JUPYTER_PLATFORM_DIRS": "1",
            # Figures inline, as in a student's JupyterLab, whatever MPLBACKEND this shell has.
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        }
        # As `make test` sets them: one thread per kernel, and the same hashing as the stored
        # outputs.
        env.setdefault("OMP_NUM_THREADS", "1")
        env.setdefault("PYTHONHASHSEED", "0")
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.user_settings_dir={dirs['settings']}",
            f"--LabApp.workspaces_dir={dirs['workspaces']}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
            "--LanguageServerManager.autodetect=False",
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            cmd, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,  # no TTY: a Ctrl-C of pytest stops it too, unasked
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{self.log()}")
            try:
                self.api("GET", "/api/status")
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise RuntimeError(f"jupyter lab did not start:\n{self.log()}") from None
                time.sleep(0.25)

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # the server shuts its kernels down on SIGTERM
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def notebook_url(self, name: str, workspace: str) -> str:
        return f"{self.url}/lab/workspaces/{workspace}/tree/{name}?token={self.token}"

    def shutdown_kernels(self) -> None:
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")


def copy_course(root: Path, dest: Path) -> Path:
    """Copy notebooks/ (and images/ beside it) so that the browser never writes to the working
    tree; return the copy of notebooks/."""
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", ".virtual_documents")
    for name in ("notebooks", "images"):
        if (root / name).is_dir():
            shutil.copytree(root / name, dest / name, ignore=ignore)
    return dest / "notebooks"


@dataclass
class NotebookReport:
    """What the test asserts on, for one notebook."""

    name: str
    errors: list[str] = field(default_factory=list)  # error outputs and widget failures
    widget_cells: set[int] = field(default_factory=set)  # indices in the notebook's cells
    sliders_moved: list[str] = field(default_factory=list)


# The state of the notebook in view: its code cells' prompts ("[3]:", "[*]:"), the kernel's
# status and any open dialog. textContent, not innerText: it needs no layout, and it reads the
# cells out of view too (see LAB_SETTINGS).
_STATE = r"""
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  const cells = nb ? [...nb.querySelectorAll('.jp-Cell')] : [];
  const code = cells.filter(c => c.classList.contains('jp-CodeCell')
    && (c.querySelector('.jp-InputArea-editor') || c).textContent.trim() !== '');  // empty: not run
  const prompts = code.map(c => {
    const p = c.querySelector('.jp-InputArea-prompt');
    return p ? p.textContent.trim() : '';
  });
  const indicator = document.querySelector(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
  const status = [...document.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem')]
    .map(e => e.textContent.trim()).find(t => / \| \w+$/.test(t)) || '';
  const state = {prompts, status,  // status: "Python 3 (ipykernel) | Idle"
                 kernel: indicator ? indicator.getAttribute('data-status') : null,
                 dialogs: [...document.querySelectorAll('.jp-Dialog')].map(d => d.innerText)};
"""

# Polled while the notebook runs: the state, and whether a cell shows a traceback.
PROGRESS = (
    "() => {"
    + _STATE
    + f"""
  state.tracebacks = cells.some(c => [...c.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="{STDERR_MIME}"]')]
    .some(o => o.textContent.includes('Traceback')));
  return state;
}}"""
)

# Read once when it has run: the state and every output, with its text as shown.
READ_PAGE = (
    "() => {"
    + _STATE
    + r"""
  state.outputs = [];
  cells.forEach((c, i) => {
    if (!c.classList.contains('jp-CodeCell')) return;
    c.querySelectorAll('.jp-OutputArea-output').forEach(o => {
      state.outputs.push({cell: i, mime: o.getAttribute('data-mime-type') || '',
                          nested: !!o.parentElement.closest('.jp-OutputArea-output'),  // a widget's
                          text: o.textContent || '',
                          widget: o.classList.contains('jupyter-widgets')
                                  || !!o.querySelector('.jupyter-widgets')});
    });
  });
  return state;
}"""
)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def click_menu(page, menu: str, item: str) -> None:
    """Choose ``menu > item`` from JupyterLab's menu bar, as a student does."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(menu)}$")).first.click()
    entry = page.locator(
        ".lm-Menu-content .lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")
    )
    entry.first.click()


def idle(state: dict) -> bool:
    status = state["status"]
    return state["kernel"] == "idle" and status.endswith("| Idle") and "No Kernel" not in status


def kernel_ready(page, report: NotebookReport) -> bool:
    """True once the notebook's kernel is connected and idle. A "Select Kernel" dialog (shown
    when JupyterLab lost the kernel's connection while starting it, under heavy load) is answered
    as a student would: Select, which keeps the notebook's own kernel, Python 3."""
    state = page.evaluate(PROGRESS)
    if any(d.startswith("Select Kernel") for d in state["dialogs"]):
        page.locator(".jp-Dialog .jp-mod-accept").first.click()
        return False
    return idle(state)


def run_notebook(page, report: NotebookReport, timeout: float = 150.0) -> None:
    """Run every cell of the notebook open in ``page`` (see :class:`LabTab`), as a student does,
    and record in ``report`` what the page shows."""
    wait_for(lambda: kernel_ready(page, report), 90, "the kernel to start")
    # Solution and plumbing cells are stored collapsed; a collapsed cell shows no prompt, so
    # no execution count to check: show every cell's code first.
    click_menu(page, "View", "Expand All Code")
    # Fresh outputs only: clear what the file stores, then run everything.
    click_menu(page, "Edit", "Clear Outputs of All Cells")
    wait_for(
        lambda: all(p in ("[ ]:", "") for p in page.evaluate(PROGRESS)["prompts"]),
        10, "the outputs to clear",
    )  # fmt: skip
    click_menu(page, "Run", "Run All Cells")

    def finished():
        state = page.evaluate(PROGRESS)
        if state["dialogs"]:
            raise AssertionError(f"a dialog opened: {state['dialogs']}")
        prompts = state["prompts"]
        if not idle(state) or not prompts or "[*]:" in prompts:
            return None
        ran_all = all(re.fullmatch(r"\[\d+\]:", p) for p in prompts)
        return state if ran_all or state["tracebacks"] else None  # Run All stops at one

    wait_for(finished, timeout, "every cell to run and the kernel to go idle", 0.25)
    time.sleep(0.5)  # let late displays (widget views) attach
    wait_for(finished, 10, "the kernel to stay idle")
    state = page.evaluate(READ_PAGE)
    not_run = [i for i, p in enumerate(state["prompts"]) if not re.fullmatch(r"\[\d+\]:", p)]
    if not_run:
        report.errors.append(f"{len(not_run)} code cells did not run (Run All stopped)")
    for out in state["outputs"]:
        where = f"cells[{out['cell']}]"
        text = out["text"].strip()
        if any(bad in text for bad in WIDGET_ERRORS):
            report.errors.append(f"{where}: {text[:500]}")
        elif out["nested"]:  # inside a widget's Output: only an error matters here
            if out["mime"] == STDERR_MIME and ERROR_TEXT.search(text):
                report.errors.append(f"{where} (in the widget): {text[:1500]}")
        elif out["widget"]:
            report.widget_cells.add(out["cell"])
        elif out["mime"] == WIDGET_MIME or "Loading widget" in text:
            report.errors.append(f"{where}: widget not rendered: {text[:200]!r}")
        elif out["mime"] == STDERR_MIME and ERROR_TEXT.search(text):  # warnings do not fail
            report.errors.append(f"{where}: {text[:1500]}")
    try:
        wait_for(lambda: all(i["complete"] for i in page.evaluate(IMAGES)), 10, "images")
    except TimeoutError:
        pass  # reported below
    for image in page.evaluate(IMAGES):
        if not image["external"] and not (image["complete"] and image["width"] > 0):
            report.errors.append(f"cells[{image['cell']}]: image not shown: {image['alt']!r}")


# Every image of every markdown cell (a figure from images/, a cell attachment) and whether it
# loaded. External ones (the Colab badge) are refused by new_context() and not judged.
IMAGES = r"""
() => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  const cells = nb ? [...nb.querySelectorAll('.jp-Cell')] : [];
  return cells.flatMap((c, i) => c.classList.contains('jp-MarkdownCell')
    ? [...c.querySelectorAll('.jp-RenderedMarkdown img')].map(img => ({
        cell: i, alt: img.alt, complete: img.complete, width: img.naturalWidth,
        external: /^https?:/.test(img.getAttribute('src') || '')
                  && !img.src.startsWith(location.origin)}))
    : []);
}
"""


FIGURES_OF = """
(cell) => [...cell.querySelectorAll('.jp-OutputArea-output img')].map(i => i.src).join('|')
"""
TRACEBACKS_OF = f"""
(cell) => [...cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="{STDERR_MIME}"]')]
  .map(o => o.textContent).filter(t => t.includes('Traceback'))
"""


def move_sliders(page, report: NotebookReport, timeout: float = 20.0) -> None:
    """In each cell that shows a widget, press an arrow key on the widget's first slider and wait
    for the figure in that cell's output to change."""
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    for index in sorted(report.widget_cells):
        where = f"cells[{index}]"
        cell = cells.nth(index)
        slider = cell.locator(".jp-OutputArea .widget-slider").first
        if cell.locator(".jp-OutputArea .widget-slider .noUi-handle").count() == 0:
            report.errors.append(f"{where}: the widget has no slider to move")
            continue
        handle = slider.locator(".noUi-handle").first
        readout = slider.locator(".widget-readout")
        label = (slider.locator(".widget-label").first.text_content() or "").strip()
        handle.scroll_into_view_if_needed()
        value = readout.text_content() if readout.count() else None
        before = cell.evaluate(FIGURES_OF)
        if not before:
            report.errors.append(f"{where}: the widget shows no figure")
            continue
        handle.focus()
        page.keyboard.press("ArrowRight")
        if readout.count() and readout.text_content() == value:
            page.keyboard.press("ArrowLeft")  # it was at its maximum: go the other way
            page.keyboard.press("ArrowLeft")
        moved = f"slider {label!r} {value} -> {readout.text_content() if readout.count() else '?'}"
        try:
            wait_for(
                lambda cell=cell, before=before: (now := cell.evaluate(FIGURES_OF))
                and now != before,
                timeout, "the figure to change",
            )  # fmt: skip
            report.sliders_moved.append(f"{where}: {moved}")
        except TimeoutError:
            report.errors.append(
                f"{where}: {moved} did not change the figure within {timeout:.0f} s"
            )
        for traceback in cell.evaluate(TRACEBACKS_OF):
            report.errors.append(f"{where}: after {moved}: {traceback[:1500]}")


def show_first_widget(page, report: NotebookReport) -> None:
    """Scroll the first widget's cell into view (for the screenshot), if there is one."""
    if report.widget_cells and not page.is_closed():
        cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
        try:
            cells.nth(min(report.widget_cells)).scroll_into_view_if_needed(timeout=5000)
        except Exception:  # a screenshot of whatever is shown is still useful
            pass


def screenshot(page, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


def new_context(browser, lab: JupyterLab):
    """A fresh browser context whose requests may reach the local server only: anything else
    (the Colab badge's image, say) is refused at once instead of waiting on DNS."""
    context = browser.new_context(viewport=VIEWPORT)
    context.route(lambda url: not url.startswith(lab.url + "/"), lambda route: route.abort())
    return context


class LabTab:
    """One browser tab on JupyterLab, kept from notebook to notebook as a student keeps it.

    JupyterLab's page, slow to load, is loaded once; each later notebook is opened by a double
    click in the file browser, and each is closed with File > Close and Shut Down Notebook. After
    a failure the tab is thrown away, so that the next notebook starts in a fresh one (in a new
    workspace, which does not reopen the failed notebook).
    """

    def __init__(self, browser, lab: JupyterLab, name: str) -> None:
        self.browser, self.lab, self.name = browser, lab, name
        self.context = self.page = None
        self.tabs_opened = 0

    def open(self, report: NotebookReport) -> None:
        """Open the notebook ``report.name`` and wait for its cells to show."""
        if self.page is None:
            self.tabs_opened += 1
            self.context = new_context(self.browser, self.lab)
            self.page = self.context.new_page()
            workspace = f"{self.name}-{self.tabs_opened}"
            url = self.lab.notebook_url(report.name, workspace)
            self.page.goto(url, wait_until="domcontentloaded")
        else:
            self._open_from_file_browser(report.name)
        self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)

    def close_notebook(self) -> None:
        """File > Close and Shut Down Notebook..., confirmed; wait until its panel is gone."""
        try:
            click_menu(self.page, "File", "Close and Shut Down Notebook…")
            self.page.locator(".jp-Dialog .jp-mod-accept").click(timeout=10_000)
            self.page.locator(".jp-NotebookPanel").first.wait_for(state="detached", timeout=30_000)
        except Exception:
            self.discard()
            raise

    def discard(self) -> None:
        """Close the tab and shut every kernel down: the next notebook starts afresh."""
        self.close()
        self.lab.shutdown_kernels()

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
        self.context = self.page = None

    def _open_from_file_browser(self, name: str) -> None:
        page = self.page
        if not page.locator(".jp-DirListing-content").is_visible():
            page.locator('.jp-SideBar .lm-TabBar-tab[data-id="filebrowser"]').click()
        label = page.locator(".jp-DirListing-itemText", has_text=re.compile(f"^{re.escape(name)}$"))
        page.locator(".jp-DirListing-item", has=label).dblclick()


def launch_chromium(playwright):
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
