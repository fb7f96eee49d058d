"""Transitional: tests import what they share from the tools package (``from tools import ROOT,
NOTEBOOKS, sync_notebooks``). This module stays only until tests/test_figure_lint.py and
tests/test_draw_graphs.py, which still call ``load_tool``, switch to that; then it goes."""

from __future__ import annotations

import importlib
from types import ModuleType

from tools import NOTEBOOKS, ROOT

__all__ = ["NOTEBOOKS", "ROOT", "load_tool"]


def load_tool(name: str) -> ModuleType:
    """``tools.<name>``: prefer ``from tools import <name>``."""
    return importlib.import_module(f"tools.{name}")
