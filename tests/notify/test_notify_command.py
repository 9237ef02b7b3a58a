"""Notifications from the supervisor, with no TUI open: the user's command gets a JSON line."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from cockpit.service.notify import RateLimit, event_for, osc_notification

pytestmark = pytest.mark.integration


def _wait_for(predicate, limit: float = 60.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_command_gets_a_json_line_for_a_waiting_worker_within_a_second(cockpit, tmp_path: Path) -> None:
    import os

    out = tmp_path / "events.ndjson"
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "cockpit" / "config.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"notify: {{command: 'cat >> {out}', desktop: false}}\n")
    dispatch_id = cockpit.dispatch("@fake ask Proceed?")
    cockpit.wait(dispatch_id, until="waiting")
    lines = _wait_for(lambda: out.exists() and out.read_text().splitlines())
    event = json.loads(lines[0])
    assert set(event) >= {"kind", "dispatch", "title", "text", "time"}
    assert (event["kind"], event["dispatch"]) == ("waiting", dispatch_id)
    waiting = next(r for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed" and r.data["to"] == "waiting")
    # The supervisor stamps the event as it hands it over: well within a second of the receipt.
    assert (_ts(event["time"]) - _ts(waiting.ts)).total_seconds() < 1.0
    sent = _wait_for(lambda: [r for r in cockpit.receipts(dispatch_id) if r.kind == "notification_sent"])
    assert sent[0].data["event"] == "waiting" and "command" in sent[0].data["channels"]
    assert sent[0].data["receipt_seq"] == waiting.seq
    cockpit.run("kill", dispatch_id, check=True)


def test_a_failing_command_blocks_nothing(cockpit, tmp_path: Path) -> None:
    import os

    config = Path(os.environ["XDG_CONFIG_HOME"]) / "cockpit" / "config.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("notify: {command: 'exit 7', desktop: false}\n")
    dispatch_id = cockpit.dispatch("@fake exit 3")
    cockpit.wait(dispatch_id)
    sent = _wait_for(lambda: [r for r in cockpit.receipts(dispatch_id) if r.kind == "notification_sent"])
    assert sent[0].data["event"] == "failed"
    second = cockpit.dispatch("@fake say still served")
    assert cockpit.wait(second)["reached"]
    log = cockpit.ws.state.supervisor_log.read_text()
    _wait_for(lambda: "exited 7" in cockpit.ws.state.supervisor_log.read_text())
    assert "Traceback" not in log


def test_which_receipts_notify() -> None:
    assert event_for("status_changed", {"to": "waiting"})[0] == "waiting"
    assert event_for("status_changed", {"to": "working"}) is None
    assert event_for("review_changed", {"to": "awaiting_approval"})[0] == "promotion_ready"
    assert event_for("exited", {"code": 0}) is None
    assert event_for("exited", {"code": 2})[0] == "failed"
    assert event_for("timed_out", {})[0] == "timeout"
    assert event_for("permission_requested", {"tool": "Bash", "command": "ls", "request": "p1"})[0] == "permission"
    assert event_for("notification_sent", {}) is None


def test_rate_limit_per_kind_and_overall() -> None:
    limit = RateLimit(min_interval_s=2, max_per_minute=3)
    assert limit.allow("waiting", "a", 0.0)
    assert not limit.allow("waiting", "a", 1.0)
    assert limit.allow("waiting", "b", 1.0)
    assert limit.allow("waiting", "a", 2.5)
    assert not limit.allow("failed", "c", 3.0)  # the fourth in a minute
    assert limit.allow("failed", "c", 61.0)


def test_osc_sequences_cannot_be_broken_out_of() -> None:
    text = osc_notification("cockpit: worker waiting", "evil\x07\x1b]52;c;x\x07; more")
    assert text.count("\x07") == 2 and text.count("\x1b") == 2
    assert text.startswith("\x1b]9;cockpit: worker waiting: evil]52;c;x; more\x07")
    assert "\x1b]777;notify;cockpit: worker waiting;evil]52,c,x, more\x07" in text


def test_an_attached_tui_client_gets_a_terminal_notification(cockpit) -> None:
    import os
    import threading

    from cockpit.protocol.events import Hello, Notified
    from cockpit.service.client import SupervisorClient

    config = Path(os.environ["XDG_CONFIG_HOME"]) / "cockpit" / "config.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("notify: {desktop: false}\n")
    cockpit.call("ping")  # the supervisor is up before the subscriber connects
    got: list[Notified] = []
    subscribed = threading.Event()
    client = SupervisorClient(cockpit.ws)

    def follow() -> None:
        for event in client.events(terminal_notifications=True):
            if isinstance(event, Hello):  # sent once the subscription is counted
                subscribed.set()
            if isinstance(event, Notified):
                got.append(event)
                return

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    assert subscribed.wait(60)
    dispatch_id = cockpit.dispatch("@fake ask Proceed?")
    cockpit.wait(dispatch_id, until="waiting")
    thread.join(60)
    assert got and got[0].kind == "waiting" and got[0].dispatch == dispatch_id
    assert osc_notification(got[0].title, got[0].text).startswith("\x1b]9;cockpit: worker waiting")
    sent = _wait_for(lambda: [r for r in cockpit.receipts(dispatch_id) if r.kind == "notification_sent"])
    assert sent[0].data["channels"] == ["terminal"]
    cockpit.run("kill", dispatch_id, check=True)


def test_nothing_is_receipted_when_there_is_nowhere_to_send(cockpit) -> None:
    import os

    config = Path(os.environ["XDG_CONFIG_HOME"]) / "cockpit" / "config.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("notify: {desktop: false}\n")
    dispatch_id = cockpit.dispatch("@fake exit 4")
    cockpit.wait(dispatch_id)
    cockpit.run("note", "after", check=True)
    assert "notification_sent" not in cockpit.receipt_kinds()
