"""What several test files share: the repository's root, its notebooks, and load_tool, which
imports a script of tools/ (not a package) into the tests, one module object per process."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))  # the course, in order


def load_tool(name: str) -> ModuleType:
    """``tools/<name>.py`` as the module ``tools_<name>``, loaded on first use."""
    key = f"tools_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, TOOLS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]
