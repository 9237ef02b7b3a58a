"""A source of fixed data: the same screen on every run (snapshot tests, screenshots).

It answers the read requests from the data it was given, records the action requests
it receives (so a test can see what the UI asked for) and has no events and no clock
but the one it was given.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cockpit.domain.receipt import Receipt
from cockpit.errors import UsageError
from cockpit.ui.source import forever


class StaticPages:
    def __init__(self, receipts: list[Receipt]) -> None:
        self.receipts = receipts

    @property
    def count(self) -> int:
        return len(self.receipts)

    def refresh(self) -> int:
        return self.count

    def get(self, index: int) -> Receipt | None:
        return self.receipts[index] if 0 <= index < len(self.receipts) else None

    def latest(self, count: int) -> list[Receipt]:
        return self.receipts[-count:] if count > 0 else []

    def index_of_seq(self, seq: int) -> int | None:
        for i, receipt in enumerate(self.receipts):
            if receipt.seq == seq:
                return i
        return None


@dataclass
class StaticSource:
    views: list[dict[str, Any]]
    clock: datetime
    receipts: list[Receipt] = field(default_factory=list)
    screens: dict[str, str] = field(default_factory=dict)
    diffs: dict[str, dict[str, Any]] = field(default_factory=dict)
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)
    teardowns: dict[str, dict[str, Any]] = field(default_factory=dict)
    providers: list[dict[str, Any]] = field(default_factory=list)
    skills: list[dict[str, Any]] = field(default_factory=list)
    label: str = "~/src/project"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock

    def _view(self, ref: Any) -> dict[str, Any]:
        for view in self.views:
            if view["id"] == ref:
                return view
        raise UsageError(f"no dispatch {ref!r} in this repository")

    async def call(self, op: str, **args: Any) -> Any:
        self.calls.append((op, args))
        ref = args.get("id")
        if op == "ping":
            return {"pid": 0, "version": "static", "live": 0}
        if op == "status":
            return list(self.views)
        if op == "show":
            return self._view(ref)
        if op == "providers":
            return self.providers
        if op == "skills":
            return self.skills
        if op == "screen":
            self._view(ref)
            return {"id": ref, "available": ref in self.screens, "text": self.screens.get(ref, "")}
        if op == "diff":
            self._view(ref)
            if ref not in self.diffs:
                raise UsageError(f"dispatch {ref} has no worktree (it was torn down or never started)")
            return self.diffs[ref]
        if op == "review" and self.reviews:
            self._view(ref)
            return self.reviews.get(ref) or {
                "id": ref,
                "gates": [],
                "can_approve": False,
                "blockers": ["no gates have run"],
                "diff": {},
                "target": "main",
                "will": "",
            }
        if op == "preview_teardown":
            self._view(ref)
            return self.teardowns.get(ref) or {
                "id": ref,
                "classification": "clean",
                "commits_ahead": 0,
                "changed": 0,
                "untracked": 0,
                "ignored": [],
                "will_archive": False,
                "archive_ref": f"refs/cockpit/archive/{ref}",
                "live": False,
            }
        if op == "gates":
            gates = self._view(ref).get("gates") or []
            return {"id": ref, "gates": [g.get("gate") or g.get("name") for g in gates] or ["tests"], "started": True}
        if op in ("send", "kill", "teardown", "approve", "reject", "dispatch"):
            return {"id": ref, "ok": True}
        raise UsageError(f"the supervisor does not know the request {op!r}")

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        yield {"type": "hello", "pid": 0, "version": "static"}
        await forever()

    def pages(self) -> StaticPages:
        return StaticPages(self.receipts)

    def can_attach(self, dispatch_id: str) -> None:
        return None

    def attach(self, dispatch_id: str) -> int:
        self.calls.append(("attach", {"id": dispatch_id}))
        return 0

    def actor(self) -> str:
        return "operator@static"

    def identity(self) -> dict[str, Any]:
        return {"user": "operator", "host": "static"}

    async def close(self) -> None:
        return None
