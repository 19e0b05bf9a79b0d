"""`make lab` opens the student versions of the exercises in JupyterLab.

The test does what the target does, in a temporary folder: it releases an
exercise with ``--keep-existing``, starts JupyterLab headless on localhost,
opens the notebook through the server's REST API, and stops the server.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from lstm_course.grading.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = "rnn_step.ipynb"


def test_make_lab_releases_without_overwriting_and_opens_the_working_folder():
    makefile = (ROOT / "Makefile").read_text()
    assert "lstm-course release exercises/*.ipynb --out $(WORK) --keep-existing" in makefile
    assert "jupyter lab --ServerApp.root_dir=$(WORK)" in makefile
    assert "jupyterlab==" in (ROOT / "requirements-lab.txt").read_text()
    assert "\n$(LAB_STAMP): requirements-lab.txt $(STAMP)\n" in makefile


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read()


@pytest.mark.timeout(120)
def test_jupyterlab_serves_the_student_version_of_an_exercise(tmp_path, capsys):
    work = tmp_path / "my-exercises"
    assert main(["release", str(ROOT / "exercises" / EXERCISE), "--out", str(work), "--keep-existing"]) == 0
    capsys.readouterr()
    port, token = free_port(), secrets.token_hex(16)
    # a configuration and runtime folder of its own: nothing of the user's Jupyter set-up is read or written
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "run"),
           "JUPYTER_PLATFORM_DIRS": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}"]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),  # CI containers run as root
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "wb"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                status, body = get(f"{base}/api/status", token)
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "JupyterLab did not answer within 90 s"
                time.sleep(0.5)
        assert status == 200 and "started" in json.loads(body)
        status, page = get(f"{base}/lab", token)
        assert status == 200 and b"JupyterLab" in page
        status, body = get(f"{base}/api/contents/{EXERCISE}?content=1", token)
        model = json.loads(body)
        assert status == 200 and model["type"] == "notebook"
        served = nbformat.from_dict(model["content"])
        released = nbformat.read(work / EXERCISE, as_version=4)
        assert [cell.source for cell in served.cells] == [cell.source for cell in released.cells]
        sources = "\n".join(cell.source for cell in served.cells)
        assert "raise NotImplementedError()" in sources and "### BEGIN SOLUTION" not in sources
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    assert server.returncode is not None
