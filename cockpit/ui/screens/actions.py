"""What the main screen's keys do. Each asks the supervisor through `app.request`, which
turns any refusal into a notification; confirmations come first where work is at stake."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual import work
from textual.screen import Screen

from cockpit.protocol import requests as req
from cockpit.protocol.replies import (
    ApproveReply,
    ControlReply,
    GatesReply,
    KillReply,
    ProviderInfo,
    ReviewReply,
    RoundReply,
    SendReply,
    SkillInfo,
    TeardownPreview,
    TeardownReply,
)
from cockpit.protocol.views import DispatchView
from cockpit.ui.screens.dialogs import (
    ApproveScreen,
    ConfirmScreen,
    RejectScreen,
    SendTextScreen,
    TeardownScreen,
)
from cockpit.ui.screens.dispatch_form import DispatchForm

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp

T = TypeVar("T")


class WorkerActions:
    """Mixed into MainScreen (which provides `app`, `selected_view` and friends)."""

    if TYPE_CHECKING:
        app: CockpitApp  # the screen runs only inside CockpitApp

        @property
        def selected_view(self) -> DispatchView | None: ...

    def _target(self) -> DispatchView | None:
        view = self.selected_view
        if view is None:
            self.app.notify("select a worker first", severity="warning")
        return view

    async def _dialog_about(self, view: DispatchView, dialog: Screen[T]) -> T:
        """Ask the operator about one worker. Its toast goes first: the operator is acting on
        that news, and on a small terminal the toast would cover the dialog's buttons."""
        self.app.news_seen(view.id)
        return await self.app.push_screen_wait(dialog)

    # -- dispatch ------------------------------------------------------------------------

    @work(group="dispatch")
    async def action_new_dispatch(self) -> None:
        providers = await self.app.ask_list(ProviderInfo, req.Providers()) or []
        skills = await self.app.ask_list(SkillInfo, req.Skills()) or []
        fields = await self.app.push_screen_wait(DispatchForm(providers, skills))
        if not fields:
            return
        view = await self.app.ask(DispatchView, fields.model_copy(update={"actor": self.app.source.actor()}))
        if view:
            self.app.notify(f"dispatched {view.id} to {view.provider}", title="Dispatch")
            self.app.board.apply(view)
            self.show_board()  # type: ignore[attr-defined]
            self.query_one("#workers").select(view.id)  # type: ignore[attr-defined]

    # -- talking to a worker ---------------------------------------------------------------

    async def action_answer(self, key: str) -> None:
        view = self._target()
        if view is None:
            return
        # The supervisor sends the catalog's keys for the prompt on screen, or refuses (notified
        # by request()) when no mapping matches: only a real answer is reported as one.
        result = await self.app.ask(SendReply, req.Send(id=view.id, key=key, enter=False, actor=self.app.source.actor()))
        if result and result.answered:
            keys = " ".join(result.keys or [])
            prompt = result.prompt if "prompt" in result.model_fields_set else "prompt"
            self.app.notify(f"answered {result.answered} to {view.id}'s {prompt} (keys: {keys})", title="Answer")

    @work(group="send")
    async def action_send_text(self) -> None:
        view = self._target()
        if view is None:
            return
        text = await self._dialog_about(view, SendTextScreen(view))
        if text:
            await self.app.request(req.Send(id=view.id, text=text, enter=True, actor=self.app.source.actor()))

    @work(group="continue", exclusive=True)
    async def action_continue_dispatch(self) -> None:
        """A new round in the same worktree (`cockpit continue`): typed into a live interactive
        session, else a new run that resumes the CLI's own session where it can."""
        view = self._target()
        if view is None:
            return
        title = f"Continue {view.id}: what should its agent do next?"
        prompt = await self._dialog_about(
            view, SendTextScreen(view, title=title, placeholder="the next prompt, in the same worktree", confirm="Continue")
        )
        if not prompt:
            return
        result = await self.app.ask(RoundReply, req.Continue(id=view.id, prompt=prompt, actor=self.app.source.actor()))
        if result is not None:
            self.app.notify(f"{view.id}: round {result.round}, {result.how}", title="Continue", markup=False)

    # -- gates and promotion ---------------------------------------------------------------

    async def action_run_gates(self) -> None:
        view = self._target()
        if view is None:
            return
        finished_before = self.gate_runs_finished.get(view.id, 0)  # type: ignore[attr-defined]
        result = await self.app.ask(GatesReply, req.Gates(id=view.id))
        if result is not None:
            names = list(result.gates)
            if self.gate_runs_finished.get(view.id, 0) != finished_before:  # type: ignore[attr-defined]
                return  # already finished: the panel shows the results
            if names:
                self.gates_started(view.id, names)  # type: ignore[attr-defined]  # the panel shows them running
            else:
                self.app.notify(f"no gates are required for {view.id}", title="Gates", markup=False)

    @work(group="approve", exclusive=True)
    async def action_approve(self) -> None:
        view = self._target()
        if view is None:
            return
        review = await self.app.ask(ReviewReply, req.Review(id=view.id))
        if review is None:
            return
        confirmed = await self._dialog_about(view, ApproveScreen(view, review))
        if not confirmed:
            return
        result = await self.app.ask(ApproveReply, req.Approve(id=view.id, strategy="merge", identity=self.app.source.identity()))
        if result is not None:
            self.app.notify(f"approved {view.id}: {result.commit[:12]} on {result.target}", title="Approved")

    @work(group="reject", exclusive=True)
    async def action_reject(self) -> None:
        view = self._target()
        if view is None:
            return
        answer = await self._dialog_about(view, RejectScreen(view))
        if not answer:
            return
        reason, send_back = answer
        if (
            await self.app.request(req.Reject(id=view.id, reason=reason, send_back=send_back, actor=self.app.source.actor()))
            is not None
        ):
            self.app.notify(f"rejected {view.id}" + (" and sent it back" if send_back else ""), title="Rejected")

    # -- stopping ----------------------------------------------------------------------------

    @work(group="kill", exclusive=True)
    async def action_kill(self) -> None:
        view = self._target()
        if view is None:
            return
        ok = await self._dialog_about(
            view,
            ConfirmScreen(
                f"Kill worker {view.id}?",
                f"{view.title}\n\nIts processes stop now (all of them). Its worktree and branch are kept: "
                "d still shows the diff, t tears it down.",
                "kill",
            ),
        )
        if ok and (result := await self.app.ask(KillReply, req.Kill(id=view.id, actor=self.app.source.actor()))):
            how = f": {result.how}" if result.how else ""
            self.app.notify(f"killed {view.id}{how}" if result.killed else f"{view.id} was not running", title="Kill")

    @work(group="pause", exclusive=True)
    async def action_pause_resume(self) -> None:
        """p: pause a running worker, resume a paused one (no confirmation: both are undone by p)."""
        view = self._target()
        if view is None:
            return
        op = "resume" if view.state == "paused" else "pause"
        kind = req.Resume if op == "resume" else req.Pause
        result = await self.app.ask(ControlReply, kind(id=view.id, actor=self.app.source.actor()))
        for item in result.done if result is not None else []:
            if op == "pause":
                text = f"{item.id} was already paused" if item.already else f"paused {item.id}: {item.how}"
            else:
                text = f"resumed {item.id}: {item.how}"
            self.app.notify(text, title=op.capitalize(), markup=False)

    @work(group="teardown", exclusive=True)
    async def action_teardown(self) -> None:
        view = self._target()
        if view is None:
            return
        preview = await self.app.ask(TeardownPreview, req.PreviewTeardown(id=view.id))
        if preview is None:
            return
        ok = await self._dialog_about(view, TeardownScreen(view, preview))
        if not ok:
            return
        result = await self.app.ask(TeardownReply, req.Teardown(id=view.id, actor=self.app.source.actor()))
        if result is not None:
            kept = f"; work archived at {result.archive_ref}" if result.archive_ref else ""
            self.app.notify(f"tore down {view.id} ({result.classification}){kept}", title="Teardown", markup=False)

    # -- views ---------------------------------------------------------------------------------

    def action_diff(self) -> None:
        from cockpit.ui.screens.diff import DiffScreen

        view = self._target()
        if view is not None:
            self.app.push_screen(DiffScreen(view))

    def action_receipts(self) -> None:
        from cockpit.ui.screens.receipts import ReceiptsScreen

        self.app.push_screen(ReceiptsScreen())

    def action_inbox(self) -> None:
        from cockpit.ui.screens.inbox import InboxScreen

        self.app.push_screen(InboxScreen())

    def action_hosts(self) -> None:
        from cockpit.ui.screens.hosts import HostsScreen

        self.app.push_screen(HostsScreen())

    def action_worker_receipts(self) -> None:
        from cockpit.ui.screens.receipts import ReceiptsScreen

        view = self._target()
        if view is not None:
            self.app.push_screen(ReceiptsScreen(dispatch=view.id, seq=view.created_seq))

    def action_help(self) -> None:
        from cockpit.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_quit(self) -> None:
        self.app.exit(0)
