"""Run every notebook in a replica of Colab's runtime: ``make colab-check``.

Colab does not run this course's pinned set: it runs its own packages, and each notebook's setup
cell installs ``helpers`` on top of them with ``pip install --no-deps``. This check builds a
virtual environment with the packages a notebook touches at Colab's versions, read from
``colab/pip-freeze-2026-08-19.txt`` (Google's published list, copied unchanged), installs
``helpers`` as the setup cell does (``--no-deps``, from a git repository, not editable), and runs
each notebook top to bottom in a fresh kernel there. It fails on an error output (a failed
assertion in a notebook is one), and on anything a cell prints to stderr (a warning); it lists,
per notebook, the cells whose text output differs from the stored one (other versions may print
other digits: that is reported, not failed).

    python -m tools.colab_check                 # both runtimes
    python -m tools.colab_check --runtime 2026.07

Runtimes: ``2026.08`` is Colab's default (Python 3.13, torch 2.11.0, numpy 2.1.3); ``2026.07`` is
the oldest one the README claims, a pinnable past runtime (Python 3.12, torch 2.11.0, numpy 2.0.2;
its other packages are taken as the default's). The Python comes from pyenv
(``~/.pyenv/versions/3.13.*``) or from ``python3.13`` on the PATH. Each environment is built once
and kept under ``~/.cache/tnn-colab/`` (``TNN_COLAB_CACHE`` moves it), outside the repository:
PyPI's torch 2.11.0 for Linux is the CUDA build, about 4 GB installed with its nvidia packages
(Colab's CPU runtime has the +cpu build from download.pytorch.org, which this machine cannot
reach; on the CPU the two compute the same). A rebuild happens only when the package list
changes. If the package index cannot be reached while building, the check says so and skips
(exit 0); every other failure fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tools import ROOT

FREEZE = ROOT / "colab" / "pip-freeze-2026-08-19.txt"
CACHE = Path(os.environ.get("TNN_COLAB_CACHE", Path.home() / ".cache" / "tnn-colab"))
RUNNER = Path(__file__).with_name("colab_run.py")

# What a course notebook imports, and the kernel machinery that runs it; pip pulls in their
# dependencies, and every package that is in Colab's list is held at Colab's version.
PACKAGES = [
    "torch",
    "numpy",
    "matplotlib",
    "ipywidgets",
    "ipython",
    "ipykernel",
    "jupyter_client",
    "nbclient",
    "nbformat",
    "traitlets",
    "pyzmq",
    "tornado",
]


CUDA_PACKAGES = ("nvidia-", "cuda-", "triton")


@dataclass
class Runtime:
    name: str
    python: str  # "3.13"
    overrides: dict[str, str] = field(default_factory=dict)


RUNTIMES = {
    "2026.08": Runtime("2026.08", "3.13"),
    "2026.07": Runtime("2026.07", "3.12", {"numpy": "2.0.2"}),
}


def colab_versions(freeze: Path = FREEZE) -> dict[str, str]:
    """Package name (normalised) -> version, from Colab's pip freeze. A direct URL such as
    ``torch @ https://.../torch-2.11.0%2Bcpu-...whl`` gives the version in its file name, without
    the local ``+cpu`` tag."""
    versions = {}
    for line in freeze.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "==" in line:
            name, version = line.split("==", 1)
        elif " @ " in line:
            name, url = line.split(" @ ", 1)
            found = re.search(r"/[^/]+?-(\d[^-]*?)(?:%2B[^-]*)?-cp", url)
            if not found:
                continue  # a git URL (Colab's own kernel gateway): not a package we install
            version = found.group(1)
        else:
            continue
        versions[normalise(name)] = version.strip()
    return versions


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def constraints(runtime: Runtime) -> str:
    """pip constraints: every package of Colab's list at its version, with the runtime's own,
    except the CUDA libraries (Colab's CPU torch has none; PyPI's torch pins its own)."""
    versions = colab_versions() | {normalise(k): v for k, v in runtime.overrides.items()}
    versions = {k: v for k, v in versions.items() if not k.startswith(CUDA_PACKAGES)}
    return "".join(f"{name}=={version}\n" for name, version in sorted(versions.items()))


def find_python(version: str) -> str:
    candidates = sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}.*/bin/python3"))
    if candidates:
        return str(candidates[-1])
    found = shutil.which(f"python{version}")
    if found:
        return found
    raise SystemExit(f"colab-check: no Python {version} (pyenv or python{version} on the PATH)")


def pip(python: str, *args: str) -> subprocess.CompletedProcess:
    command = [python, "-m", "pip", "--disable-pip-version-check", *args]
    return subprocess.run(command, capture_output=True, text=True)


def index_unreachable(output: str) -> bool:
    return bool(
        re.search(
            r"(NewConnectionError|Temporary failure in name resolution|Network is unreachable"
            r"|No route to host|Failed to establish a new connection)",
            output,
        )
    )


def build(runtime: Runtime) -> Path | None:
    """The runtime's venv, built if its package list changed; None if the index is unreachable."""
    pins = constraints(runtime)
    key = hashlib.sha256((pins + " ".join(PACKAGES) + runtime.python).encode()).hexdigest()[:16]
    home = CACHE / runtime.name
    python = home / "venv" / "bin" / "python"
    stamp = home / "venv" / ".built"
    if stamp.exists() and stamp.read_text() == key:
        return python
    shutil.rmtree(home / "venv", ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    print(f"[{runtime.name}] building the environment in {home / 'venv'} (once; several GB)")
    subprocess.run([find_python(runtime.python), "-m", "venv", str(home / "venv")], check=True)
    (home / "constraints.txt").write_text(pins)
    result = pip(str(python), "install", "--quiet", "-c", str(home / "constraints.txt"), *PACKAGES)
    if result.returncode != 0:
        output = result.stdout + result.stderr
        if index_unreachable(output):
            print(f"[{runtime.name}] SKIPPED: the package index cannot be reached")
            return None
        raise SystemExit(f"[{runtime.name}] pip install failed:\n{output[-4000:]}")
    stamp.write_text(key)
    return python


def install_helpers(python: Path) -> None:
    """Install ``helpers`` as the Colab setup cell does: ``pip install --no-deps git+URL``, here
    from a one-commit git repository of the working tree's tracked files (no network)."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "course"
        files = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split("\0")
        for name in filter(None, files):
            source = ROOT / name
            if source.is_file():
                target = repo / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        git = ["git", "-c", "user.name=colab-check", "-c", "user.email=colab-check@localhost"]
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        subprocess.run([*git, "-C", str(repo), "add", "-A"], check=True)
        subprocess.run([*git, "-C", str(repo), "commit", "-q", "-m", "course"], check=True)
        result = pip(
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--force-reinstall",
            f"git+file://{repo}",
        )
        if result.returncode != 0:
            raise SystemExit(f"installing helpers failed:\n{result.stdout}{result.stderr}")


def check(runtime: Runtime, notebooks: list[Path], show_diffs: bool = False) -> bool:
    python = build(runtime)
    if python is None:
        return True
    install_helpers(python)
    versions = subprocess.run(
        [
            str(python),
            "-c",
            "import sys, torch, numpy, matplotlib, ipywidgets, IPython;"
            "print(sys.version.split()[0], torch.__version__, numpy.__version__,"
            " matplotlib.__version__, ipywidgets.__version__, IPython.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    print(
        f"[{runtime.name}] Python {versions[0]}, torch {versions[1]}, numpy {versions[2]}, "
        f"matplotlib {versions[3]}, ipywidgets {versions[4]}, IPython {versions[5]}"
    )
    ok = True
    for path in notebooks:
        start = time.perf_counter()
        result = subprocess.run(
            [str(python), str(RUNNER), str(path)],
            capture_output=True,
            text=True,
            env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"},
        )
        seconds = time.perf_counter() - start
        try:
            report = json.loads(result.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            print(f"[{runtime.name}] FAIL {path.name}: the runner broke\n{result.stderr[-3000:]}")
            ok = False
            continue
        problems = report["errors"] + report["stderr"] + report["widgets"]
        verdict = "FAIL" if problems else "ok  "
        differ = ", ".join(str(index) for index, _ in report["differ"]) or "none"
        print(
            f"[{runtime.name}] {verdict} {path.name} (~{seconds:.0f} s): "
            f"{report['controls']} widget controls moved; of {report['cells']} code cells, "
            f"these print other text than the stored outputs: {differ}"
        )
        for problem in problems:
            print(f"    {problem}")
        if show_diffs:
            for index, lines in report["differ"]:
                print(
                    f"    cell {index}:", *(f"      {line[:150]}" for line in lines[:12]), sep="\n"
                )
        ok = ok and not problems
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", choices=sorted(RUNTIMES), action="append")
    parser.add_argument("--diffs", action="store_true", help="print the text that differs")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    results = [
        check(RUNTIMES[name], notebooks, args.diffs) for name in args.runtime or sorted(RUNTIMES)
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
