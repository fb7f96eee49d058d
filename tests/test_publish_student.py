"""The student edition's own Colab links: its badges open the student branch, and
``tools.exercises.publish`` writes that branch without touching the checkout."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tools import NOTEBOOKS
from tools.course import BADGE_ID, colab_url, course_location, student_branch
from tools.exercises import branch_readme, for_students, git, publish, title_of

COLAB_LINK = re.compile(r"\]\((https://colab\.research\.google\.com/github/[^)]+)\)")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git repository with one commit on main, a staged change and an unstaged one."""
    for name, value in [("NAME", "Course Test"), ("EMAIL", "course@example.org")]:
        monkeypatch.setenv(f"GIT_AUTHOR_{name}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{name}", value)
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "course.txt").write_text("the instructor edition\n")
    git(tmp_path, "add", "course.txt")
    git(tmp_path, "commit", "-q", "-m", "main")
    (tmp_path / "staged.txt").write_text("staged\n")
    git(tmp_path, "add", "staged.txt")
    (tmp_path / "course.txt").write_text("edited, not staged\n")
    return tmp_path


def branch_files(repo: Path, branch: str) -> list[str]:
    return git(repo, "ls-tree", "-r", "--name-only", branch).splitlines()


def student_branch_files() -> dict[str, bytes]:
    """What ``make publish-student`` commits, without running the notebooks."""
    files, titles = {}, {}
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        files[f"notebooks/{path.name}"] = nbformat.writes(
            for_students(nb, f"notebooks/{path.name}")
        ).encode()
        titles[f"notebooks/{path.name}"] = title_of(nb)
    files["README.md"] = branch_readme(titles, "abc1234").encode()
    return files


def test_each_student_notebook_opens_in_colab_from_the_student_branch():
    repository, branch = course_location()
    for path in NOTEBOOKS:
        notebook = f"notebooks/{path.name}"
        student = for_students(nbformat.read(path, as_version=4), notebook)
        badge = next(c for c in student.cells if c.get("id") == BADGE_ID)
        assert COLAB_LINK.findall(badge.source) == [
            colab_url(notebook, repository, student_branch())
        ]
        assert "Student edition" in badge.source
        setup = next(c for c in student.cells if c.get("id") == "colab-setup")
        assert f"{repository}@{branch}" in setup.source, "helpers come from the course's branch"


def test_the_student_branch_is_named_and_is_not_the_course_branch(tmp_path):
    assert student_branch() != course_location()[1]
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.course]\nbranch = "main"\n')
    with pytest.raises(ValueError, match="no \\[tool.course\\] student-branch"):
        student_branch(pyproject)
    pyproject.write_text('[tool.course]\nbranch = "main"\nstudent-branch = "main"\n')
    with pytest.raises(ValueError, match="would replace the worked solutions"):
        student_branch(pyproject)


def test_publish_writes_the_branch_and_leaves_the_checkout_alone(repo):
    status, head = git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD")
    files = {"notebooks/01_a.ipynb": b"one", "README.md": b"readme"}
    commit = publish(files, "student", "first", repo)
    assert commit == git(repo, "rev-parse", "student")
    assert branch_files(repo, "student") == ["README.md", "notebooks/01_a.ipynb"]
    assert git(repo, "show", "student:notebooks/01_a.ipynb") == "one"
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert (git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD")) == (status, head)


def test_publish_again_is_a_fast_forward_and_an_unchanged_edition_adds_nothing(repo):
    edition = {"notebooks/01_a.ipynb": b"one", "README.md": b"r"}
    first = publish(edition, "student", "1", repo)
    assert publish(dict(edition), "student", "2", repo) is None
    assert git(repo, "rev-parse", "student") == first
    second = publish({"notebooks/02_b.ipynb": b"two", "README.md": b"r"}, "student", "3", repo)
    assert git(repo, "rev-parse", f"{second}^") == first, "the old tip is the new one's parent"
    assert branch_files(repo, "student") == ["README.md", "notebooks/02_b.ipynb"], (
        "the branch holds exactly the edition: a notebook no longer written is gone"
    )


def test_every_colab_link_of_the_published_branch_opens_a_notebook_on_it(repo):
    repository, _ = course_location()
    branch = student_branch()
    publish(student_branch_files(), branch, "the student edition", repo)
    tree = branch_files(repo, branch)
    assert tree == ["README.md", *(f"notebooks/{path.name}" for path in NOTEBOOKS)]
    prefix = colab_url("", repository, branch)
    links = COLAB_LINK.findall(git(repo, "show", f"{branch}:README.md"))
    for path in tree[1:]:
        nb = nbformat.reads(git(repo, "show", f"{branch}:{path}"), as_version=4)
        links += COLAB_LINK.findall(nb.cells[0].source)
    assert len(links) == 2 * len(NOTEBOOKS)
    for link in links:
        assert link.startswith(prefix) and link.removeprefix(prefix) in tree, link
