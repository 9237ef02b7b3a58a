"""Pure pieces: argument quoting, pane parsing, launch spec writing."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from cockpit.runtime.launch import read_launch_spec
from cockpit.runtime.tmux import PaneInfo, TmuxError, gate_name, parse_pane_line, write_launch_spec
from cockpit.runtime.tmux_formats import parse_list_panes
from cockpit.runtime.tmux_names import TmuxNameError, format_literal, tmux_arg


@pytest.mark.parametrize(
    ("value", "expected"),
    [("plain", "plain"), ("a;", "a\\;"), ("a\\;", "a\\\\;"), (";", "\\;"), ("", ""), ("a;b", "a;b")],
)
def test_tmux_arg_keeps_a_trailing_semicolon_as_data(value: str, expected: str) -> None:
    assert tmux_arg(value) == expected


def test_format_literal_doubles_hashes() -> None:
    assert format_literal("/x/#(id)/#{pane_id}/##") == "/x/##(id)/##{pane_id}/####"


def test_gate_name_validates_the_session_name() -> None:
    assert gate_name("abc-1_2") == "cockpit-go-abc-1_2"
    for bad in ("", "a b", "a:b", "a.b", "=a", "x;"):
        with pytest.raises(TmuxNameError):
            gate_name(bad)


def test_parse_pane_line_keeps_tabs_in_the_command() -> None:
    pane, unreaped = parse_pane_line("w1\t%3\t42\t1\t\t9\t80\t24\t1700000000\tweird\tcmd")
    assert pane == PaneInfo("w1", "%3", 42, True, None, 80, 24, 1700000000, "weird\tcmd", dead_signal=9)
    assert not unreaped
    with pytest.raises(TmuxError):
        parse_pane_line("too\tshort")


def test_a_closed_pane_whose_exit_is_unknown_is_not_dead_yet() -> None:
    pane, unreaped = parse_pane_line("w1\t%3\t42\t1\t\t\t80\t24\t1700000000\tsh")
    assert (pane.dead, pane.dead_status, pane.dead_signal, unreaped) == (False, None, None, True)
    panes, server_pid, any_unreaped = parse_list_panes(
        ["77\tw1\t%3\t42\t1\t\t\t80\t24\t1\tsh", "77\tw2\t%4\t43\t1\t0\t\t80\t24\t1\tsh", ""]
    )
    assert [p.dead for p in panes] == [False, True] and server_pid == 77 and any_unreaped


def test_write_launch_spec_is_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    write_launch_spec(
        path, socket="cockpit-x", gate="cockpit-go-w", argv=["a", "b\udcff"], env={"K": "v\n"},
        cwd=tmp_path, stdin_path=None, prompt_path=tmp_path / "p", prompt_arg_index=1,
    )  # fmt: skip
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["spec.json"]  # no temporary file left behind
    spec = read_launch_spec(str(path))
    assert spec["argv"] == ["a", "b\udcff"] and spec["env"] == {"K": "v\n"} and spec["prompt_arg_index"] == 1
    assert spec["cwd"] == str(tmp_path) and spec["stdin_path"] is None
    json.loads(path.read_bytes().decode("ascii"))  # plain ASCII JSON


def test_write_launch_spec_refuses_inconsistent_prompts(tmp_path: Path) -> None:
    common = {"socket": "s", "gate": "g", "env": {}, "cwd": tmp_path, "stdin_path": None}
    with pytest.raises(ValueError):
        write_launch_spec(tmp_path / "a", argv=[], prompt_path=None, prompt_arg_index=None, **common)
    with pytest.raises(ValueError):
        write_launch_spec(tmp_path / "b", argv=["x"], prompt_path=None, prompt_arg_index=0, **common)
    with pytest.raises(ValueError):
        write_launch_spec(tmp_path / "c", argv=["x"], prompt_path=tmp_path / "p", prompt_arg_index=1, **common)
    assert list(tmp_path.iterdir()) == []


def test_the_launcher_refuses_an_unreadable_spec_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from cockpit.runtime.launch import CANNOT_START, main

    assert main(["/nonexistent/spec.json"]) == CANNOT_START
    err = capsys.readouterr().err
    assert err.startswith("cockpit: cannot read launch spec /nonexistent/spec.json:") and err.count("\n") == 1
