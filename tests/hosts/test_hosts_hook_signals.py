"""A CLI's hook signals from a worker on an SSH host, through the real supervisor: the fake
agent on the host runs its hook as claude does (`sh "$COCKPIT_SIGNAL_HOOK" EVENT`, JSON on
stdin), cockpit's copy of the hook script in the host's run directory appends the line
there, the worker's stream brings it here, and the supervisor's signals path judges it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml
from hostkit import hosts_yaml, wait_for
from netns_lab import NetnsLab

# As claude's wiring: a submit hook confirms the prompt's delivery, a permission hook waits.
SIGNALS = {
    "rules": [
        {"event": "Submitted", "state": "working"},
        {"event": "Asked", "state": "waiting"},
        {"event": "Done", "state": "idle"},
    ],
    "delivered": ["Submitted"],
}


def test_waiting_on_a_host_comes_from_the_cli_hook(cockpit, lab_env: NetnsLab) -> None:
    hosts = Path(os.environ["XDG_CONFIG_HOME"]) / "cockpit" / "hosts.yaml"
    hosts.parent.mkdir(parents=True, exist_ok=True)
    hosts.write_text(hosts_yaml(lab_env))
    catalog = cockpit.repo / ".cockpit" / "providers.yaml"
    catalog.parent.mkdir(exist_ok=True)
    catalog.write_text(yaml.safe_dump({"providers": {"fake": {"signals": SIGNALS}}}))
    asked = json.dumps({"tool_name": "Bash", "tool_input": {"command": "make test"}})
    dispatch_id = cockpit.dispatch(
        f"@fake hook Submitted\n@fake say checking\n@fake hook Asked {asked}", "--interactive", "--host", "h1"
    )

    def status_changes() -> list[dict]:
        return [r.data for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed"]

    def seen() -> str:
        local = cockpit.ws.state.signal_file(dispatch_id)
        on_host = list((lab_env.hosts["h1"].root / "run").glob(f"*/{dispatch_id}/signals.ndjson"))
        host_text = on_host[0].read_text() if on_host else "(none)"
        local_text = local.read_text() if local.exists() else "(none)"
        return f"receipts {[(r.kind, r.data) for r in cockpit.receipts(dispatch_id)][-6:]}; host signals {host_text!r}; local signals {local_text!r}"

    waiting = wait_for(lambda: [d for d in status_changes() if d["to"] == "waiting"], what=seen)
    assert (waiting[0]["source"], waiting[0]["event"]) == ("hook", "Asked")
    assert waiting[0]["question"] == "permission to use Bash: make test"
    delivered = next(r.data for r in cockpit.receipts(dispatch_id) if r.kind == "prompt_delivered")
    assert delivered["confirmed_by"] == "hook" and delivered["event"] == "Submitted"
    assert next(r.data for r in cockpit.receipts(dispatch_id) if r.kind == "worker_started")["host"] == "h1"
    cockpit.wait(dispatch_id, until="waiting", timeout=10)
    # The line was written on the host, by the run directory's copy of the hook script.
    signals = list((lab_env.hosts["h1"].root / "run").glob(f"*/{dispatch_id}/signals.ndjson"))
    events = [json.loads(line)["event"] for line in signals[0].read_text().splitlines()] if signals else []
    assert len(signals) == 1 and events == ["Submitted", "Asked"]
    assert (signals[0].parent / "signal-hook.sh").is_file()
    # The screen (the fake agent's idle box) does not undo it; the next hook moves it on.
    cockpit.run("send", dispatch_id, "@fake hook Done", check=True)
    wait_for(lambda: status_changes()[-1]["to"] == "idle" and status_changes()[-1]["source"] == "hook", what=seen)
    assert cockpit.run("kill", dispatch_id).returncode == 0
