"""What the TUI knows about the workers, folded from `status` and the event stream (pure:
no Textual), and the moments worth telling the operator about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cockpit.protocol.views import DispatchView
from cockpit.ui.format import LIVE


@dataclass(frozen=True)
class Alert:
    message: str
    title: str
    severity: str = "information"  # information | warning | error
    bell: bool = True
    dispatch: str = ""  # whose news it is: a newer alert for the same worker replaces it
    holds: tuple[Literal["state", "review"], str] | None = (
        None  # (field, value) it announces: once the view says otherwise it goes
    )


def still_true(alert: Alert, view: DispatchView | None) -> bool:
    """Whether what `alert` announced still holds for the worker's latest view."""
    if view is None:
        return False
    if alert.holds is None:
        return True
    field, value = alert.holds
    return (view.state if field == "state" else view.review) == value


def _label(view: DispatchView) -> str:
    title = view.title
    return f"{view.id} ({title[:40]}{'…' if len(title) > 40 else ''})"


def alerts_for(before: DispatchView | None, after: DispatchView) -> list[Alert]:
    """Alerts for one worker's change: it started waiting, its gates finished, it can be promoted."""
    if before is None:
        return []
    out: list[Alert] = []
    if after.state == "waiting" and before.state != "waiting":
        out.append(
            Alert(
                f"{_label(after)} is waiting for input (y / shift+y answers, enter attaches)",
                "Worker waiting",
                "warning",
                dispatch=after.id,
                holds=("state", "waiting"),
            )
        )
    was, now = before.review, after.review
    if was == "gating" and now != "gating":
        if now == "awaiting_approval":
            out.append(
                Alert(
                    f"{_label(after)}: gates passed; a promotion is ready (a approves)",
                    "Promotion ready",
                    dispatch=after.id,
                    holds=("review", "awaiting_approval"),
                )
            )
        elif now == "changes_requested":
            out.append(
                Alert(
                    f"{_label(after)}: gates finished with changes requested",
                    "Gates finished",
                    "warning",
                    dispatch=after.id,
                    holds=("review", "changes_requested"),
                )
            )
        else:
            out.append(
                Alert(
                    f"{_label(after)}: gate run finished ({now})",
                    "Gates finished",
                    dispatch=after.id,
                    holds=("review", str(now)),
                )
            )
    elif now == "awaiting_approval" and was not in ("awaiting_approval", "gating"):
        out.append(
            Alert(
                f"{_label(after)}: a promotion is ready (a approves)",
                "Promotion ready",
                dispatch=after.id,
                holds=("review", "awaiting_approval"),
            )
        )
    return out


class Board:
    """The workers in creation order, keyed by id; torn-down ones leave the board."""

    def __init__(self) -> None:
        self.views: dict[str, DispatchView] = {}

    def load(self, views: list[DispatchView]) -> list[Alert]:
        """A full `status` answer (at start, or after falling behind)."""
        alerts: list[Alert] = []
        fresh: dict[str, DispatchView] = {}
        for view in sorted(views, key=lambda v: (v.created_seq, v.id)):
            if view.teardown:
                continue
            alerts += alerts_for(self.views.get(view.id), view)
            fresh[view.id] = view
        self.views = fresh
        return alerts

    def apply(self, view: DispatchView) -> list[Alert]:
        """One `dispatch` event (or a request's reply carrying a view)."""
        before = self.views.get(view.id)
        if before is not None and (view.as_of_seq or 0) < (before.as_of_seq or 0):
            return []  # older than what the board shows (a late reply): it would take the row back in time
        if view.teardown:
            self.views.pop(view.id, None)
            return []
        if before is None:
            self.views[view.id] = view
            if any(v.created_seq > view.created_seq for v in self.views.values()):
                self.views = dict(sorted(self.views.items(), key=lambda kv: (kv[1].created_seq, kv[0])))
            return []
        self.views[view.id] = view
        return alerts_for(before, view)

    def ordered(self) -> list[DispatchView]:
        return list(self.views.values())

    def get(self, dispatch_id: str | None) -> DispatchView | None:
        return self.views.get(dispatch_id) if dispatch_id else None

    @property
    def waiting(self) -> int:
        return sum(1 for v in self.views.values() if v.state == "waiting")

    @property
    def any_live(self) -> bool:
        return any(v.live or v.state in LIVE for v in self.views.values())
