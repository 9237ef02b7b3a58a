"""The baseline: what the most popular peer tool does to watch its workers.

Every 500 ms, for every worker, one after the other:
  1. `tmux capture-pane -p -e -J` of its pane, and the sha256 of that screen
     (a changed hash means "the agent printed something");
  2. `git add -N .` and `git diff` in its worktree (the diff stats shown beside it).
A pass that overruns the interval starts the next one at once.

With `detect`, the poller also notices a permission prompt the way such a tool does:
the screen changed and its last non-blank line shows "[y/n]"; it appends
{"session", "t"} (wall clock) to the events file, for the status-latency baseline.

Run: python -m benchmarks.peer_poller CONFIG.json
CONFIG: {"socket": S, "targets": [{"session": ID, "worktree": PATH}], "interval": 0.5,
         "detect": true|false, "events": PATH|null}
"""

from __future__ import annotations

import hashlib
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

_ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def last_line(screen: bytes) -> bytes:
    lines = [line for line in _ANSI.sub(b"", screen).splitlines() if line.strip()]
    return lines[-1] if lines else b""


def run(config: dict[str, Any]) -> None:
    socket = config["socket"]
    targets = config["targets"]
    interval = float(config.get("interval", 0.5))
    detect = bool(config.get("detect"))
    events = open(config["events"], "a") if config.get("events") else None  # noqa: SIM115 (lives as long as the loop)
    hashes: dict[str, str] = {}
    asking: dict[str, bool] = {}
    while True:
        tick = time.monotonic()
        for target in targets:
            session, worktree = target["session"], target["worktree"]
            capture = ["tmux", "-L", socket, "capture-pane", "-p", "-e", "-J", "-t", f"={session}:"]
            screen = subprocess.run(capture, check=False, capture_output=True).stdout
            digest = hashlib.sha256(screen).hexdigest()
            changed = hashes.get(session) != digest
            hashes[session] = digest
            if detect and changed:
                now_asking = b"[y/n]" in last_line(screen)
                if now_asking and not asking.get(session) and events is not None:
                    events.write(json.dumps({"session": session, "t": time.time()}) + "\n")
                    events.flush()
                asking[session] = now_asking
            subprocess.run(["git", "add", "-N", "."], check=False, cwd=worktree, capture_output=True)
            subprocess.run(["git", "diff"], check=False, cwd=worktree, capture_output=True)
        delay = tick + interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    run(json.loads(Path(sys.argv[1]).read_text()))


if __name__ == "__main__":
    main()
