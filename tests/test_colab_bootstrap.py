"""The Colab setup cell, tested offline.

The cell that every notebook starts with (rendered by tools/sync_notebooks.py) is run as written,
with only the repository address swapped for a ``file://`` clone of this repository at HEAD:

- with Colab simulated (a stand-in ``google.colab`` module, as Colab's kernel imports it before the
  first cell runs) it must install ``helpers`` and nothing else, and ``import helpers`` must then
  work in the same process, as the next cell does in Colab;
- outside Colab it must do nothing: no output, no process started, nothing installed.

pip is pointed at a throwaway folder through its environment (``PIP_TARGET``), not through the
cell, and is kept offline (``PIP_NO_INDEX``). The build runs without build isolation here
(``PIP_NO_BUILD_ISOLATION=0``, pip's spelling of ``--no-build-isolation``) because an isolated build
would fetch setuptools; in Colab, which is online, the cell builds with isolation as usual.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tools import NOTEBOOKS, ROOT, sync_notebooks

needs_git = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(),
    reason="the bootstrap test clones this repository: needs git and a git checkout",
)

# Runs the cell's code as a notebook cell runs (exec in __main__'s namespace), optionally with
# Colab simulated, then imports helpers in the same process and reports where it came from.
HARNESS = textwrap.dedent(
    """
    import sys, types
    cell, simulate_colab = sys.argv[1], sys.argv[2] == "colab"
    if simulate_colab:
        sys.modules["google"] = types.ModuleType("google")
        sys.modules["google.colab"] = types.ModuleType("google.colab")
    namespace = {"__name__": "__main__"}
    exec(compile(open(cell).read(), "<colab-setup>", "exec"), namespace)
    if simulate_colab:
        import helpers
        print("helpers from", helpers.__file__)
    else:
        print("names", sorted(k for k in namespace if not k.startswith("__")), file=sys.stderr)
    """
)


def real_cell() -> tuple[str, str]:
    """The setup cell every notebook carries, and the install address written in it."""
    repository, branch = sync_notebooks.course_location()
    source = sync_notebooks.setup_source(repository, branch)
    address = f"git+{repository}@{branch}"
    assert source.count(address) == 1, "the setup cell should name the repository once"
    return source, address


def run_cell(tmp_path: Path, source: str, mode: str, target: Path) -> subprocess.CompletedProcess:
    cell = tmp_path / "cell.py"
    cell.write_text(source)
    harness = tmp_path / "harness.py"
    harness.write_text(HARNESS)
    env = {
        **os.environ,
        "PIP_CONFIG_FILE": os.devnull,  # nothing from this machine's pip configuration
        "PIP_TARGET": str(target),  # install into a throwaway folder ...
        "PYTHONPATH": str(target),  # ... that is on sys.path, as Colab's site-packages is
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_CACHE_DIR": "1",
        "PIP_NO_INPUT": "1",
    }
    return subprocess.run(
        [sys.executable, str(harness), str(cell), mode],
        cwd=tmp_path,  # not the repository root, whose helpers/ would shadow the install
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


@needs_git
def test_setup_cell_installs_helpers_in_simulated_colab(tmp_path: Path) -> None:
    source, address = real_cell()
    _, branch = sync_notebooks.course_location()
    # A repository holding HEAD's files as one commit on the configured branch, from which the
    # cell installs. Not a clone: pip clones it again, whole history and all (and a shallow clone
    # makes pip's partial clone loop).
    clone = tmp_path / "clone"
    clone.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD"], capture_output=True,
                             check=True, timeout=60).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(clone)], input=archive, check=True, timeout=60)
    git = ["git", "-C", str(clone), "-c", "user.name=test", "-c", "user.email=test@localhost"]
    subprocess.run([*git, "init", "--quiet", "--initial-branch", branch], check=True)
    subprocess.run([*git, "add", "--all"], check=True)
    subprocess.run([*git, "commit", "--quiet", "--message", "HEAD"], check=True)
    target = tmp_path / "site-packages"
    target.mkdir()

    local = source.replace(address, f"git+{clone.as_uri()}@{branch}")
    result = run_cell(tmp_path, local, "colab", target)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("helpers from ")]
    assert lines, result.stdout + result.stderr
    installed_from = Path(lines[-1].removeprefix("helpers from "))
    assert installed_from.is_relative_to(target), f"helpers came from {installed_from}"
    # --no-deps: only helpers and its metadata; never torch, matplotlib or ipywidgets.
    names = sorted(p.name for p in target.iterdir() if p.name != "__pycache__")
    assert names[0] == "helpers" and len(names) == 2, names
    assert names[1].startswith("tnn_helpers-") and names[1].endswith(".dist-info"), names


def test_setup_cell_does_nothing_outside_colab(tmp_path: Path) -> None:
    source, _ = real_cell()
    target = tmp_path / "site-packages"
    target.mkdir()

    result = run_cell(tmp_path, source, "local", target)

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # nothing visible
    assert result.stderr.strip() == "names ['sys']"  # binds only `sys`, as `import sys` would
    assert list(target.iterdir()) == []  # nothing installed


def test_setup_cell_starts_no_process_outside_colab(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source, _ = real_cell()
    assert "google.colab" not in sys.modules
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    exec(compile(source, "<colab-setup>", "exec"), {"__name__": "__main__"})
    assert calls == []
    assert capsys.readouterr() == ("", "")


def test_notebooks_carry_the_tested_cell() -> None:
    source, _ = real_cell()
    for path in NOTEBOOKS:
        cells = [c for c in sync_notebooks.nbformat.read(path, 4).cells if c.cell_type == "code"]
        assert cells, f"{path.name} has no code cell"
        assert cells[0].get("id") == sync_notebooks.SETUP_ID, f"{path.name}: setup cell not first"
        assert cells[0].source == source, f"{path.name}: run python -m tools.sync_notebooks"


# What the notebooks may import beyond the standard library: what Colab ships (its torch,
# numpy, matplotlib and core ipywidgets, which the --no-deps install leaves alone) and helpers.
COLAB_SHIPS = {"torch", "numpy", "matplotlib", "ipywidgets", "IPython", "helpers"}
WIDGET_MAGICS = ("%matplotlib widget", "%matplotlib ipympl", "%matplotlib notebook")


def imported_modules(source: str) -> set[str]:
    import ast

    from IPython.core.inputtransformer2 import TransformerManager

    tree = ast.parse(TransformerManager().transform_cell(source))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "path",
    NOTEBOOKS + sorted((ROOT / "helpers").glob("*.py")),
    ids=lambda p: p.name,
)
def test_imports_only_what_colab_ships(path: Path) -> None:
    if path.suffix == ".py":
        sources = [path.read_text()]
    else:
        nb = sync_notebooks.nbformat.read(path, 4)
        sources = [c.source for c in nb.cells if c.cell_type == "code"]
    extra = set()
    for source in sources:
        assert not any(magic in source for magic in WIDGET_MAGICS), "core ipywidgets only"
        extra |= imported_modules(source) - COLAB_SHIPS - set(sys.stdlib_module_names)
    assert not extra, f"{path.name} imports {sorted(extra)}, which Colab may lack"
