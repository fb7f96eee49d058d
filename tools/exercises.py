"""Exercises in one source: the instructor edition (committed) and the student edition (built).

Under a notebook's ``## Exercises`` heading, each exercise is a markdown cell that begins
``### Exercise N: title`` followed by one or more solution cells: code cells tagged ``solution``,
whose first line is ``# @title Solution``, whose answer lies between a line ``### BEGIN SOLUTION``
and a line ``### END SOLUTION`` (nbgrader's markers), and whose last statement calls a check
from ``helpers.checks``.

- ``collapse(nb)``: how the committed notebooks show those cells. A ``solution`` cell, and a
  ``plumbing`` cell (widget wiring a student need not read; its first line is
  ``# @title <what it does>``), shows collapsed: ``jupyter.source_hidden`` in JupyterLab, the form
  view (``cellView: form``, which shows the title) in Colab, which reads ``#@title`` and
  ``# @title`` alike (ruff's formatter writes the second).
- ``student_edition(nb)``: the student's copy. In each solution cell the marked answer is
  replaced by a starter: a top-level assignment ``name = expr`` becomes ``name = ...``, a loop or
  branch becomes ``...``, and a ``return`` stays as ``return ...`` (or as it is when it returns
  names the starter assigns); the code around it (a ``def`` line, setup, the check call) stays,
  and so the check, run on the unfilled starter, tells the student to fill it in. Its outputs go.
- ``for_students(nb, notebook)``: the student edition as handed out: ``student_edition(nb)`` with
  its Colab badge opening ``notebook`` on the student branch (``[tool.course] student-branch``);
  its setup cell still installs ``helpers`` from the course's own branch.
- ``publish(files, branch)``: commit the student edition, with a README that lists it, as the whole
  tree of a local branch, on top of that branch's last commit; the working tree, the index and
  HEAD stay as they are. Pushing the branch (``git push origin student``) publishes it, and its
  Colab badges then open.
- ``format_problems(nb)``: what breaks those rules, for the tests.

    python -m tools.exercises            # write the student edition to build/student/
    python -m tools.exercises --verify   # ... and run it: starters fail only with the check
    python -m tools.exercises --verify --publish  # ... and commit it to the student branch
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat

from tools import ROOT
from tools.course import BADGE_ID, badge_markdown, course_location, student_branch

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SOLUTION_TITLE = "# @title Solution"
# Colab reads a form title written "#@title" or "# @title"; ruff's formatter writes the second.
TITLE = re.compile(r"^#\s?@title (?P<text>\S.*)$")
EXERCISE_HEADING = re.compile(r"^### Exercise \d+: \S", re.MULTILINE)
COLLAPSED_TAGS = ("solution", "plumbing")
BLOCK = "...  # your code here"


def tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_title(line: str, text: str | None = None) -> bool:
    """Whether ``line`` is a Colab form title (with this ``text``, when one is given)."""
    found = TITLE.match(line.strip())
    return bool(found) and (text is None or found.group("text").strip() == text)


def collapse(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Show every ``solution`` and ``plumbing`` cell of ``nb`` collapsed, in place; return it."""
    for cell in nb.cells:
        if cell.cell_type == "code" and any(tag in COLLAPSED_TAGS for tag in tags(cell)):
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
            cell.metadata["cellView"] = "form"
    return nb


def starter(source: str) -> str:
    """``source`` with each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region replaced by
    its starter (see the module docstring)."""
    lines = source.splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip() != BEGIN:
            out.append(line)
            index += 1
            continue
        indent = line[: len(line) - len(line.lstrip())]
        end = next((j for j in range(index + 1, len(lines)) if lines[j].strip() == END), None)
        if end is None:
            raise ValueError(f"{BEGIN!r} without {END!r}")
        out.extend(indent + text for text in _placeholder(lines[index + 1 : end]))
        index = end + 1
    return "\n".join(out)


def _placeholder(region: list[str]) -> list[str]:
    """The starter lines of one answer region (dedented), statement by statement: ``name = ...``
    for each name a top-level assignment makes; one ``...`` for each run of loops, branches and
    ``with`` blocks; a ``return`` of names the starter assigns as it is (``return w, m, v``), any
    other ``return`` as ``return ...``; other statements (a ``print``) go. An empty result is
    one ``...``."""
    code = textwrap.dedent("\n".join(region))
    try:
        body = ast.parse(code).body
    except SyntaxError:
        body = []
    lines: list[str] = []
    names: list[str] = []
    for node in body:
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                elements = target.elts if isinstance(target, ast.Tuple) else [target]
                for name in (e.id for e in elements if isinstance(e, ast.Name)):
                    if name not in names:
                        names.append(name)
                        lines.append(f"{name} = ...  # your answer")
        elif isinstance(node, ast.Return):
            value = node.value
            returned = value.elts if isinstance(value, ast.Tuple) else [value]
            if all(isinstance(v, ast.Name) and v.id in names for v in returned):
                lines.append(ast.get_source_segment(code, node) or ast.unparse(node))
            else:
                lines.append("return ...  # your answer")
        elif isinstance(node, (ast.For, ast.While, ast.If, ast.With, ast.Try)):
            if not lines or lines[-1] != BLOCK:
                lines.append(BLOCK)
    return lines or [BLOCK]


