"""The website (``make site`` -> build/site/), checked in headless Chromium and as files.

Every page loads with no console error and no failed request, asks nothing of any other machine,
gives every image a text alternative and leaves no raw ``$...$`` math; search finds a term of the
course; each kernel-free demo shows another frame when its slider moves; every internal link and
anchor resolves; each notebook page opens the notebook and its student edition in Colab and
offers both as downloads; and axe-core (the npm package, run in the page) finds no serious or
critical accessibility violation. Skipped when the site is not built, except in CI (``CI`` set),
where .ci/run builds it first.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import tarfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import nbformat
import pytest

from tools.course import colab_url, course_location, student_branch

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "build" / "site"
CHROMIUM = Path("/usr/bin/chromium")
AXE = "axe-core@4.10.3"
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PAGES = sorted(
    path.relative_to(SITE).as_posix()
    for path in SITE.glob("**/*.html")
    if not path.relative_to(SITE).parts[0].startswith("_")  # the theme's templates, not pages
)
NOTEBOOK_PAGES = [p for p in PAGES if p.startswith("notebooks/")]
# A local web server and a browser: sockets to this machine only; one worker runs the file.
pytestmark = [pytest.mark.allow_hosts(["127.0.0.1"]), pytest.mark.xdist_group("site")]

if not (SITE / "index.html").exists():
    if os.environ.get("CI"):
        raise RuntimeError("build/site/ is missing: .ci/run must run `make site` before the tests")
    pytest.skip("the site is not built: run `make site`", allow_module_level=True)


class Links(HTMLParser):
    """The ids and the link targets (href, src) of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        for key in ("href", "src"):
            if values.get(key) and tag in ("a", "img", "script", "link"):
                self.targets.append(values[key])


@functools.cache
def parsed(page: str) -> Links:
    links = Links()
    links.feed((SITE / page).read_text())
    return links


@pytest.mark.parametrize("page", PAGES)
def test_every_internal_link_and_anchor_resolves(page):
    broken = []
    for target in parsed(page).targets:
        url = urlparse(target)
        if url.scheme or target.startswith(("//", "mailto:", "data:")):
            continue
        path = unquote(url.path)
        file = (SITE / page).parent / path if path else SITE / page
        file = file.resolve()
        if file.is_dir():
            file = file / "index.html"
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif url.fragment and file.suffix == ".html":
            if url.fragment not in parsed(file.relative_to(SITE).as_posix()).ids:
                broken.append(f"{target}: no such anchor")
    assert not broken, f"{page}: {broken}"


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_each_notebook_page_opens_both_editions_in_colab_and_offers_both(page):
    repository, branch = course_location()
    notebook = f"notebooks/{Path(page).stem}.ipynb"
    targets = parsed(page).targets
    assert colab_url(notebook, repository, branch) in targets, "Open in Colab"
    assert colab_url(notebook, repository, student_branch()) in targets, "the student edition"
    downloads = {
        target: nbformat.read((SITE / page).parent / unquote(target), as_version=4)
        for target in targets
        if "_downloads/" in target and target.endswith(Path(notebook).name)
    }
    tagged = sorted(
        tag
        for nb in downloads.values()
        for tag in ("solution", "starter")
        if any(tag in c.metadata.get("tags", []) for c in nb.cells)
    )
    assert tagged == ["solution", "starter"], "one download with the solutions, one without"


@pytest.fixture(scope="module")
def server():
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="make browser-deps installs it")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: make browser-deps")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    tarball = Path(os.environ.get("TNN_SITE_CACHE", Path.home() / ".cache" / "tnn-site"))
    tarball = tarball / (AXE.replace("@", "-") + ".tgz")
    if not tarball.exists():
        import subprocess

        tarball.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", "--silent", AXE], cwd=tarball.parent, check=True)
    with tarfile.open(tarball) as archive:
        return archive.extractfile("package/axe.min.js").read().decode()


