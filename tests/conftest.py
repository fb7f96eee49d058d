"""Shared pytest setup for the unit tests in tests/.

Network: every test under tests/ runs with sockets blocked (pytest-socket), so no unit test can
reach the network, or even open a local socket, by accident. A test that truly needs a local
server (a browser test of JupyterLab, say) opts in with ``@pytest.mark.enable_socket`` or, better,
``@pytest.mark.allow_hosts(["127.0.0.1"])``. The notebooks collected by nbval are left alone: their
kernel talks to pytest over local ZeroMQ sockets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if not item.path.is_relative_to(TESTS):
            continue
        if item.get_closest_marker("enable_socket") or item.get_closest_marker("allow_hosts"):
            continue
        item.add_marker(pytest.mark.disable_socket)
