"""Delivering text to a running worker: byte-exact, and never into another worker."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cockpit.errors import UsageError
from cockpit.runtime.tmux import TmuxError, TmuxServer

from .helpers import start_worker, tmux_raw, wait_exited, wait_log, wait_until

pytestmark = pytest.mark.tmux

# A stand-in agent: raw tty, asks for bracketed paste, saves exactly what is between the markers.
RECEIVER = r"""
import os, sys, tty
out = sys.argv[1]
tty.setraw(0)
os.write(1, b"\x1b[?2004hREADY\r\n")
data = b""
while b"\x1b[201~" not in data:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    data += chunk
start = data.index(b"\x1b[200~") + len(b"\x1b[200~")
with open(out + ".tmp", "wb") as handle:
    handle.write(data[start:data.index(b"\x1b[201~")])
os.rename(out + ".tmp", out)
"""


def hostile_text(size: int, tag: str = "") -> str:
    unit = (
        f"<{tag}> quotes ' \" `id` $HOME ${{PATH}} $(id) ; && | > < * ? ~ \\ \\n #{{pane_id}} #(id) ;\n"
        "\r\t\x1b[31mred\x1b[0m \x1b]0;title\x07 \x1b[200~ \x03\x04\x11\x13\x16\x1a\x7f\x00 "
        "café ✓ 日本語 שלום 🚀 \udcff\n"  # \udcff: an undecodable byte, carried by surrogateescape
    )
    return (unit * (size // len(unit) + 1))[:size]


def start_receiver(server: TmuxServer, base: Path, name: str) -> Path:
    script = base / "receiver.py"
    script.write_text(RECEIVER)
    out = base / f"{name}.received"
    worker = start_worker(server, base, name, [sys.executable, str(script), str(out)])
    wait_log(worker, b"READY")
    return out


def test_a_100kb_hostile_prompt_arrives_byte_exact(tmux_server: TmuxServer, tmp_path: Path) -> None:
    text = hostile_text(100_000)
    out = start_receiver(tmux_server, tmp_path, "paste")
    tmux_server.paste_text("paste", text)
    wait_until(out.exists, timeout=60, what="the receiver to save the paste")
    assert out.read_bytes() == text.encode("utf-8", "surrogateescape")
    assert wait_exited(tmux_server, "paste").dead_status == 0
    assert tmux_raw(tmux_server, "list-buffers").stdout == ""  # the named buffer was deleted


def test_concurrent_pastes_each_reach_only_their_own_worker(tmux_server: TmuxServer, tmp_path: Path) -> None:
    names = [f"worker-{i}" for i in range(8)]
    outs = {name: start_receiver(tmux_server, tmp_path, name) for name in names}
    texts = {name: hostile_text(12_000 + 997 * i, tag=name) for i, name in enumerate(names)}
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        list(pool.map(lambda name: tmux_server.paste_text(name, texts[name]), names))
    for name in names:
        wait_until(outs[name].exists, timeout=60, what=f"{name} to save its paste")
        assert outs[name].read_bytes() == texts[name].encode("utf-8", "surrogateescape"), name
    assert tmux_raw(tmux_server, "list-buffers").stdout == ""


def test_text_with_the_paste_end_marker_is_refused(tmux_server: TmuxServer, tmp_path: Path) -> None:
    out = start_receiver(tmux_server, tmp_path, "marker")
    with pytest.raises(UsageError, match="end marker"):
        tmux_server.paste_text("marker", "harmless\x1b[201~rm -rf ~\r")
    tmux_server.paste_text("marker", "after")  # nothing of the refused text went in before
    wait_until(out.exists, what="the receiver to save the paste")
    assert out.read_bytes() == b"after"


def test_pasting_to_a_missing_worker_fails_and_leaves_no_buffer(tmux_server: TmuxServer, tmp_path: Path) -> None:
    start_worker(tmux_server, tmp_path, "present", ["sleep", "30"])
    with pytest.raises(TmuxError, match="can't find"):
        tmux_server.paste_text("absent", "secret prompt")
    assert tmux_raw(tmux_server, "list-buffers").stdout == ""


def test_send_keys_types_literal_text_and_named_keys(tmux_server: TmuxServer, tmp_path: Path) -> None:
    out = tmp_path / "line.txt"
    script = f"import sys; open({str(out)!r}, 'w').write(sys.stdin.readline())"
    start_worker(tmux_server, tmp_path, "keys", [sys.executable, "-c", script])
    wait_until(lambda: tmux_server.pane_pid("keys") is not None, what="the worker")
    typed = "-x hello; $HOME `id` #{pane_id} \\;"
    tmux_server.send_keys("keys", typed, literal=True)
    tmux_server.send_keys("keys", "Enter")
    assert wait_exited(tmux_server, "keys").dead_status == 0
    assert out.read_text() == typed + "\n"
