"""`cockpit serve` serves the TUI to a browser, on localhost by default."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from .terminal import cockpit_argv
from .test_terminal_e2e import free_port


def test_serve_answers_on_localhost(repo: Path) -> None:
    port = free_port()
    process = subprocess.Popen(cockpit_argv() + ["serve", "--port", str(port)], cwd=repo, env=dict(os.environ),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        page = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                    page = answer.read().decode("utf-8", "replace")
                break
            except OSError:
                time.sleep(0.1)
        assert "cockpit" in page and "ws" in page  # the page that opens the app's websocket
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            out, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, _ = process.communicate()
    assert f"http://127.0.0.1:{port}/" in out.decode()


def test_serve_refuses_a_bad_port(repo: Path) -> None:
    done = subprocess.run(cockpit_argv() + ["serve", "--port", "70000"], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 2 and "out of range" in done.stderr
