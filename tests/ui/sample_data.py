"""Fixed data for snapshots and the README screenshot: the same screen on every run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cockpit.domain.receipt import GENESIS, seal
from cockpit.protocol.replies import DiffReply, HostCli, HostInfo, ProviderInfo, ReviewReply, TeardownPreview
from cockpit.protocol.views import DispatchView
from cockpit.ui.static_source import StaticSource

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
BASE = "2026-03-14T15:"


def view(
    id: str,
    title: str,
    state: str,
    *,
    provider: str = "claude",
    started: str | None = "02:00.000000Z",
    ended: str | None = None,
    review: str = "none",
    tokens: tuple[int, int] = (0, 0),
    cost: str = "0.000000",
    diff: tuple[int, int, int] = (0, 0, 0),
    gates: list[dict[str, Any]] | None = None,
    seq: int = 1,
    exit_code: int | None = None,
) -> dict[str, Any]:
    return {
        "id": id,
        "title": title,
        "provider": provider,
        "mode": "interactive",
        "state": state,
        "exit_code": exit_code,
        "review": review,
        "created_seq": seq,
        "created_ts": BASE + "01:00.000000Z",
        "updated_ts": BASE + "01:00.000000Z",
        "prompt_sha256": "0" * 64,
        "prompt_bytes": len(title),
        "base_ref": "main",
        "started_ts": BASE + started if started else None,
        "ended_ts": BASE + ended if ended else None,
        "elapsed_s": None,
        "tokens_in": tokens[0],
        "tokens_out": tokens[1],
        "tokens": sum(tokens),
        "cost_usd": cost,
        "diff_added": diff[0],
        "diff_removed": diff[1],
        "diff_files": diff[2],
        "gates": [{"dispatch": id, "seq": seq, "ts": BASE + "05:00.000000Z", **g} for g in gates or []],
        "live": state in ("starting", "working", "waiting", "idle"),
        "teardown": None,
        "branch": f"cockpit/{id}",
        "worktree": f"/state/worktrees/{id}",
        "log": f"/state/logs/{id}.log",
        "risk": "medium",
        "target": "main",
        "error": None,
        "task": {},
    }


def gate(
    name: str, status: str, summary: str, findings: list[dict[str, Any]] | None = None, kind: str = "command"
) -> dict[str, Any]:
    return {"gate": name, "kind": kind, "status": status, "summary": summary, "findings": json.dumps(findings or [])}


def sample_views() -> list[dict[str, Any]]:
    return [
        view(
            "1qf9a2b3c4",
            "Add retry with backoff to the HTTP client",
            "working",
            tokens=(18200, 5400),
            cost="0.412000",
            diff=(84, 12, 3),
            seq=3,
        ),
        view(
            "1qf9a2b3d5",
            "Fix flaky test_parse_dates on leap years",
            "waiting",
            provider="codex",
            started="05:10.000000Z",
            tokens=(9100, 2100),
            cost="0.090000",
            diff=(6, 2, 1),
            seq=9,
        ),
        view(
            "1qf9a2b3e6",
            "Write docs for the config loader",
            "exited",
            provider="gemini",
            ended="08:40.000000Z",
            review="awaiting_approval",
            tokens=(40100, 8800),
            cost="0.000000",
            diff=(120, 4, 2),
            exit_code=0,
            gates=[gate("tests", "passed", "212 passed in 9.1s"), gate("scope", "passed", "2 files, all allowed", kind="scope")],
            seq=14,
        ),
        view(
            "1qf9a2b3f7",
            "Refactor the cache layer to use an LRU",
            "exited",
            provider="aider",
            ended="07:02.000000Z",
            review="changes_requested",
            tokens=(5300, 1200),
            cost="0.031000",
            diff=(40, 66, 4),
            exit_code=0,
            seq=20,
            gates=[
                gate(
                    "tests",
                    "failed",
                    "2 failed, 198 passed",
                    [{"severity": "blocking", "file": "cache/lru.py", "line": 88, "message": "test_evict_oldest: KeyError: 'b'"}],
                ),
                gate("review", "passed", "looks fine", kind="review"),
            ],
        ),
        view("1qf9a2b3g8", "Bump dependencies and regenerate the lock file", "queued", provider="fake", started=None, seq=25),
        view("1qf9a2b3h9", "Try the new parser on the benchmarks", "killed", provider="ollama", ended="04:00.000000Z", seq=30),
    ]


ON_HOSTS = {"1qf9a2b3c4": "ssh:build1", "1qf9a2b3d5": "ssh:gpu-box", "1qf9a2b3f7": "ssh:build1"}


def views_on_hosts() -> list[dict[str, Any]]:
    """The sample workers, three of them on SSH hosts (the others here)."""
    return [{**v, "executor": ON_HOSTS.get(v["id"], "local")} for v in sample_views()]


def sample_hosts() -> list[HostInfo]:
    """Three hosts as a probe found them: one usable, one whose root cannot be written, one down."""
    probed = BASE + "09:20.000000Z"

    def clis(*found: tuple[str, str]) -> list[HostCli]:
        versions = dict(found)
        return [
            HostCli(
                name=name, binary=name, path=f"/usr/local/bin/{name}" if name in versions else None, version=versions.get(name)
            )
            for name in ("claude", "codex", "fake")
        ]

    return [
        HostInfo(
            name="build1",
            ssh="build1",
            reachable=True,
            usable=True,
            latency_ms=3.2,
            tmux="tmux 3.3a",
            git="git version 2.39.5",
            providers=clis(("claude", "2.1.197 (Claude Code)"), ("fake", "cockpit-fake-agent 0.1.0")),
            free_disk_bytes=129_384_000_000,
            running_workers=2,
            capacity=4,
            labels=["big"],
            probed_ts=probed,
        ),
        HostInfo(
            name="gpu-box",
            ssh="alice@gpu-box.lan",
            reachable=True,
            usable=False,
            latency_ms=11.8,
            tmux="tmux 3.2a",
            git="git version 2.34.1",
            providers=clis(("codex", "codex-cli 0.169.0")),
            free_disk_bytes=9_200_000_000,
            running_workers=1,
            capacity=1,
            labels=["gpu", "big"],
            problems=["root is not writable (cockpit must create it or write under it)"],
            probed_ts=probed,
        ),
        HostInfo(
            name="laptop",
            ssh="laptop",
            reachable=False,
            usable=False,
            error="ssh: connect to host laptop port 22: No route to host",
            capacity=2,
            problems=["unreachable: ssh: connect to host laptop port 22: No route to host"],
            probed_ts=probed,
        ),
    ]


def sample_receipts(count: int = 40) -> list[Any]:
    kinds = [
        ("dispatch_created", "operator@laptop", {"title": "Add retry with backoff", "provider": "claude"}),
        ("worker_started", "supervisor", {"mode": "interactive"}),
        ("status_changed", "supervisor", {"from": "working", "to": "waiting"}),
        ("input_sent", "operator@laptop", {"keypress": "y"}),
        ("usage", "supervisor", {"input_tokens": 1200, "output_tokens": 340}),
        (
            "gate_result",
            "supervisor",
            {
                "gate": "tests",
                "kind": "command",
                "status": "failed",
                "summary": "2 failed, 198 passed",
                "findings": [
                    {"severity": "blocking", "file": "cache/lru.py", "line": 88, "message": "test_evict_oldest: KeyError: 'b'"}
                ],
                "base_commit": "5eeec76032e4c824b924625857d9a607e0b7aa97",
            },
        ),
    ]
    ids = [v["id"] for v in sample_views()]
    receipts, prev = [], GENESIS
    for i in range(count):
        kind, actor, data = kinds[i % len(kinds)]
        receipt, _line = seal(
            seq=i + 1,
            ts=f"2026-03-14T15:{i // 60:02d}:{i % 60:02d}.000000Z",
            kind=kind,
            actor=actor,
            dispatch=ids[i % len(ids)],
            data=data,
            prev=prev,
        )
        receipts.append(receipt)
        prev = receipt.hash
    return receipts


SCREEN = (
    "\x1b[1;36m● claude\x1b[0m  working on \x1b[1mtests/test_dates.py\x1b[0m\n"
    "  \x1b[32m✓\x1b[0m read 4 files\n"
    "  \x1b[32m✓\x1b[0m found the leap-year branch in parse_dates()\n"
    "\n"
    "\x1b[33mApply this edit to src/dates.py? [y/n]\x1b[0m "
)

PATCH = """diff --git a/src/dates.py b/src/dates.py
index 3b18e51..a9c2f04 100644
--- a/src/dates.py
+++ b/src/dates.py
@@ -10,7 +10,9 @@ def parse_dates(text: str) -> list[date]:
     out = []
     for part in text.split(","):