def open_page(browser, server: str, page_path: str):
    """Load a page; return it with what went wrong while loading (console errors, failed or
    off-machine requests)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    origin = urlparse(server).netloc

    # Requests are watched, not intercepted: with interception on, Chromium resolves a
    # stylesheet's @import against the page, which fails a request that works for a reader.
    page.on(
        "request",
        lambda r: (
            urlparse(r.url).netloc not in (origin, "")
            and not r.url.startswith("data:")
            and problems.append(f"off-machine request: {r.url}")
        ),
    )
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "requestfailed",
        lambda r: urlparse(r.url).netloc == origin and problems.append(f"failed: {r.url}"),
    )
    page.on(
        "response",
        lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"),
    )
    page.goto(urljoin(server, page_path), wait_until="networkidle")
    page.evaluate("() => window.MathJax?.startup?.promise")
    return page, problems


@pytest.mark.parametrize("page_path", PAGES)
def test_every_page_loads_cleanly_and_is_accessible(browser, server, axe_source, page_path):
    """One load per page: load problems, text alternatives, rendered math, the kernel-free demos
    and the axe-core audit."""
    page, problems = open_page(browser, server, page_path)
    try:
        without_alt = page.eval_on_selector_all(
            "img",
            "imgs => imgs.filter(i => !(i.alt || '').trim() || /\\.(png|svg|jpe?g)$/.test(i.alt))"
            ".map(i => i.getAttribute('src'))",
        )
        text = page.eval_on_selector(
            "body",
            "b => { const c = b.cloneNode(true);"
            " c.querySelectorAll('pre, code, script, style, mjx-container')"
            ".forEach(e => e.remove()); return c.innerText; }",
        )
        raw_math = re.findall(r"\$[^$\s][^$\n]{0,80}\$", text)
        moved = page.evaluate(
            """() => [...document.querySelectorAll('.tnn-demo-control')].map(control => {
                const image = control.closest('.tnn-demo').querySelector('img');
                const input = control.querySelector('input');
                const before = image.getAttribute('src');
                input.value = String(Number(input.value) === 0 ? Number(input.max) : 0);
                input.dispatchEvent(new Event('input'));
                return [control.dataset.label, before, image.getAttribute('src')];
            })"""
        )
        page.wait_for_function(
            "() => [...document.querySelectorAll('.tnn-demo img')].every(i => i.complete)"
        )
        blank_frames = page.eval_on_selector_all(
            ".tnn-demo img", "imgs => imgs.filter(i => !i.naturalWidth).map(i => i.src)"
        )
        page.add_script_tag(content=axe_source)
        violations = page.evaluate(
            # preload off: axe's own fetch of @import-ed stylesheets resolves them against the
            # page, not the stylesheet, and asks for files that do not exist
            "async () => (await axe.run(document, {resultTypes: ['violations'], preload: false}))"
            ".violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length} nodes, e.g. "
            "${v.nodes[0].target.join(' ')})`)"
        )
    finally:
        page.close()
    assert not problems, problems
    assert not without_alt, f"images without a text alternative: {without_alt}"
    assert not raw_math, f"math left unrendered: {raw_math[:5]}"
    assert all(before != after for _, before, after in moved), f"a demo did not change: {moved}"
    assert not blank_frames, f"demo frames that did not load: {blank_frames}"
    assert not violations, violations


@pytest.mark.parametrize("page_path", NOTEBOOK_PAGES)
def test_solutions_are_behind_a_show_code_toggle(page_path):
    page = (SITE / page_path).read_text()
    solutions = page.count('class="cell tag_solution')
    assert solutions > 0, "no solution cell on the page"
    assert page.count('class="cell tag_solution tag_hide-input') == solutions


def test_the_notebook_pages_have_their_kernel_free_demos():
    demos = sum((SITE / page).read_text().count('class="tnn-demo"') for page in NOTEBOOK_PAGES)
    assert demos >= 3, f"only {demos} kernel-free demos on the notebook pages"


def test_search_finds_a_term_of_the_course(browser, server):
    page, problems = open_page(browser, server, "search.html?q=backpropagation")
    try:
        page.wait_for_selector("#search-results li", timeout=30_000)
        found = page.eval_on_selector_all("#search-results li a", "a => a.map(e => e.href)")
    finally:
        page.close()
    assert not problems, problems
    assert any("01_backpropagation" in url for url in found), found