def student_edition(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` in which every solution cell is the student's starter."""
    student = nbformat.from_dict(nb)
    for cell in student.cells:
        if cell.cell_type != "code" or "solution" not in tags(cell):
            continue
        lines = cell.source.splitlines()
        if lines and is_title(lines[0], "Solution"):
            lines = lines[1:]
        cell.source = starter("\n".join(lines))
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("cellView", None)
        cell.metadata.get("jupyter", {}).pop("source_hidden", None)
        cell.metadata["tags"] = [t for t in tags(cell) if t != "solution"] + ["starter"]
    return student


def for_students(nb: nbformat.NotebookNode, notebook: str) -> nbformat.NotebookNode:
    """``student_edition(nb)`` as handed out: its Colab badge opens ``notebook`` (a path such as
    ``notebooks/01_backpropagation.ipynb``) on the student branch, and says which edition it is."""
    student = student_edition(nb)
    repository, branch = course_location()
    badge = next((c for c in student.cells if c.get("id") == BADGE_ID), None)
    if badge is None:
        raise ValueError(f"{notebook}: no Colab badge cell (id {BADGE_ID!r}) to point elsewhere")
    badge.source = (
        f"{badge_markdown(notebook, repository, student_branch())} "
        f"*Student edition: the exercises are yours to fill in, and each check says what is "
        f"wrong. The worked solutions are in the notebooks of the `{branch}` branch.*"
    )
    return student


def branch_readme(titles: dict[str, str], source: str) -> str:
    """The student branch's README.md: what it is, and each notebook (``path -> title``) with
    its Colab badge."""
    repository, branch = course_location()
    students = student_branch()
    lines = [
        "# Training Neural Networks: the student edition",
        "",
        f"Written by `make publish-student` from `{branch}` at {source}; do not edit it here.",
        "Each exercise is a starter to fill in, followed by a check that tells you what is wrong.",
        f"The worked solutions, and the course itself, are on the [`{branch}` branch]"
        f"({repository}/tree/{branch}).",
        "",
    ]
    for number, (path, title) in enumerate(titles.items(), start=1):
        badge = badge_markdown(path, repository, students)
        lines.append(f"{number}. {badge} [{title}]({path})")
    return "\n".join(lines) + "\n"


def git(repo: Path, *args: str, stdin: bytes | None = None, index: Path | None = None) -> str:
    """Run ``git args`` in ``repo`` (with ``index`` as its index file); return its output."""
    env = os.environ | ({"GIT_INDEX_FILE": str(index)} if index else {})
    done = subprocess.run(
        ["git", *args], cwd=repo, input=stdin, env=env, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.decode().strip()}")
    return done.stdout.decode().strip()


def publish(files: dict[str, bytes], branch: str, message: str, repo: Path = ROOT) -> str | None:
    """Commit ``files`` (path in the branch -> content) as the whole tree of ``branch`` in the
    git repository ``repo``, on top of the branch's last commit (so that pushing it is a fast
    forward); create the branch if it is new. The working tree, the index and HEAD are not
    touched. Returns the new commit, or None when the branch already holds exactly ``files``."""
    ref = f"refs/heads/{branch}"
    try:
        parent = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except RuntimeError:
        parent = ""
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        for path, content in sorted(files.items()):
            blob = git(repo, "hash-object", "-w", "--stdin", stdin=content)
            git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", index=index)
        tree = git(repo, "write-tree", index=index)
    if parent and git(repo, "rev-parse", f"{parent}^{{tree}}") == tree:
        return None
    commit = git(repo, "commit-tree", tree, *(["-p", parent] if parent else []), "-m", message)
    git(repo, "update-ref", ref, commit, parent or "0" * 40)
    return commit


def format_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Every way in which ``nb``'s exercises break the format (an empty list when none do)."""
    problems = []
    in_exercises = False
    current: str | None = None
    solutions = 0

    def close() -> None:
        if current is not None and solutions == 0:
            problems.append(f"{current!r} has no solution cell (a code cell tagged 'solution')")

    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            if re.match(r"^## ", cell.source):
                in_exercises = cell.source.startswith("## Exercises")
            for heading in EXERCISE_HEADING.findall(cell.source):
                close()
                current, solutions = heading, 0
            if re.search(
                r"^### Exercise", cell.source, re.MULTILINE
            ) and not EXERCISE_HEADING.search(cell.source):
                problems.append(f"cell {index}: write the heading as '### Exercise N: title'")
            continue
        if "solution" not in tags(cell):
            continue
        where = f"cell {index}"
        if not in_exercises or current is None:
            problems.append(f"{where}: a solution cell outside an exercise of '## Exercises'")
        solutions += 1
        lines = cell.source.splitlines()
        if not lines or not is_title(lines[0], "Solution"):
            problems.append(f"{where}: a solution cell starts with {SOLUTION_TITLE!r}")
        if BEGIN not in (line.strip() for line in lines):
            problems.append(f"{where}: no {BEGIN!r} ... {END!r} region")
        try:
            starter(cell.source)
        except ValueError as error:
            problems.append(f"{where}: {error}")
        try:
            last = ast.parse(cell.source).body[-1]
            calls_check = (
                isinstance(last, ast.Expr)
                and isinstance(last.value, ast.Call)
                and "check" in ast.unparse(last.value.func)
            )
        except (SyntaxError, IndexError):
            calls_check = False
        if not calls_check:
            problems.append(f"{where}: a solution cell ends with a call to a check")
    close()
    headings = [
        c for c in nb.cells if c.cell_type == "markdown" and EXERCISE_HEADING.search(c.source)
    ]
    if not headings:
        problems.append("no exercise: write each as '### Exercise N: title' under '## Exercises'")
    for index, cell in enumerate(nb.cells):
        first = cell.source.splitlines()[0] if cell.source else ""
        if "plumbing" in tags(cell) and not is_title(first):
            problems.append(f"cell {index}: a plumbing cell starts with '# @title <what it does>'")
    return problems


def verify(path: Path) -> list[str]:
    """Run the student edition at ``path`` top to bottom in a fresh kernel: every cell but the
    starters must run without error, and every starter must fail with the check's
    ``ExerciseError`` asking for the answer. Returns what went otherwise."""
    from tools.run_notebooks import client_for

    nb = nbformat.read(path, as_version=4)
    client = client_for(nb, path, timeout=300, allow_errors=True)
    client.execute()
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        if "starter" in tags(cell):
            if not errors:
                problems.append(f"{path.name} cell {index}: the unfilled starter did not fail")
            elif (
                errors[0]["ename"] != "ExerciseError" or "not filled in" not in errors[0]["evalue"]
            ):
                problems.append(
                    f"{path.name} cell {index}: the unfilled starter failed with "
                    f"{errors[0]['ename']}: {errors[0]['evalue']}, not the check's message"
                )
        elif errors and "raises-exception" not in " ".join(tags(cell)):
            problems.append(
                f"{path.name} cell {index}: {errors[0]['ename']}: {errors[0]['evalue']}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the student edition of the notebooks.")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student")
    parser.add_argument("--verify", action="store_true", help="run each one and check it")
    parser.add_argument(
        "--publish", action="store_true", help="then commit it all to the student branch"
    )
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.publish and (args.notebooks or not args.verify):
        parser.error("--publish takes every notebook, with --verify")
    args.out.mkdir(parents=True, exist_ok=True)
    problems, files, titles = [], {}, {}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        target = args.out / path.name
        nbformat.write(for_students(nb, f"notebooks/{path.name}"), target)
        found = verify(target) if args.verify else []
        problems += found
        print(f"{target}: {'ok' if not found else f'{len(found)} problem(s)'}")
        files[f"notebooks/{path.name}"] = target.read_bytes()
        titles[f"notebooks/{path.name}"] = title_of(nb) or path.stem
    for problem in problems:
        print(f"  {problem}")
    if problems or not args.publish:
        return 1 if problems else 0
    source = git(ROOT, "rev-parse", "--short", "HEAD")
    files["README.md"] = branch_readme(titles, source).encode()
    branch = student_branch()
    commit = publish(files, branch, f"The student edition of {source}")
    print(f"{branch}: " + (f"now {commit[:12]}" if commit else "unchanged"))
    print(f"Publish it: git push origin {branch}")
    return 0


def title_of(nb: nbformat.NotebookNode) -> str | None:
    """The notebook's title: its first ``# `` heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line.removeprefix("# ").strip()
    return None


if __name__ == "__main__":
    sys.exit(main())
