"""requirements.txt (the pip route) and environment.yml (the conda route) name the same packages
at the same versions, and the conda route installs the course package as the README says.

environment.yml is read line by line (the flat form conda's own files take: ``key: value``, and
``- item`` lists, one level of ``- pip:`` inside), so that the tests need no YAML library."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# PyPI name -> conda-forge name, where they differ.
CONDA_NAMES = {"torch": "pytorch", "jupyter-client": "jupyter_client"}
# Only in environment.yml: the interpreter and the installer for `pip install -e .`.
CONDA_ONLY = {"python", "pip"}


def pip_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert match, f"requirements.txt: {line!r} is not pinned exactly (name==version)"
        name = match.group(1).lower().replace("_", "-")
        pins[CONDA_NAMES.get(name, name)] = match.group(2)
    return pins


def environment() -> dict:
    """environment.yml as {"name": ..., "channels": [...], "dependencies": [...]}."""
    env: dict = {}
    key = None
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = re.fullmatch(r"(\s*)- (.+)", line)
        if item is None:  # "key: value" or "key:" at the top level
            assert not line.startswith(" "), f"environment.yml: unexpected line {raw!r}"
            key, _, value = line.partition(":")
            env[key] = value.strip() or []
        elif item.group(2) == "pip:":
            env[key].append({"pip": []})
        elif len(item.group(1)) > 2:  # an entry of the pip: list
            env[key][-1]["pip"].append(item.group(2))
        else:
            env[key].append(item.group(2))
    return env


def conda_specs() -> dict[str, tuple[str, str]]:
    """name -> (version, build) of every conda dependency (build is "" when not given)."""
    specs = {}
    for entry in environment()["dependencies"]:
        if isinstance(entry, dict):  # a pip: section
            continue
        name, _, rest = str(entry).partition("=")
        version, _, build = rest.partition("=")
        assert name not in specs, f"environment.yml names {name} twice"
        specs[name.strip().lower()] = (version.strip(), build.strip())
    return specs


def test_same_packages_at_the_same_versions():
    pins, specs = pip_pins(), conda_specs()
    assert set(specs) - CONDA_ONLY == set(pins), (
        f"only in requirements.txt: {sorted(set(pins) - set(specs))}; "
        f"only in environment.yml: {sorted(set(specs) - CONDA_ONLY - set(pins))}"
    )
    wrong = {name: (pins[name], specs[name][0]) for name in pins if specs[name][0] != pins[name]}
    assert not wrong, f"versions differ (requirements.txt, environment.yml): {wrong}"


def test_conda_route_is_conda_forge_with_the_cpu_pytorch_and_python_311():
    env = environment()
    assert env["channels"][0] == "conda-forge"
    assert set(env["channels"]) <= {"conda-forge", "nodefaults"}
    specs = conda_specs()
    assert specs["python"][0] == "3.11", "the pinned torch wheel is for Python 3.11"
    assert specs["pytorch"][1].startswith("cpu"), "requirements.txt pins the CPU build"


def test_conda_route_matches_the_readme():
    readme = (ROOT / "README.md").read_text()
    name = environment()["name"]
    assert f"conda activate {name}" in readme
    pip_section = [e for e in environment()["dependencies"] if isinstance(e, dict)]
    installs_package = any("-e ." in line for e in pip_section for line in e.get("pip", []))
    assert installs_package or "pip install --no-deps -e ." in readme, (
        "the conda route must install the helpers package (pip section or README step)"
    )
