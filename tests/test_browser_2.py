"""The browser test (tests/browser_suite.py) on half 2 of the notebooks."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_suite import MARKS, browser, check_notebook, findings, half, lab, tab  # noqa: F401

pytestmark = MARKS


@pytest.mark.parametrize("path", half(2))
def test_notebook_runs_in_jupyterlab(path: Path, tab, findings) -> None:  # noqa: F811
    check_notebook(path, tab, findings)
