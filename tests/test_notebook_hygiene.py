"""Hygiene of every notebook in notebooks/, checked on the stored files (nothing is executed).

Format (nbformat 4 with cell ids, a clean Run All, no stored errors, kernelspec python3), privacy
(no absolute paths, user or host names in outputs or metadata), size (notebook < 2 MB, each image
< 300 kB, no widget state), structure (one title, objectives first, summary and exercises last)
and links (every relative link, image and anchor resolves). Also the README's notebook list.
The Colab badge and setup cell are checked by tests/test_sync_notebooks.py and
tests/test_colab_bootstrap.py, the exercises' format by tests/test_exercises.py.
"""

from __future__ import annotations

import base64
import getpass
import json
import platform
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

from tools import NOTEBOOKS, ROOT, sync_notebooks

NOTEBOOK_DIR = ROOT / "notebooks"
IDS = [path.name for path in NOTEBOOKS]

MAX_NOTEBOOK_BYTES = 2_000_000
MAX_IMAGE_BYTES = 300_000

IMAGE_KEYS = ("image/png", "image/jpeg", "image/gif")


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


def notebooks(function):
    """Parametrise a test over every notebook (an empty list gives one skipped test)."""
    return pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)(function)


# --- markdown parsing -------------------------------------------------------------------------

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^)]*[\"'])?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
HTML_TARGET = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*[\"']([^\"']*)[\"']", re.I)
HTML_ANCHOR = re.compile(r"<[a-z]+\b[^>]*?\b(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.I)


def prose(source: str) -> str:
    """Markdown without fenced code blocks and inline code."""
    return INLINE_CODE.sub("", FENCE.sub("", source))


def headings(source: str) -> list[tuple[int, str]]:
    return [(len(m.group(1)), m.group(2)) for m in HEADING.finditer(prose(source))]


def link_targets(source: str) -> list[str]:
    text = prose(source)
    found = LINK.findall(text) + REFERENCE.findall(text) + HTML_TARGET.findall(text)
    return [target for target in found if target]


def github_slug(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(nb: nbformat.NotebookNode) -> set[str]:
    """Every anchor a link can target: headings as JupyterLab and GitHub name them, HTML ids."""
    result = set()
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for _, text in headings(cell.source):
            result |= {text.replace(" ", "-"), github_slug(text)}
        result |= set(HTML_ANCHOR.findall(cell.source))
    return result


def markdown_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "markdown"]


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


# --- format -----------------------------------------------------------------------------------


@notebooks
def test_valid_nbformat_4_with_unique_cell_ids(path):
    nb = read(path)
    assert nb.nbformat == 4 and nb.nbformat_minor >= 5, "need nbformat 4.5+ (cell ids)"
    nbformat.validate(nb)
    ids = [cell.get("id") for cell in nb.cells]
    assert all(ids), "every cell needs an id"
    assert len(set(ids)) == len(ids), "cell ids must be unique"


@notebooks
def test_execution_counts_are_a_clean_run_all(path):
    counts = [cell.execution_count for cell in code_cells(read(path))]
    assert counts == list(range(1, len(counts) + 1)), (
        f"execution counts {counts}: run `make outputs` (a clean Run All stores 1, 2, 3, ...)"
    )
    for cell in code_cells(read(path)):
        for output in cell.outputs:
            if output.output_type == "execute_result":
                assert output.execution_count == cell.execution_count


@notebooks
def test_no_stored_error_output(path):
    for index, cell in enumerate(code_cells(read(path))):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"code cell {index} (id {cell.id}) stores an error: {errors[0].ename}"


@notebooks
def test_kernelspec_is_python3(path):
    kernelspec = read(path).metadata.get("kernelspec", {})
    assert kernelspec.get("name") == "python3"
    assert kernelspec.get("language", "python") == "python"


# --- privacy ----------------------------------------------------------------------------------

ABSOLUTE_PATH = re.compile(
    r"(?<![\w.:/~-])/(?:home|Users|root|tmp|var|private|work|opt|usr|mnt|srv|etc|media|data"
    r"|workspace|content|scratch)/"
    r"|\b[A-Za-z]:\\{1,2}(?:Users|Documents and Settings|Windows|Program Files)"
    r"|file://"
    r"|site-packages|dist-packages"
)


def personal_patterns() -> list[re.Pattern]:
    """The user name (as a path part or user@) and the host name, when specific enough to test."""
    patterns = []
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no user name on this machine
        user = ""
    if user:
        patterns.append(re.compile(rf"[/\\]{re.escape(user)}(?:[/\\]|$)|\b{re.escape(user)}@"))
    host = platform.node().split(".")[0]
    if len(host) >= 4 and host.lower() not in {"localhost", "colab", "jupyter", "python"}:
        patterns.append(re.compile(rf"\b{re.escape(host)}\b", re.I))
    return patterns


def output_and_metadata_text(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(where, text) for the notebook's metadata, every cell's metadata and every text output."""
    found = [("notebook metadata", json.dumps(nb.metadata))]
    for index, cell in enumerate(nb.cells):
        where = f"cell {index} (id {cell.get('id')})"
        found.append((f"{where} metadata", json.dumps(cell.metadata)))
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                found.append((f"{where} {output.name}", output.text))
            elif output.output_type == "error":
                text = "\n".join([output.ename, output.evalue, *output.traceback])
                found.append((f"{where} error", text))
            else:
                for key, value in output.get("data", {}).items():
                    if not key.startswith("image/") or key == "image/svg+xml":
                        text = value if isinstance(value, str) else json.dumps(value)
                        found.append((f"{where} {key}", text))
                found.append((f"{where} output metadata", json.dumps(output.get("metadata", {}))))
    return found


def test_privacy_patterns_catch_paths_and_spare_urls():
    assert ABSOLUTE_PATH.search("see /home/alice/x.py")
    assert ABSOLUTE_PATH.search('File "/tmp/ipykernel_123/456.py", line 3')
    assert ABSOLUTE_PATH.search(r"C:\Users\alice\course")
    assert ABSOLUTE_PATH.search("/work/main/.venv/lib/python3.11/site-packages/torch/x.py")
    assert not ABSOLUTE_PATH.search("https://github.com/tnn-course/training-neural-networks")
    assert not ABSOLUTE_PATH.search("the loss/epoch ratio, 3/4 of the data, notebooks/01.ipynb")


@notebooks
def test_no_absolute_paths_user_or_host_names(path):
    patterns = [ABSOLUTE_PATH, *personal_patterns()]
    for where, text in output_and_metadata_text(read(path)):
        for pattern in patterns:
            match = pattern.search(text)
            assert match is None, f"{where} shows {match.group(0)!r}: {text[:200]!r}"


NETWORK = re.compile(
    r"\bdownload\s*=\s*True|urllib\.request|urlretrieve|\brequests\.|\bhttpx\b|\bwget\b|\bcurl\b"
    r"|torchvision\.datasets|load_dataset\(|hf_hub|from_pretrained\(|^\s*[!%]+\s*pip\b",
    re.MULTILINE,
)


@notebooks
def test_code_needs_no_network(path):
    """Data are made in code: no downloads (the Colab setup cell, Colab-only, is exempt)."""
    for index, cell in enumerate(code_cells(read(path))):
        if cell.get("id") == sync_notebooks.SETUP_ID:
            continue
        match = NETWORK.search(cell.source)
        assert match is None, f"code cell {index} (id {cell.id}) uses the network: {match[0]!r}"


# --- size -------------------------------------------------------------------------------------


@notebooks
def test_size_limits_and_no_widget_state(path):
    assert path.stat().st_size < MAX_NOTEBOOK_BYTES, "notebook over 2 MB"
    nb = read(path)
    assert "widgets" not in nb.metadata, "stored widget state: run `make outputs`"
    for index, cell in enumerate(code_cells(nb)):
        for output in cell.outputs:
            data = output.get("data", {})
            assert "image/svg+xml" not in data, f"code cell {index}: SVG output (use PNG)"
            assert "application/vnd.jupyter.widget-state+json" not in data
            for key in IMAGE_KEYS:
                if key in data:
                    size = len(base64.b64decode(data[key]))
                    assert size < MAX_IMAGE_BYTES, f"code cell {index}: {key} of {size} bytes"


# --- structure --------------------------------------------------------------------------------


@notebooks
def test_one_title_then_objectives_and_prerequisites(path):
    nb = read(path)
    all_headings = [h for cell in markdown_cells(nb) for h in headings(cell.source)]
    titles = [text for level, text in all_headings if level == 1]
    assert len(titles) == 1, f"need exactly one '# Title', found {titles}"
    first = nb.cells[1]
    assert first.cell_type == "markdown" and headings(first.source)[0][0] == 1, (
        "the first cell after the badge must start with the '# Title'"
    )
    # Objectives and prerequisites come before any code other than the Colab setup cell.
    top = []
    for cell in nb.cells[1:]:
        if cell.cell_type == "code" and cell.id != sync_notebooks.SETUP_ID:
            break
        if cell.cell_type == "markdown":
            top += [text for level, text in headings(cell.source) if level == 2]
    assert top[:2] == ["Objectives", "Prerequisites"], (
        f"'## Objectives' then '## Prerequisites' must open the notebook, found {top}"
    )


@notebooks
def test_summary_then_exercises_at_the_end(path):
    level2 = [
        text
        for cell in markdown_cells(read(path))
        for level, text in headings(cell.source)
        if level == 2
    ]
    assert level2[-2:] == ["Summary", "Exercises"], (
        f"the last sections must be '## Summary' then '## Exercises', found {level2[-3:]}"
    )


# --- links ------------------------------------------------------------------------------------


def check_target(target: str, base: Path, own_anchors: set[str], attachments: set[str]) -> str:
    """Why ``target`` (a link in a file in ``base``) does not resolve, or "" if it does."""
    parsed = urlparse(target)
    if parsed.scheme in ("http", "https", "mailto"):
        host = (parsed.hostname or "").lower()
        if host in ("localhost", "127.0.0.1", "0.0.0.0", "::1"):
            return "points at a local server"
        return ""
    if parsed.scheme == "attachment":
        return "" if unquote(parsed.path) in attachments else "missing attachment"
    if parsed.scheme or target.startswith(("/", "\\", "~")) or re.match(r"[A-Za-z]:[\\/]", target):
        return "points at a local path outside the repository"
    path, _, fragment = target.partition("#")
    if not path:
        return "" if unquote(fragment) in own_anchors else f"no anchor #{fragment}"
    resolved = (base / unquote(path)).resolve()
    if not resolved.is_relative_to(ROOT):
        return "points outside the repository"
    if not resolved.exists():
        return "file does not exist"
    if fragment and resolved.suffix == ".ipynb":
        if unquote(fragment) not in anchors(read(resolved)):
            return f"no anchor #{fragment} in {resolved.name}"
    return ""


@notebooks
def test_every_markdown_link_and_image_resolves(path):
    nb = read(path)
    own = anchors(nb)
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        attachments = set(cell.get("attachments", {}))
        for target in link_targets(cell.source):
            why = check_target(target, path.parent, own, attachments)
            if why:
                problems.append(f"cell {index} (id {cell.id}): {target}: {why}")
    assert not problems, "\n".join(problems)


def test_link_checker_on_examples(tmp_path):
    source = (
        "# A title\n## Two words\n[ok](#Two-words) [ok](#two-words) [bad](#missing)\n"
        "![img](../images/nothing.png) [x](/home/alice/a.ipynb) [w](https://example.org/a)\n"
        "`[not a link](nowhere)`\n```\n[not a link](nowhere)\n```\n"
        "[up](../../../outside.md) <img src='file:///etc/passwd'> [l](http://localhost:8888/)\n"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(source)])
    own = anchors(nb)
    results = {
        target: check_target(target, NOTEBOOK_DIR, own, set()) for target in link_targets(source)
    }
    assert set(results) == {
        "#Two-words",
        "#two-words",
        "#missing",
        "../images/nothing.png",
        "/home/alice/a.ipynb",
        "https://example.org/a",
        "../../../outside.md",
        "file:///etc/passwd",
        "http://localhost:8888/",
    }
    good = {target for target, why in results.items() if not why}
    assert good == {"#Two-words", "#two-words", "https://example.org/a"}


def test_readme_links_resolve():
    readme = (ROOT / "README.md").read_text()
    own = {github_slug(text) for _, text in headings(readme)}
    problems = []
    for target in link_targets(readme):
        why = check_target(target, ROOT, own, set())
        if why:
            problems.append(f"README.md: {target}: {why}")
    assert not problems, "\n".join(problems)


def test_readme_notebook_list_matches_the_notebooks_folder():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- notebooks:start -->(.*?)<!-- notebooks:end -->", readme, re.S)
    assert block, "README.md needs the <!-- notebooks:start --> ... <!-- notebooks:end --> list"
    items = re.split(r"^(\d+)\.\s", block.group(1), flags=re.MULTILINE)[1:]
    numbers = [int(number) for number in items[::2]]
    assert numbers == list(range(1, len(numbers) + 1)), f"list numbered {numbers}"
    listed = []
    for number, text in zip(items[::2], items[1::2], strict=True):
        local = {t for t in link_targets(text) if not urlparse(t).scheme and t.endswith(".ipynb")}
        assert len(local) == 1, f"item {number} must link one notebook in the repository: {local}"
        listed += local
    present = [path.relative_to(ROOT).as_posix() for path in NOTEBOOKS]
    assert listed == present, f"README lists {listed}\nnotebooks/ holds {present}"
