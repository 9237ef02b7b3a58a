"""Read-only requests the TUI needs: a worker's screen, its diff, the providers found, the skills,
the SSH hosts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cockpit.errors import CockpitError, UsageError
from cockpit.protocol import requests as req
from cockpit.protocol.replies import DiffFile, DiffReply, HostInfo, ProviderInfo, ScreenReply, SkillInfo
from cockpit.runtime.diffs import tree_diff, worktree_diff
from cockpit.runtime.providers import list_providers
from cockpit.runtime.remote_executor import RemoteExecutor
from cockpit.service.channel import OpHandler, Peer
from cockpit.service.context import Context
from cockpit.service.hosts import HostProbeCache
from cockpit.service.operations import WorkerOps
from cockpit.service.skills import list_skills

MAX_SCREEN_LINES = 5000


class InspectOps:
    def __init__(self, ctx: Context, ops: WorkerOps) -> None:
        self.ctx = ctx
        self.ops = ops
        self._providers: list[ProviderInfo] | None = None
        self.host_probes = HostProbeCache(ctx.ws.repo.toplevel)
        self.table: dict[str, OpHandler] = {
            "screen": self.screen,
            "diff": self.diff,
            "providers": self.providers,
            "skills": self.skills,
            "hosts": self.hosts,
        }

    async def screen(self, args: req.Screen, peer: Peer) -> ScreenReply:
        """The worker's terminal as its executor renders it (with colours), plus `history` lines above."""
        dispatch_id = self.ops.resolve(args.id)
        history = max(0, min(args.history, MAX_SCREEN_LINES))
        executor = self.ctx.executor_for(dispatch_id)
        try:
            text = await asyncio.to_thread(executor.capture, dispatch_id, ansi=True, history=history)
        except CockpitError:
            return ScreenReply(id=dispatch_id, available=False, text="")
        return ScreenReply(id=dispatch_id, available=True, text=text)

    async def diff(self, args: req.Diff, peer: Peer) -> DiffReply:
        d = self.ctx.dispatch(self.ops.resolve(args.id))
        if not Path(d.worktree).is_dir():
            raise UsageError(f"dispatch {d.id} has no worktree (it was torn down or never started)")
        base = d.base_commit or d.base_ref
        executor = self.ctx.executor_for(d)
        # A worker on an SSH host works there: its diff is of the host's files (fetched, the
        # local mirror untouched, so gates running in it are not disturbed), not of the mirror.
        work = await asyncio.to_thread(executor.current_work, d.id) if isinstance(executor, RemoteExecutor) else None
        if work is not None:
            head, tree = work
            result = await asyncio.to_thread(
                tree_diff, self.ctx.ws.git, base, tree, head=head, cwd=Path(d.worktree), patch=args.patch
            )
        else:
            result = await asyncio.to_thread(worktree_diff, self.ctx.ws.git, Path(d.worktree), base, patch=args.patch)
        return DiffReply(
            id=d.id,
            base=result.base,
            head=result.head,
            sha256=result.sha256,
            files=[DiffFile(**f.__dict__) for f in result.files],
            added=result.added,
            removed=result.removed,
            patch=result.patch,
            truncated=result.truncated,
        )

    async def skills(self, args: req.Skills, peer: Peer) -> list[SkillInfo]:
        """The skills of the main checkout, for the dispatch form's picker (read afresh each time)."""
        return [SkillInfo(**row) for row in await asyncio.to_thread(list_skills, self.ctx.ws.repo.toplevel)]

    async def providers(self, args: req.Providers, peer: Peer) -> list[ProviderInfo]:
        if self._providers is None or args.refresh:
            statuses = await asyncio.to_thread(list_providers, self.ctx.catalog)
            self._providers = [
                ProviderInfo(
                    name=s.name,
                    found=s.found,
                    modes=s.modes,
                    version=s.version,
                    default_mode=self.ctx.catalog.get(s.name).default_mode,
                    default=s.name == self.ctx.config.default_provider,
                )
                for s in statuses
            ]
        return self._providers

    async def hosts(self, args: req.Hosts, peer: Peer) -> list[HostInfo]:
        """Every configured SSH host as last probed (the TUI's hosts view); a bad hosts.yaml is
        a usage error naming file, line and field."""
        return await self.host_probes.get(refresh=args.refresh)
