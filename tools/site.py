"""Build the course's website from the committed notebooks: ``make site`` -> build/site/.

The pages show the notebooks with their stored outputs, the tested ones: nothing is executed for
the text. What the site needs beyond the notebooks is made here, in a copy (build/site-src/):

- the Colab badge cell becomes a line of links: Open in Colab, this notebook, and its student
  edition (built by tools/exercises.py) in Colab and as a download;
- every figure gets its caption (the ``*Figure:*`` markdown cell after it) as its text
  alternative;
- every interactive demo becomes a kernel-free one: its frames, one per value of each control,
  are computed once by running the notebook and moving the controls (tools/widget_check.py's
  ``frames``) and kept in build/site-frames/ until the notebook or helpers change; the page shows
  them with a slider per control (site/_static/demos.js);
- solution and widget-wiring cells show behind a "show code" toggle (myst-nb's ``hide-input``);
- cell attachments (images pasted into markdown) become files;
- MathJax is copied from the npm package into the site, so that no page loads anything from
  elsewhere (the package is fetched once from the npm registry into ~/.cache/tnn-site/).

Then Sphinx (myst-nb, sphinx-book-theme; pinned in requirements-site.txt) writes the HTML.

    python -m tools.site            # build/site/index.html
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import nbformat

from tools import ROOT
from tools.course import BADGE_ID, colab_url, course_location, student_branch
from tools.exercises import for_students
from tools.run_notebooks import client_for

BUILD = ROOT / "build"
SOURCE, OUTPUT, FRAMES = BUILD / "site-src", BUILD / "site", BUILD / "site-frames"
CACHE = Path(os.environ.get("TNN_SITE_CACHE", Path.home() / ".cache" / "tnn-site"))
MATHJAX = "mathjax@3.2.2"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_CHECK = ROOT / "tools" / "widget_check.py"


def npm_package(spec: str) -> Path:
    """The tarball of an npm package (``name@version``), fetched once into the cache."""
    name, version = spec.rsplit("@", 1)
    tarball = CACHE / f"{name}-{version}.tgz"
    if not tarball.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", "--silent", spec], cwd=CACHE, check=True)
    return tarball


def copy_mathjax(static: Path) -> None:
    """MathJax's browser build (es5/) into ``static/mathjax``."""
    target = static / "mathjax"
    with tarfile.open(npm_package(MATHJAX)) as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.startswith("package/es5/"):
                member.name = member.name.removeprefix("package/es5/")
                archive.extract(member, target, filter="data")


def caption_after(cells: list, index: int) -> str | None:
    """The text of the ``*Figure:*`` caption that follows cell ``index``, markdown removed: its
    first paragraph only, so that a screen reader does not read what follows the caption."""
    for cell in cells[index + 1 : index + 3]:
        if cell.cell_type == "markdown":
            text = cell.source.strip()
            if text.startswith("*Figure:*"):
                caption = re.split(r"\n\s*\n", text.removeprefix("*Figure:*"), maxsplit=1)[0]
                return plain_text(caption)
            return None
    return None


