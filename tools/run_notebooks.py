"""Execute notebooks top to bottom in a fresh kernel, as `make outputs` and the checks do.

    python -m tools.run_notebooks --write notebooks/*.ipynb   # store fresh outputs in place
    python -m tools.run_notebooks notebooks/01_*.ipynb        # run only, print the times
    python -m tools.run_notebooks --output run.ipynb notebooks/01_*.ipynb  # store elsewhere
    python -m tools.run_notebooks --check-metadata notebooks/*.ipynb  # run nothing (make lint)

The kernel is this interpreter's (the venv's) and inherits the environment, so the thread count
and seeds set by the Makefile hold for the kernel too. Stored notebooks are normalised: execution
counts 1..N, kernelspec python3, no timing metadata and no widget state.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

from tools.kernel_session import WakeupKernelManager

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def client_for(
    nb: nbformat.NotebookNode, path: Path, timeout: int = 120, **options: Any
) -> NotebookClient:
    """The nbclient runner every tool of the course uses for ``nb`` (read from ``path``): python3
    kernel, the notebook's folder as working directory, no timing metadata, and the kernel
    manager that keeps a reply from stalling until the timeout (tools/kernel_session.py, issue
    15). ``options`` go to ``NotebookClient`` (``allow_errors=True``, ``on_cell_error=...``)."""
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    settings: dict[str, Any] = {
        "timeout": timeout,
        "kernel_name": "python3",
        "kernel_manager_class": WakeupKernelManager,
        "resources": {"metadata": {"path": str(path.parent)}},
        "record_timing": False,
        # False trips nbclient 0.11 on Output widgets (KeyError); normalise() drops the state.
        "store_widget_state": True,
    }
    return NotebookClient(nb, **(settings | options))


def execute(path: Path, timeout: int = 120) -> tuple[nbformat.NotebookNode, float]:
    """Run the notebook at ``path`` in a fresh kernel; return it with its outputs and the time."""
    nb = nbformat.read(path, as_version=4)
    client = client_for(nb, path, timeout)
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip what varies between runs and machines from a freshly executed notebook."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
    return nb


def metadata_is_normalised(path: Path) -> bool:
    """True when the stored notebook at ``path`` has nothing that ``normalise`` would strip."""
    nb = nbformat.read(path, as_version=4)
    return normalise(copy.deepcopy(nb)) == nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--write", action="store_true", help="store the outputs in place")
    parser.add_argument("--output", type=Path, help="store the one notebook's run in this file")
    parser.add_argument(
        "--check-metadata", action="store_true", help="run nothing; fail if not normalised"
    )
    args = parser.parse_args(argv)
    if args.check_metadata:
        stale = [path for path in args.notebooks if not metadata_is_normalised(path)]
        for path in stale:
            print(f"{path}: widget state, timing or version metadata; run `make outputs`")
        return 1 if stale else 0
    if args.output and (args.write or len(args.notebooks) != 1):
        parser.error("--output takes one notebook, and not --write")
    total = 0.0
    for path in args.notebooks:
        nb, seconds = execute(path)
        total += seconds
        if args.write or args.output:
            nbformat.validate(nb)
            nbformat.write(normalise(nb), args.output or path)
        print(f"{seconds:6.1f} s  {path}", flush=True)
    print(f"{total:6.1f} s  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
