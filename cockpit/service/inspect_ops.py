"""Read-only requests the TUI needs: a worker's screen, its diff, the providers found, the skills."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from cockpit.errors import CockpitError, UsageError
from cockpit.runtime.diffs import worktree_diff
from cockpit.runtime.providers import list_providers
from cockpit.service.channel import Peer
from cockpit.service.context import Context
from cockpit.service.operations import WorkerOps
from cockpit.service.skills import list_skills

MAX_SCREEN_LINES = 5000


class InspectOps:
    def __init__(self, ctx: Context, ops: WorkerOps) -> None:
        self.ctx = ctx
        self.ops = ops
        self._providers: list[dict[str, Any]] | None = None
        self.table = {"screen": self.screen, "diff": self.diff, "providers": self.providers, "skills": self.skills}

    async def screen(self, args: dict[str, Any], peer: Peer) -> dict[str, Any]:
        """The worker's terminal as its executor renders it (with colours), plus `history` lines above."""
        dispatch_id = self.ops.resolve(args.get("id"))
        history = max(0, min(int(args.get("history") or 0), MAX_SCREEN_LINES))
        executor = self.ctx.executor_for(dispatch_id)
        try:
            text = await asyncio.to_thread(executor.capture, dispatch_id, ansi=True, history=history)
        except CockpitError:
            return {"id": dispatch_id, "available": False, "text": ""}
        return {"id": dispatch_id, "available": True, "text": text}

    async def diff(self, args: dict[str, Any], peer: Peer) -> dict[str, Any]:
        d = self.ctx.dispatch(self.ops.resolve(args.get("id")))
        if not Path(d.worktree).is_dir():
            raise UsageError(f"dispatch {d.id} has no worktree (it was torn down or never started)")
        result = await asyncio.to_thread(
            worktree_diff, self.ctx.ws.git, Path(d.worktree), d.base_commit or d.base_ref, patch=bool(args.get("patch", True))
        )
        return {
            "id": d.id,
            "base": result.base,
            "head": result.head,
            "sha256": result.sha256,
            "files": [f.__dict__ for f in result.files],
            "added": result.added,
            "removed": result.removed,
            "patch": result.patch,
            "truncated": result.truncated,
        }

    async def skills(self, args: dict[str, Any], peer: Peer) -> list[dict[str, Any]]:
        """The skills of the main checkout, for the dispatch form's picker (read afresh each time)."""
        return await asyncio.to_thread(list_skills, self.ctx.ws.repo.toplevel)

    async def providers(self, args: dict[str, Any], peer: Peer) -> list[dict[str, Any]]:
        if self._providers is None or args.get("refresh"):
            statuses = await asyncio.to_thread(list_providers, self.ctx.catalog)
            self._providers = [
                {
                    "name": s.name,
                    "found": s.found,
                    "modes": s.modes,
                    "version": s.version,
                    "default_mode": self.ctx.catalog.get(s.name).default_mode,
                    "default": s.name == self.ctx.config.default_provider,
                }
                for s in statuses
            ]
        return self._providers
