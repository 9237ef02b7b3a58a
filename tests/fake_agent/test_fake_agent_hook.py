"""`@fake hook EVENT [JSON]`: the fake agent runs cockpit's shipped hook script as a CLI runs
its hooks, so the structured-signal path can be tested end to end without a real CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

from fake_agent_helpers import RunAgent

from cockpit.service.worker_env import signal_hook_path


def test_hook_runs_the_signal_hook_with_the_payload_on_stdin(run_agent: RunAgent, tmp_path: Path) -> None:
    signals = tmp_path / "signals.ndjson"
    env = {**os.environ, "COCKPIT_SIGNAL_HOOK": str(signal_hook_path()), "COCKPIT_SIGNALS": str(signals)}
    prompt = '@fake hook Start\n@fake say between\n@fake hook Asked {"tool_name": "Bash"}\n'
    done = run_agent("-p", prompt, env=env)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in signals.read_text().splitlines()]
    assert lines == [
        {"source": "hook", "event": "Start", "payload": {}},
        {"source": "hook", "event": "Asked", "payload": {"tool_name": "Bash"}},
    ]


def test_hook_without_the_variable_warns_and_goes_on(run_agent: RunAgent) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COCKPIT_SIGNAL_HOOK"}
    done = run_agent("-p", "@fake hook Stop\n@fake say after", env=env)
    assert done.returncode == 0
    assert done.stdout.decode().splitlines()[0] == "after"
    assert "line 1: @fake hook Stop: no $COCKPIT_SIGNAL_HOOK, not run" in done.stderr.decode()


def test_a_payload_that_is_not_a_json_object_is_refused_before_anything_runs(run_agent: RunAgent, tmp_path: Path) -> None:
    signals = tmp_path / "signals.ndjson"
    env = {**os.environ, "COCKPIT_SIGNAL_HOOK": str(signal_hook_path()), "COCKPIT_SIGNALS": str(signals)}
    done = run_agent("-p", "@fake hook Start\n@fake hook Asked [1, 2]", env=env)
    assert done.returncode == 2
    assert "line 2: @fake hook: PAYLOAD must be a JSON object on one line, got '[1, 2]'" in done.stderr.decode()
    assert not signals.exists()
