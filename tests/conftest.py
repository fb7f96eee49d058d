"""Shared pytest setup for the unit tests in tests/ and the notebooks under nbval.

Network: every test under tests/ runs with sockets blocked (pytest-socket), so no unit test can
reach the network, or even open a local socket, by accident. A test that truly needs a local
server (the browser test of JupyterLab) opts in with ``@pytest.mark.allow_hosts(["127.0.0.1"])``.
The notebooks collected by nbval are left alone: their kernel talks to pytest over local ZeroMQ
sockets.

Workers: `make test` shares the tests among two pytest-xdist workers with ``--dist loadscope``:
a notebook (its cells must run in order in one kernel) or a test file goes whole to one worker, a
test class too. The longest go first, so that the short files fill in at the end: the browser
test (its two classes, one per worker), then the notebooks, then the unit tests.

Fixture: ``ipython_shell``, an IPython shell in this process, for the tests of code that runs in
a notebook's kernel (tools/widget_check.py, the checks' brief error display).
"""

from __future__ import annotations

import pytest

from tools import ROOT

TESTS = ROOT / "tests"


def pytest_configure(config: pytest.Config) -> None:
    # The figure lint (tools/figure_lint.py): every kernel started from here on, nbval's one per
    # notebook included, loads it from this IPython directory; a cell that shows a figure which
    # breaks the course's figure rules then fails, naming the rule.
    import os

    os.environ["IPYTHONDIR"] = str(ROOT / "tools" / "figure_lint_ipython")


def run_order(item: pytest.Item) -> int:
    if item.path.name == "test_browser.py":
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


@pytest.fixture
def ipython_shell():
    """This process's IPython shell (the kernel's display and exception machinery without a
    kernel), writing nothing into the IPython directory; its custom exception handler is reset
    after the test."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    yield shell
    shell.set_custom_exc((), None)
