"""Interactive usage of a worker on an SSH host: its CLI's hook names a transcript file on
the host; the host's executor mirrors it here (only the bytes the mirror lacks, over the
shared connection) and the supervisor reads the mirror, as it reads a local worker's file."""

from __future__ import annotations

import json

import yaml
from hostkit import hosts_yaml, wait_for, write_user_hosts
from netns_lab import NetnsLab

SIGNALS = {
    "rules": [{"event": "Busy", "state": "working"}, {"event": "Done", "state": "idle"}],
    "usage": "claude_transcript",
}


def entry(message_id: str, tokens_in: int, tokens_out: int) -> str:
    """One assistant entry of claude's transcript, as the local parser reads it."""
    usage = {"input_tokens": tokens_in, "cache_read_input_tokens": 10, "output_tokens": tokens_out}
    return json.dumps({"type": "assistant", "message": {"id": message_id, "usage": usage}}) + "\n"


def test_transcript_on_a_host_gives_interactive_usage(cockpit, lab_env: NetnsLab) -> None:
    write_user_hosts(hosts_yaml(lab_env))
    catalog = cockpit.repo / ".cockpit" / "providers.yaml"
    catalog.parent.mkdir(exist_ok=True)
    catalog.write_text(yaml.safe_dump({"providers": {"fake": {"signals": SIGNALS}}}))
    # The file is the host's (the lab's filesystem is shared, so the test writes it directly).
    transcript = lab_env.hosts["h1"].root / "claude-projects" / "session.jsonl"
    transcript.parent.mkdir(parents=True)
    transcript.write_text(entry("m1", 100, 20) + entry("m1", 100, 20) + json.dumps({"type": "user"}) + "\n")
    busy = json.dumps({"transcript_path": str(transcript)})
    dispatch_id = cockpit.dispatch(f"@fake hook Busy {busy}\n@fake say working", "--interactive", "--host", "h1")

    def usage() -> list[tuple[int, int]]:
        return [
            (r.data["input_tokens"], r.data["output_tokens"])
            for r in cockpit.receipts(dispatch_id)
            if r.kind == "usage" and r.data.get("source") == "transcript"
        ]

    def seen() -> str:
        return f"receipts {[(r.kind, r.data) for r in cockpit.receipts(dispatch_id)][-6:]}"

    wait_for(lambda: usage() == [(110, 20)], what=seen)
    mirrors = list((cockpit.ws.state.dispatch_dir(dispatch_id) / "host-files").glob("*-session.jsonl"))
    assert len(mirrors) == 1 and mirrors[0].read_bytes() == transcript.read_bytes()
    # More of the transcript, and the next hook: only what the mirror lacks is fetched (a
    # second copy of the start would make the mirror longer than the host's file).
    with open(transcript, "a") as handle:
        handle.write(entry("m2", 200, 5) + entry("m1", 100, 20))
    cockpit.run("send", dispatch_id, f"@fake hook Done {busy}", check=True)
    wait_for(lambda: usage() == [(110, 20), (320, 25)], what=seen)
    assert mirrors[0].read_bytes() == transcript.read_bytes()
    view = cockpit.show(dispatch_id)
    assert (view["tokens_in"], view["tokens_out"]) == (320, 25)
    assert cockpit.run("kill", dispatch_id).returncode == 0
