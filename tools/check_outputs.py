"""Check that every notebook's outputs are reproducible: stored == 1 thread == 2 threads.

    python tools/check_outputs.py                      # every notebook in notebooks/
    python tools/check_outputs.py notebooks/01_*.ipynb # some of them

Each notebook is executed twice, in fresh kernels started by two subprocesses (run in parallel),
one with ``OMP_NUM_THREADS=1`` and one with ``OMP_NUM_THREADS=2`` (``PYTHONHASHSEED=0`` in both,
as in ``make test``). The text outputs of every code cell (``text/plain``, ``text/html``, stream
text with ``\\r`` applied per line, and whether the cell raised) are sanitised with the rules of
tests/nbval_sanitize.cfg, exactly as nbval applies them, and must be identical across the stored
notebook and both runs. Cells tagged ``nbval-ignore-output`` or ``nbval-skip`` (or marked with the
matching comment) are not compared, as under nbval. On a difference it prints a diff per cell and
exits with status 1.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SANITIZE_FILE = ROOT / "tests" / "nbval_sanitize.cfg"
THREADS = (1, 2)
IGNORE_TAGS = {"nbval-ignore-output", "nbval-skip"}
IGNORE_MARKERS = {"# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP"}
TEXT_KEYS = ("text/plain", "text/html")


def sanitize_rules(text: str) -> list[tuple[str, str]]:
    """The (regex, replacement) pairs of a sanitize file, parsed the way nbval parses them."""
    return re.findall(r"^regex: (.*)$\n^replace: (.*)$", text, flags=re.MULTILINE)


def load_rules(path: Path = SANITIZE_FILE) -> list[tuple[str, str]]:
    return sanitize_rules(path.read_text())


def sanitize(text: str, rules: list[tuple[str, str]]) -> str:
    """Apply every rule in order, with no flags, as nbval does."""
    for regex, replacement in rules:
        text = re.sub(regex, replacement, text)
    return text


def apply_carriage_returns(text: str) -> str:
    """What a terminal shows: in each line only what follows the last ``\\r`` (and no ``\\b``)."""
    while True:
        shorter = re.sub(r"[^\n\x08]\x08", "", text)
        if shorter == text:
            break
        text = shorter
    lines = text.split("\n")
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in lines)


def ignored(cell: nbformat.NotebookNode) -> bool:
    """True for a cell whose output nbval does not compare."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    markers = {line.strip() for line in cell.get("source", "").splitlines()}
    return bool(tags & IGNORE_TAGS or markers & IGNORE_MARKERS)


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def cell_text(cell: nbformat.NotebookNode, rules: list[tuple[str, str]]) -> str:
    """The comparable, sanitised text of one code cell's outputs, as one string.

    Streams of the same name are merged at the place of the first one, as nbval does.
    """
    entries: list[list[str]] = []  # [label, text]
    streams: dict[str, list[str]] = {}
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            if output.name not in streams:
                streams[output.name] = [f"[{output.name}]", ""]
                entries.append(streams[output.name])
            streams[output.name][1] += _text(output.text)
        elif kind in ("execute_result", "display_data"):
            for key in TEXT_KEYS:
                if key in output.get("data", {}):
                    entries.append([f"[{key}]", _text(output.data[key])])
        elif kind == "error":
            entries.append(["[error]", output.get("ename", "")])
    for entry in streams.values():
        entry[1] = apply_carriage_returns(entry[1])
    return "\n".join(f"{label}\n{sanitize(text, rules)}" for label, text in entries)


def comparable(nb: nbformat.NotebookNode, rules: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(label, text)`` for every compared code cell, in order."""
    result = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or ignored(cell):
            continue
        result.append((f"cell {index} (id {cell.get('id', '?')})", cell_text(cell, rules)))
    return result


def differences(runs: dict[str, nbformat.NotebookNode], rules: list[tuple[str, str]]) -> list[str]:
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
        [sys.executable, __file__, "--execute-to", str(out), str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _execute_to(path: Path, out: Path) -> int:
    sys.path.insert(0, str(ROOT / "tools"))
    from run_notebooks import execute

    nb, _ = execute(path)
    nbformat.write(nb, out)
    return 0


def check(path: Path, rules: list[tuple[str, str]]) -> bool:
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
    parser.add_argument("--execute-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.execute_to:
        return _execute_to(args.notebooks[0], args.execute_to)
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
