"""Where the course is published: the repository, the branch Colab opens, and the student
edition's branch, all read from pyproject.toml (the one place that says so).

``[project.urls] Repository`` is the GitHub address; ``[tool.course]`` names ``branch`` (the
instructor edition, the notebooks as committed) and ``student-branch`` (the student edition,
written there by ``make publish-student``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from tools import ROOT

PYPROJECT = ROOT / "pyproject.toml"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_ID = "colab-badge"  # the id of each notebook's first cell, its Colab badge


def course_location(pyproject: Path = PYPROJECT) -> tuple[str, str]:
    """The repository URL (https://github.com/OWNER/NAME) and branch from pyproject.toml."""
    config = tomllib.loads(pyproject.read_text())
    repository = config["project"]["urls"]["Repository"]
    return repository.rstrip("/"), config["tool"]["course"]["branch"]


def student_branch(pyproject: Path = PYPROJECT) -> str:
    """The branch that holds the student edition (``[tool.course] student-branch``)."""
    course = tomllib.loads(pyproject.read_text())["tool"]["course"]
    branch = course.get("student-branch")
    if not branch:
        raise ValueError(f"{pyproject.name} has no [tool.course] student-branch")
    if branch == course["branch"]:
        raise ValueError(
            f"the student edition's branch must not be the course's own ({branch!r}): "
            "publishing it there would replace the worked solutions"
        )
    return branch


def colab_url(notebook: str, repository: str, branch: str) -> str:
    """The Colab address that opens ``notebook`` (a path relative to the repository root)."""
    if not repository.startswith("https://github.com/"):
        raise ValueError(f"Colab opens notebooks from GitHub only, not {repository}")
    owner_name = repository.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/{notebook}"


def badge_markdown(notebook: str, repository: str, branch: str) -> str:
    """The "Open In Colab" badge, as markdown, that opens ``notebook`` on ``branch``."""
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(notebook, repository, branch)})"