def plain_text(markdown: str) -> str:
    text = re.sub(r"\$([^$]*)\$", r"\1", markdown)
    text = re.sub(r"[*_`]", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return " ".join(text.split())


def demo_frames(path: Path) -> dict[str, list[dict]]:
    """Widget model id (as stored in ``path``'s outputs) -> the frames of that demo.

    The notebook runs top to bottom in a fresh kernel, then the controls of every widget it
    displayed are moved. Cached under build/site-frames/ by the notebook's and helpers' content.
    """
    stored = nbformat.read(path, as_version=4)
    stored_ids = [view_id(cell) for cell in stored.cells]
    if not any(stored_ids):
        return {}
    digest = hashlib.sha256(path.read_bytes())
    for helper in sorted((ROOT / "helpers").rglob("*.py")) + [WIDGET_CHECK]:
        digest.update(helper.read_bytes())
    cached = FRAMES / f"{path.stem}-{digest.hexdigest()[:16]}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    nb = nbformat.read(path, as_version=4)
    client = client_for(nb, path, timeout=300)
    with tempfile.TemporaryDirectory() as tmp, client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        live_ids = [view_id(cell) for cell in nb.cells]
        pairs = [(s, n) for s, n in zip(stored_ids, live_ids, strict=True) if s and n]
        out = Path(tmp) / "frames.json"
        probe = nbformat.v4.new_code_cell(
            "import json, runpy\n"
            f"_frames = runpy.run_path({str(WIDGET_CHECK)!r})['frames']\n"
            f"with open({str(out)!r}, 'w') as f:\n"
            f"    json.dump({{s: _frames(n) for s, n in {pairs!r}}}, f)"
        )
        nb.cells.append(probe)
        client.execute_cell(probe, len(nb.cells) - 1)
        found = json.loads(out.read_text())
    FRAMES.mkdir(parents=True, exist_ok=True)
    for old in FRAMES.glob(f"{path.stem}-*.json"):
        old.unlink()
    cached.write_text(json.dumps(found))
    return found


def view_id(cell) -> str | None:
    for output in cell.get("outputs", []):
        view = output.get("data", {}).get(WIDGET_VIEW)
        if view:
            return view["model_id"]
    return None


def demo_html(name: str, index: int, controls: list[dict], alt: str, static: Path) -> str:
    """The kernel-free demo: the frames as files, a labelled slider per control."""
    folder = static / "frames" / name
    folder.mkdir(parents=True, exist_ok=True)
    parts, first = [], None
    for number, control in enumerate(controls):
        files = []
        for step, frame in enumerate(control["frames"]):
            file = folder / f"cell{index}-c{number}-{step}.png"
            if frame is not None:
                file.write_bytes(base64.b64decode(frame))
            files.append(f"../_static/frames/{name}/{file.name}")
        start = control["start"]
        first = first or files[start]
        label = html.escape(control["label"].rstrip(":"))
        values = control["values"]
        parts.append(
            f'<div class="tnn-demo-control" data-label="{label}" '
            f"data-values='{html.escape(json.dumps(values))}' "
            f"data-frames='{html.escape(json.dumps(files))}'>"
            f'<label>{label}: <span class="tnn-demo-value">{html.escape(values[start])}</span>'
            f'<input type="range" min="0" max="{len(values) - 1}" step="1" value="{start}" '
            f'aria-label="{label}"></label></div>'
        )
    return (
        f'<div class="tnn-demo" data-alt="{html.escape(alt)}">'
        f"<p><em>Interactive demo (precomputed frames; no kernel needed):</em></p>{''.join(parts)}"
        f'<img src="{first}" alt="{html.escape(alt)}"></div>'
    )


def site_notebook(path: Path, static: Path) -> nbformat.NotebookNode:
    """``path``'s notebook as the site shows it (see the module docstring)."""
    nb = nbformat.read(path, as_version=4)
    repository, branch = course_location()
    frames = demo_frames(path)
    attachments = static / "attachments"
    for index, cell in enumerate(nb.cells):
        if cell.get("id") == BADGE_ID:
            url = colab_url(f"notebooks/{path.name}", repository, branch)
            student_url = colab_url(f"notebooks/{path.name}", repository, student_branch())
            cell.source = (
                f"[Open in Colab]({url}) · {{download}}`Download this notebook <{path.name}>` · "
                f"Student edition: [open in Colab]({student_url}), "
                f"{{download}}`download <../student/{path.name}>`"
            )
            continue
        for name, data in cell.pop("attachments", {}).items():
            attachments.mkdir(parents=True, exist_ok=True)
            mime, payload = next(iter(data.items()))
            (attachments / name).write_bytes(base64.b64decode(payload))
            cell.source = cell.source.replace(
                f"attachment:{name}", f"../_static/attachments/{name}"
            )
        if cell.cell_type != "code":
            continue
        if {"solution", "plumbing"} & set(cell.metadata.get("tags", [])):
            # shown behind a "show code" toggle, as JupyterLab and Colab collapse them
            cell.metadata["tags"] = [*cell.metadata["tags"], "hide-input"]
        alt = caption_after(nb.cells, index)
        stored_id = view_id(cell)
        if stored_id:
            title = cell.source.splitlines()[0].removeprefix("#@title").strip()
            text = alt or title or "interactive demo"
            html_text = (
                demo_html(path.stem, index, frames[stored_id], text, static)
                if frames.get(stored_id)
                else ""
            )
            cell.outputs = (
                [nbformat.v4.new_output("display_data", data={"text/html": html_text})]
                if html_text
                else []
            )
        elif alt and any("image/png" in o.get("data", {}) for o in cell.outputs):
            cell.metadata.setdefault("mystnb", {})["image"] = {"alt": alt}
    return nb


def build() -> Path:
    shutil.rmtree(SOURCE, ignore_errors=True)
    static = SOURCE / "_static"
    shutil.copytree(ROOT / "site", SOURCE)
    shutil.copy2(ROOT / "pyproject.toml", SOURCE / "pyproject.toml")
    copy_mathjax(static)
    (SOURCE / "notebooks").mkdir()
    (SOURCE / "student").mkdir()
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    # Computing the demos' frames runs notebooks: two at a time, one kernel per core; each run
    # fills the cache that site_notebook then reads. The largest notebooks start first: their
    # figures make them both large and slow to run and to sweep, and a slow one started last
    # would leave a core idle while it finishes.
    largest_first = sorted(notebooks, key=lambda path: path.stat().st_size, reverse=True)
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        list(pool.map(demo_frames, largest_first))
    for path in notebooks:
        nbformat.write(site_notebook(path, static), SOURCE / "notebooks" / path.name)
        student = for_students(nbformat.read(path, as_version=4), f"notebooks/{path.name}")
        nbformat.write(student, SOURCE / "student" / path.name)
    shutil.rmtree(OUTPUT, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-q", "-W", "--keep-going", "-b", "html"]
    subprocess.run([*command, str(SOURCE), str(OUTPUT)], check=True)
    return OUTPUT / "index.html"


if __name__ == "__main__":
    print(build())
