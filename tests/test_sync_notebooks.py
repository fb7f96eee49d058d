"""Every Colab badge and the Colab setup cell agree with pyproject.toml (sync_notebooks.py)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nbformat
import pytest

from tools import NOTEBOOKS, ROOT, sync_notebooks

COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"'>]+")
REPO, BRANCH = "https://github.com/someone/course", "trunk"


def colab_links(text: str) -> list[str]:
    return COLAB_LINK.findall(text)


def test_everything_is_in_sync() -> None:
    """`python -m tools.sync_notebooks --check` finds nothing stale (notebooks and README)."""
    assert sync_notebooks.main(["--check"]) == 0, "run: .venv/bin/python -m tools.sync_notebooks"


def test_one_repository_address_in_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    repository, branch = sync_notebooks.course_location()
    assert repository.startswith("https://github.com/") and repository.count("/") == 4
    assert branch and " " not in branch
    github_urls = {
        url.rstrip("/").removesuffix(".git")
        for url in pyproject["project"].get("urls", {}).values()
        if url.startswith("https://github.com/")
    }
    assert github_urls == {repository}, f"[project.urls] names other repositories: {github_urls}"
    assert "repository" not in pyproject["tool"]["course"], (
        "write the address once, in [project.urls]"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_badges_agree(path: Path) -> None:
    repository, branch = sync_notebooks.course_location()
    nb = nbformat.read(path, as_version=4)
    expected = sync_notebooks.colab_url(f"notebooks/{path.name}", repository, branch)
    assert nb.cells[0].get("id") == sync_notebooks.BADGE_ID
    assert nb.cells[0].cell_type == "markdown"
    assert colab_links(nb.cells[0].source) == [expected]
    # Any other Colab link in the notebook (a markdown cell, an output) must agree too.
    prefix = sync_notebooks.colab_url("", repository, branch)
    for link in colab_links(nbformat.writes(nb)):
        assert link.startswith(prefix), f"{link} does not start with {prefix}"


def test_readme_badges_agree() -> None:
    repository, branch = sync_notebooks.course_location()
    readme = sync_notebooks.README.read_text()
    start, end = readme.index(sync_notebooks.LIST_START), readme.index(sync_notebooks.LIST_END)
    entries = list(sync_notebooks.ENTRY.finditer(readme[start:end]))
    assert entries, "the README's notebook list is empty"
    for entry in entries:
        badge = sync_notebooks.badge_markdown(entry["path"], repository, branch)
        assert badge in entry.group(0), f"no up-to-date Colab badge beside {entry['path']}"
    listed = {entry["path"] for entry in entries}
    for link in colab_links(readme):  # anywhere in the README, not only in the list
        notebook = link.split(f"/blob/{branch}/", 1)[-1]
        assert link == sync_notebooks.colab_url(notebook, repository, branch), link
        assert notebook in listed, f"a Colab badge for a notebook not in the list: {link}"
    for path in NOTEBOOKS:
        assert f"notebooks/{path.name}" in listed, f"{path.name} is missing from the README list"


def test_render_readme_adds_replaces_and_is_idempotent() -> None:
    text = (
        "intro [x](notebooks/00_not_in_list.ipynb)\n"
        "<!-- notebooks:start -->\n"
        "1. [01_a.ipynb](notebooks/01_a.ipynb): first,\n"
        "   continued.\n"
        "2. [![Open In Colab](old.svg)](https://colab.research.google.com/github/old/repo/blob/"
        "main/notebooks/02_b.ipynb) [02_b.ipynb](notebooks/02_b.ipynb): second.\n"
        "<!-- notebooks:end -->\n"
    )
    once = sync_notebooks.render_readme(text, REPO, BRANCH)
    assert sync_notebooks.render_readme(once, REPO, BRANCH) == once
    assert once.startswith("intro [x](notebooks/00_not_in_list.ipynb)\n")  # outside: untouched
    for name in ("01_a.ipynb", "02_b.ipynb"):
        badge = sync_notebooks.badge_markdown(f"notebooks/{name}", REPO, BRANCH)
        assert f"{badge} [{name}](notebooks/{name}):" in once
    assert "old/repo" not in once and "old.svg" not in once
    assert "   continued.\n" in once
    with pytest.raises(ValueError):
        sync_notebooks.render_readme("no markers", REPO, BRANCH)


def test_render_notebook_puts_badge_first_and_setup_before_code() -> None:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Title"),
            nbformat.v4.new_code_cell("import torch"),
        ]
    )
    sync_notebooks.render(nb, "notebooks/01_a.ipynb", REPO, BRANCH)
    once = nbformat.writes(nb)
    sync_notebooks.render(nb, "notebooks/01_a.ipynb", REPO, BRANCH)
    assert nbformat.writes(nb) == once
    ids = [c.get("id") for c in nb.cells]
    assert ids[0] == sync_notebooks.BADGE_ID and ids[2] == sync_notebooks.SETUP_ID
    assert [c.source for c in nb.cells][1::2] == ["# Title", "import torch"]
    assert nb.cells[0].source == sync_notebooks.badge_markdown("notebooks/01_a.ipynb", REPO, BRANCH)
    assert f'"git+{REPO}@{BRANCH}"' in nb.cells[2].source
    assert 'if "google.colab" in sys.modules:' in nb.cells[2].source
    assert "--no-deps" in nb.cells[2].source


def test_colab_url_needs_github() -> None:
    assert sync_notebooks.colab_url("notebooks/01_a.ipynb", REPO, BRANCH) == (
        "https://colab.research.google.com/github/someone/course/blob/trunk/notebooks/01_a.ipynb"
    )
    with pytest.raises(ValueError):
        sync_notebooks.colab_url("notebooks/01_a.ipynb", "https://gitlab.com/a/b", BRANCH)


def test_a_fork_moves_the_course_with_one_command(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text((ROOT / "pyproject.toml").read_text())
    sync_notebooks.move_course("https://github.com/someone/fork/", "teaching", pyproject)
    assert sync_notebooks.course_location(pyproject) == (
        "https://github.com/someone/fork",
        "teaching",
    )
    with pytest.raises(ValueError, match="GitHub"):
        sync_notebooks.move_course("https://gitlab.com/someone/fork", "main", pyproject)


def test_render_collapses_solution_and_plumbing_cells() -> None:
    solution = nbformat.v4.new_code_cell("# @title Solution\nx = 1")
    solution.metadata["tags"] = ["solution"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("y = 2"), solution])
    sync_notebooks.render(nb, "notebooks/x.ipynb", "https://github.com/o/n", "main")
    assert solution.metadata["jupyter"]["source_hidden"] is True
    assert solution.metadata["cellView"] == "form"
