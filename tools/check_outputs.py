"""Check that every notebook's outputs are reproducible: stored == 1 thread == 2 threads.

    python tools/check_outputs.py                      # every notebook in notebooks/
    python tools/check_outputs.py notebooks/01_*.ipynb # some of them

Each notebook is executed twice, in fresh kernels started by two subprocesses (run in parallel,
each a ``tools/run_notebooks.py --output``), one with ``OMP_NUM_THREADS=1`` and one with
``OMP_NUM_THREADS=2`` (``PYTHONHASHSEED=0`` in both, as in ``make test``). Every code cell's
outputs are then compared as nbval compares them, with nbval's own functions: streams of the same
name merged and carriage returns applied (``coalesce_streams``), the rules of
tests/nbval_sanitize.cfg applied in order, images and widget views left out, and cells that nbval
skips or does not check (``# NBVAL_SKIP``, ``nbval-ignore-output``, ... as a comment or a tag) left
out. They must be identical across the stored notebook and both runs. On a difference it prints a
diff per cell and exits with status 1.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbval.plugin import (
    coalesce_streams,
    find_comment_markers,
    find_metadata_tags,
    get_sanitize_patterns,
)

ROOT = Path(__file__).resolve().parent.parent
SANITIZE_FILE = ROOT / "tests" / "nbval_sanitize.cfg"
THREADS = (1, 2)
# What nbval (without --nbdime) leaves out of the comparison: IPyNbFile.skip_compare.
NOT_COMPARED = {
    "metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
    "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg",
}  # fmt: skip


def load_rules(path: Path = SANITIZE_FILE) -> dict[str, str]:
    """The sanitize file's ``regex: replacement`` pairs, in order, as nbval reads them."""
    return dict(get_sanitize_patterns(path.read_text()))


def sanitize(text: str, rules: dict[str, str]) -> str:
    """Apply every rule in order, with no flags, as nbval does."""
    for regex, replacement in rules.items():
        text = re.sub(regex, replacement, text)
    return text


def compared(cell: nbformat.NotebookNode) -> bool:
    """False for a cell that nbval skips or whose output it does not check."""
    markers = dict(find_comment_markers(cell.get("source", "")))
    markers.update(find_metadata_tags(cell.get("metadata", {})))
    return not markers.get("skip", False) and markers.get("check", True)


def _text(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def cell_text(cell: nbformat.NotebookNode, rules: dict[str, str]) -> str:
    """The compared, sanitised outputs of one code cell, as one string.

    As in nbval's ``compare_outputs``, values are grouped by key (``stdout``, ``text/plain``,
    ``ename``, ...): the order within a key counts, the order between keys does not.
    """
    values: dict[str, list[str]] = {}
    for output in coalesce_streams(copy.deepcopy(cell.get("outputs", []))):
        if output.output_type == "stream":  # nbval compares a stream under its name
            items = [(output.name, output.text)]
        else:
            items = [(k, v) for k, v in output.items() if k != "data"]
            items += list(output.get("data", {}).items())
        for key, value in items:
            if key not in NOT_COMPARED:
                values.setdefault(key, []).append(sanitize(_text(value), rules))
    return "\n".join(f"[{key}]\n{value}" for key in sorted(values) for value in values[key])


def comparable(nb: nbformat.NotebookNode, rules: dict[str, str]) -> list[tuple[str, str]]:
    """``(label, text)`` for every compared code cell, in order."""
    result = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not compared(cell):
            continue
        result.append((f"cell {index} (id {cell.get('id', '?')})", cell_text(cell, rules)))
    return result


def differences(runs: dict[str, nbformat.NotebookNode], rules: dict[str, str]) -> list[str]:
    """Unified diffs of every compared cell that differs between the first run and another."""
    names = list(runs)
    reference_name = names[0]
    reference = comparable(runs[reference_name], rules)
    report = []
    for name in names[1:]:
        other = comparable(runs[name], rules)
        if [label for label, _ in other] != [label for label, _ in reference]:
            report.append(f"{reference_name} and {name} do not have the same code cells")
            continue
        for (label, left), (_, right) in zip(reference, other, strict=True):
            if left != right:
                diff = difflib.unified_diff(
                    left.splitlines(),
                    right.splitlines(),
                    f"{label}: {reference_name}",
                    f"{label}: {name}",
                    lineterm="",
                )
                report.append("\n".join(diff))
    return report


def execute_in_subprocess(path: Path, threads: int, out: Path) -> subprocess.Popen:
    """Start a subprocess that runs ``path`` in a fresh kernel with ``threads`` threads."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYTHONHASHSEED="0")
    return subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "run_notebooks.py"), "--output", str(out), str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def check(path: Path, rules: dict[str, str]) -> bool:
    """Run one notebook with 1 and with 2 threads; print what differs; True if nothing does."""
    path = path.resolve()
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    runs = {"stored": nbformat.read(path, as_version=4)}
    with tempfile.TemporaryDirectory() as tmp:
        outs = {n: Path(tmp) / f"threads{n}.ipynb" for n in THREADS}
        procs = {n: execute_in_subprocess(path, n, outs[n]) for n in THREADS}
        failed = False
        for n, proc in procs.items():
            log, _ = proc.communicate()
            if proc.returncode != 0:
                print(f"FAIL {shown}: execution with OMP_NUM_THREADS={n} failed:\n{log}")
                failed = True
        if failed:
            return False
        for n in THREADS:
            runs[f"OMP_NUM_THREADS={n}"] = nbformat.read(outs[n], as_version=4)
    report = differences(runs, rules)
    if report:
        print(f"FAIL {shown}: sanitised outputs differ")
        print("\n".join(report))
        return False
    print(f"ok   {shown}: stored == 1 thread == 2 threads")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("no notebooks to check")
        return 0
    rules = load_rules()
    results = [check(path, rules) for path in paths]
    print(f"{sum(results)} of {len(results)} notebooks reproduce their stored outputs")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