-        year, month, day = part.split("-")
+        year, month, day = (int(x) for x in part.strip().split("-"))
+        if month == 2 and day == 29 and not is_leap(year):
+            raise ValueError(f"{year} is not a leap year")
         out.append(date(year, month, day))
     return out
diff --git a/tests/test_dates.py b/tests/test_dates.py
index 1111111..2222222 100644
--- a/tests/test_dates.py
+++ b/tests/test_dates.py
@@ -1,3 +1,7 @@
 from src.dates import parse_dates
+
+
+def test_leap_day():
+    assert parse_dates("2024-02-29")[0].day == 29
"""


def as_views(views: list[dict[str, Any]]) -> list[DispatchView]:
    """Views as the supervisor's JSON (what `view` makes), read as the TUI reads them."""
    return [DispatchView.model_validate(v) for v in views]


def sample_source(views: list[dict[str, Any]] | None = None) -> StaticSource:
    """The snapshots' source: the data below, as the protocol's models (static_source.py)."""
    views = sample_views() if views is None else views
    waiting = "1qf9a2b3d5"
    ready = "1qf9a2b3e6"
    return StaticSource(
        views=as_views(views),
        clock=NOW,
        receipts=sample_receipts(),
        screens={waiting: SCREEN, "1qf9a2b3c4": SCREEN},
        diffs={
            waiting: DiffReply.model_validate(
                {
                    "id": waiting,
                    "files": [
                        {"path": "src/dates.py", "status": "M", "added": 3, "removed": 1, "binary": False},
                        {"path": "tests/test_dates.py", "status": "M", "added": 4, "removed": 0, "binary": False},
                    ],
                    "added": 7,
                    "removed": 1,
                    "patch": PATCH,
                    "truncated": False,
                    "sha256": "0" * 64,
                }
            )
        },
        reviews={
            ready: ReviewReply.model_validate(
                {
                    "id": ready,
                    "diff": {
                        "files": [
                            {"path": "docs/config.md", "status": "A", "added": 110, "removed": 0, "binary": False},
                            {"path": "src/config.py", "status": "M", "added": 10, "removed": 4, "binary": False},
                        ],
                        "added": 120,
                        "removed": 4,
                    },
                    "gates": [
                        {
                            "name": "tests",
                            "kind": "command",
                            "required": True,
                            "status": "passed",
                            "summary": "212 passed in 9.1s",
                            "findings": [],
                        },
                        {
                            "name": "review",
                            "kind": "review",
                            "required": False,
                            "status": "passed",
                            "summary": "2 advisory notes",
                            "findings": [
                                {
                                    "severity": "advisory",
                                    "file": "docs/config.md",
                                    "line": 12,
                                    "message": "the example uses a key the loader renamed",
                                },
                                {
                                    "severity": "advisory",
                                    "file": "src/config.py",
                                    "line": 40,
                                    "message": "consider naming the default path",
                                },
                            ],
                        },
                        {
                            "name": "scope",
                            "kind": "scope",
                            "required": True,
                            "status": "passed",
                            "summary": "2 files, all allowed",
                            "findings": [],
                        },
                    ],
                    "can_approve": True,
                    "blockers": [],
                    "target": "main",
                    "will": "merge cockpit/1qf9a2b3e6 (2 commits) into main with a merge commit; main moves only if "
                    "it merges cleanly, and the worktree then counts as merged",
                }
            ),
            waiting: ReviewReply.model_validate(
                {
                    "id": waiting,
                    "diff": {"files": [], "added": 7, "removed": 1},
                    "gates": [],
                    "can_approve": False,
                    "blockers": ["the worker is still waiting", "no gates have run"],
                    "target": "main",
                    "will": "",
                }
            ),
        },
        teardowns={
            "1qf9a2b3f7": TeardownPreview.model_validate(
                {
                    "id": "1qf9a2b3f7",
                    "classification": "committed",
                    "commits_ahead": 3,
                    "changed": 0,
                    "untracked": 1,
                    "ignored": [".venv/", "build/"],
                    "will_archive": True,
                    "archive_ref": "refs/cockpit/archive/1qf9a2b3f7",
                    "live": False,
                }
            )
        },
        hosts=sample_hosts(),
        providers=[
            ProviderInfo.model_validate(p)
            for p in (
                {"name": "claude", "found": True, "modes": ["headless", "interactive"], "version": "2.1.3"},
                {"name": "fake", "found": True, "modes": ["headless", "interactive"], "version": "0.1.0", "default": True},
                {"name": "codex", "found": False, "modes": [], "version": None},
            )
        ],
    )
