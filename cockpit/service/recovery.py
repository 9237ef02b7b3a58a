"""What a starting supervisor does first: pick up where the last one stopped.

Workers run in their executor's sessions (the local one: tmux), not in the supervisor,
so a supervisor killed with SIGKILL loses nothing: running workers are re-adopted (their
logs kept growing meanwhile), exits that happened meanwhile are read from the exited
sessions, and workers whose terminal server is gone are marked lost. Worktrees are never
touched.
"""

from __future__ import annotations

import asyncio

from cockpit.domain.dispatch import LIVE_STATES, Dispatch
from cockpit.runtime.executor import SessionStatus
from cockpit.runtime.remote_executor import RemoteExecutor
from cockpit.service.context import Context
from cockpit.service.monitor import Monitor
from cockpit.service.receipt_data import RecoveryCounts
from cockpit.service.workers import Workers


async def recover(ctx: Context, workers: Workers, monitor: Monitor) -> RecoveryCounts:
    ctx.ws.store.catch_up()
    found = {name: await asyncio.to_thread(executor.sessions) for name, executor in ctx.executors.items()}

    def session_of(d: Dispatch) -> tuple[SessionStatus | None, bool]:
        sessions = found[ctx.executor_for(d).name]
        return sessions.get(d.id), sessions.reachable

    counts = RecoveryCounts(adopted=0, exited_while_down=0, lost=0, adopted_unrecorded=0)
    live = ctx.ws.store.dispatches(states=tuple(str(s) for s in LIVE_STATES))
    for d in ctx.ws.store.dispatches(states=("queued",)):
        if (session := session_of(d)[0]) is not None:  # killed between starting its session and recording it
            await workers.adopt_started(d, session.exited)
            if session.exited:
                await monitor.finish(d.id, session.exit_code, signal=session.exit_signal, while_down=True)
            counts["adopted_unrecorded"] += 1
    for d in live:
        session, server_alive = session_of(d)
        executor = ctx.executor_for(d)
        if session is None and isinstance(executor, RemoteExecutor) and not executor.link_up:
            # Its host does not answer: not lost, it may be working there. Adopted; the sweep
            # marks it unreachable and re-adopts it when the host answers again.
            worker = ctx.adopt(d, prompt_pending=d.mode == "interactive" and d.prompt_delivered_ts is None)
            workers.arm_timeout(worker, d)
            counts["unreachable"] = counts.get("unreachable", 0) + 1
            continue
        if session is None:
            reason = "its tmux session disappeared" if server_alive else "the tmux server is gone"
            ctx.record("lost", d.id, reason=reason + " while the supervisor was down", worktree_kept=d.worktree)
            counts["lost"] += 1
            continue
        worker = ctx.adopt(d, prompt_pending=d.mode == "interactive" and d.prompt_delivered_ts is None)
        monitor.read_new(worker)  # the whole log: usage printed while we were down counts
        if session.exited:
            await monitor.finish(d.id, session.exit_code, signal=session.exit_signal, while_down=True)
            counts["exited_while_down"] += 1
        else:
            workers.arm_timeout(worker, d)
            monitor.request_check(worker)
            counts["adopted"] += 1
    return counts
