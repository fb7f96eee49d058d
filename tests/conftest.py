"""Shared pytest setup for the unit tests in tests/.

Network: every test under tests/ runs with sockets blocked (pytest-socket), so no unit test can
reach the network, or even open a local socket, by accident. A test that truly needs a local
server (a browser test of JupyterLab, say) opts in with ``@pytest.mark.enable_socket`` or, better,
``@pytest.mark.allow_hosts(["127.0.0.1"])``. The notebooks collected by nbval are left alone: their
kernel talks to pytest over local ZeroMQ sockets.

Order: `make test` shares the files among two pytest-xdist workers in the order collected
(``--dist loadfile --no-loadscope-reorder``), each taking the next file when it runs short. The
longest files go first, so that the short ones fill the gaps at the end instead of one worker
waiting for the other: the browser test's two files (40-65 s each), then the notebooks
under nbval (5-10 s each), then the unit tests (about 10 s in all).
"""

from __future__ import annotations

import pytest
from course_tools import ROOT

TESTS = ROOT / "tests"


def pytest_configure(config: pytest.Config) -> None:
    # The figure lint (tools/figure_lint.py): every kernel started from here on, nbval's one per
    # notebook included, loads it from this IPython directory; a cell that shows a figure which
    # breaks the course's figure rules then fails, naming the rule.
    import os

    os.environ["IPYTHONDIR"] = str(ROOT / "tools" / "figure_lint_ipython")


def run_order(item: pytest.Item) -> int:
    if item.path.name.startswith("test_browser"):
        return 0
    return 1 if item.path.suffix == ".ipynb" else 2


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=run_order)  # stable: each file's items stay together and in their order
    for item in items:
        if not item.path.is_relative_to(TESTS):
            continue
        if item.get_closest_marker("enable_socket") or item.get_closest_marker("allow_hosts"):
            continue
        item.add_marker(pytest.mark.disable_socket)
