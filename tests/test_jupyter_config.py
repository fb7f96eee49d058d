"""JupyterLab started by `make lab` asks the network for nothing: the project's own Jupyter
configuration (.jupyter/jupyter_server_config.json, put on JUPYTER_CONFIG_PATH by the Makefile)
switches off the news feed, the update check and the PyPI extension manager."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".jupyter" / "jupyter_server_config.json"
NEVER_CHECK = "jupyterlab.handlers.announcements.NeverCheckForUpdate"


def test_config_file_switches_off_news_updates_and_pypi():
    lab = json.loads(CONFIG.read_text())["LabApp"]
    assert lab["news_url"] is None, "news_url must be null: JupyterLab then fetches no news feed"
    assert lab["check_for_updates_class"] == NEVER_CHECK
    assert lab["extension_manager"] == "readonly", "the pypi manager queries PyPI"


def test_make_lab_puts_the_project_config_first_on_the_config_path():
    # -o: take the venv as set up, so make only prints the lab command.
    stamp = Path(sys.prefix) / ".installed"
    out = subprocess.run(
        ["make", "-s", "-n", "-o", str(stamp), "lab", f"VENV={sys.prefix}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert re.search(rf'JUPYTER_CONFIG_PATH="{re.escape(str(CONFIG.parent))}[:$]', out), out
    assert "jupyter lab" in out, out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


@pytest.mark.enable_socket
def test_lab_started_by_make_lab_serves_no_news_and_no_update(tmp_path):
    """Start JupyterLab as `make lab` does (empty user config), then ask it what its pages would
    show: the news feed is disabled and empty, no update is offered, the extension manager is
    read-only."""
    port, token = _free_port(), os.urandom(8).hex()
    env = {
        **os.environ,
        **{f"JUPYTER_{d.upper()}_DIR": str(tmp_path / d) for d in ("config", "data", "runtime")},
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    env.pop("JUPYTER_CONFIG_PATH", None)
    args = f"--no-browser --ServerApp.port={port} --ServerApp.port_retries=0"
    args += f" --IdentityProvider.token={token}"
    stamp = Path(sys.prefix) / ".installed"
    lab = subprocess.Popen(
        ["make", "-s", "-o", str(stamp), "lab", f"VENV={sys.prefix}", f"JUPYTER_ARGS={args}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                page = _get(f"{base}/lab?token={token}")
                break
            except OSError:
                assert lab.poll() is None, "make lab exited before JupyterLab answered"
                assert time.monotonic() < deadline, "JupyterLab did not answer in 90 s"
                time.sleep(0.5)
        assert re.search(r'"news": \{"disabled": true\}', page)
        assert re.search(r'"extensionManager": \{[^}]*"name": "read-only"', page)
        assert json.loads(_get(f"{base}/lab/api/news?token={token}")) == {"news": []}
        assert json.loads(_get(f"{base}/lab/api/update?token={token}")) == {"notification": None}
    finally:
        os.killpg(lab.pid, 15)
        lab.wait(timeout=30)
