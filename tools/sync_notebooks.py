"""Render every Colab badge and the Colab setup cell from pyproject.toml.

    python -m tools.sync_notebooks          # rewrite what differs (all notebooks and README.md)
    python -m tools.sync_notebooks --check  # exit 1 and list what differs (used by the tests)
    python -m tools.sync_notebooks --repository https://github.com/YOU/FORK --branch main
        # a fork: writes the new address into pyproject.toml, then re-renders everything

The repository's address is written once, ``[project.urls] Repository`` in pyproject.toml, and
the branch beside it in ``[tool.course]`` (read by tools/course.py).
Each notebook starts with a markdown cell of id ``colab-badge`` (the badge) and its first code
cell has id ``colab-setup``: in Colab it installs ``helpers`` from the repository without its
dependencies, so Colab's own torch, matplotlib and ipywidgets stay as they are; elsewhere it does
nothing visible. In README.md, every entry of the notebook list (between the
``<!-- notebooks:start -->`` and ``<!-- notebooks:end -->`` markers) that links to a notebook
gets the same badge in front of its link.

Colab detection: Colab's kernel (``google.colab._kernel.Kernel``) runs the IPython shell class
``google.colab._shell.Shell``, so ``google.colab`` is always in ``sys.modules`` inside a Colab
notebook, before the first cell runs; elsewhere nothing imports it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

from tools import ROOT
from tools.course import BADGE_ID, badge_markdown, colab_url, course_location
from tools.exercises import collapse

SETUP_ID = "colab-setup"
README = ROOT / "README.md"
LIST_START, LIST_END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"
# A list entry: "1. " then an optional badge (rendered here) then the link to the notebook.
ENTRY = re.compile(
    r"^(?P<prefix>\s*(?:\d+\.|[-*])\s+)"
    r"(?:\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)\s*)?"
    r"(?P<link>\[[^\]]*\]\((?P<path>notebooks/[^)\s]+\.ipynb)\))",
    re.MULTILINE,
)


def setup_source(repository: str, branch: str) -> str:
    """The Colab setup cell's code, written as ruff formats it (``make lint`` checks notebooks)."""
    return (
        "# Colab only: install the course's helpers package, leaving Colab's own packages alone.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    import subprocess\n"
        "\n"
        f'    course = "git+{repository}@{branch}"\n'
        '    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", course]\n'
        "    subprocess.run(pip, check=True)"
    )


def render(nb: nbformat.NotebookNode, notebook: str, repository: str, branch: str) -> None:
    """Put the badge first and the setup cell before the first other code cell, and show the
    solution and plumbing cells collapsed (``tools.exercises.collapse``), in place."""
    collapse(nb)
    cells = [c for c in nb.cells if c.get("id") not in (BADGE_ID, SETUP_ID)]
    old_setup = next((c for c in nb.cells if c.get("id") == SETUP_ID), None)
    setup = old_setup or nbformat.v4.new_code_cell()
    setup.id, setup.source = SETUP_ID, setup_source(repository, branch)
    badge = nbformat.v4.new_markdown_cell(badge_markdown(notebook, repository, branch))
    badge.id = BADGE_ID
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    nb.cells = [badge, *cells[:first_code], setup, *cells[first_code:]]


def sync(path: Path, repository: str, branch: str, write: bool = True) -> bool:
    """Bring one notebook's badge and setup cells up to date; return True if they were stale."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    render(nb, path.resolve().relative_to(ROOT).as_posix(), repository, branch)
    stale = nbformat.writes(nb) != before
    if stale and write:
        nbformat.write(nb, path)
    return stale


def render_readme(text: str, repository: str, branch: str) -> str:
    """``text`` with a Colab badge in front of each notebook link of the notebook list."""
    start, end = text.find(LIST_START), text.find(LIST_END)
    if start < 0 or end < start:
        raise ValueError(f"README has no {LIST_START} ... {LIST_END} block")

    def badge(match: re.Match[str]) -> str:
        notebook = match["path"]
        return f"{match['prefix']}{badge_markdown(notebook, repository, branch)} {match['link']}"

    block = ENTRY.sub(badge, text[start:end])
    return text[:start] + block + text[end:]


def sync_readme(path: Path, repository: str, branch: str, write: bool = True) -> bool:
    """Bring the README's notebook-list badges up to date; return True if they were stale."""
    before = path.read_text()
    after = render_readme(before, repository, branch)
    if after != before and write:
        path.write_text(after)
    return after != before


def move_course(repository: str, branch: str, pyproject: Path = ROOT / "pyproject.toml") -> None:
    """Write a new repository address and branch into pyproject.toml (for a fork)."""
    colab_url("notebooks/x.ipynb", repository, branch)  # refuses an address Colab cannot open
    text = pyproject.read_text()
    text, found_url = re.subn(
        r'(?m)^Repository = "[^"]*"$', f'Repository = "{repository.rstrip("/")}"', text
    )
    text, found_branch = re.subn(r'(?m)^branch = "[^"]*"$', f'branch = "{branch}"', text)
    if (found_url, found_branch) != (1, 1):
        raise ValueError("pyproject.toml has no single Repository = ... / branch = ... line")
    pyproject.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; fail if stale")
    parser.add_argument("--repository", help="move the course: a fork's https://github.com/... URL")
    parser.add_argument("--branch", help="with --repository: the branch Colab opens")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.repository:
        move_course(args.repository, args.branch or course_location()[1])
    elif args.branch:
        parser.error("--branch goes with --repository")
    repository, branch = course_location()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    stale = [path for path in paths if sync(path, repository, branch, write=not args.check)]
    if not args.notebooks and sync_readme(README, repository, branch, write=not args.check):
        stale.append(README)
    for path in stale:
        print(("stale: " if args.check else "updated: ") + str(path))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
