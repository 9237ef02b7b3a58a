"""The selected worker's gates: each gate's state, its summary and its findings."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from cockpit.protocol.replies import ReviewReply
from cockpit.protocol.views import DispatchView
from cockpit.ui import format as fmt
from cockpit.ui.palette import color

MAX_FINDINGS = 20


def finding_colour(severity: str) -> str:
    """Finding.severity is blocking or advisory: a blocking finding is an error, the rest warnings."""
    return "error" if severity == "blocking" else "warning"


def gates_text(
    app: App, view: DispatchView | None, review: ReviewReply | None, running: list[str] | tuple[str, ...] = ()
) -> Text:
    """What the panel shows; `review` (the supervisor's review op) wins over the stored rows;
    `running` names the gates started from here that have not finished yet."""
    text = Text(no_wrap=False, end="")
    if view is None:
        text.append("no worker selected", style=Style(color=color(app, "foreground-muted"), italic=True))
        return text
    gates = [fmt.GateLine.of_review(g) for g in review.gates] if review is not None else fmt.gate_rows(view)
    if running:
        gates = [fmt.GateLine(name, "running", "running now") for name in running] + [g for g in gates if g.name not in running]
    if not gates:
        text.append("no gates have run", style=Style(color=color(app, "foreground-muted"), italic=True))
        text.append("  (g runs them)\n", style=Style(color=color(app, "foreground-muted")))
    for gate in gates:
        status = gate.status or "not_run"
        mark, colour = fmt.GATE_MARKS.get(status, ("?", "foreground"))
        text.append(f"{mark} {status:<8}", style=Style(color=color(app, colour), bold=True))
        text.append(f" {gate.name or '?'}", style=Style(bold=True))
        if not gate.required:
            text.append(" (optional)", style=Style(color=color(app, "foreground-muted")))
        if gate.summary:
            text.append(f"  {gate.summary}")
        text.append("\n")
        findings = gate.findings
        for finding in findings[:MAX_FINDINGS]:
            severity = finding.severity
            where = finding.file or ""
            if where and finding.line:
                where += f":{finding.line}"
            sev_colour = finding_colour(severity)
            text.append(f"    {severity:<7}", style=Style(color=color(app, sev_colour)))
            text.append(f" {where} " if where else " ", style=Style(color=color(app, "secondary")))
            text.append(f"{finding.message}\n")
        if len(findings) > MAX_FINDINGS:
            text.append(f"    … {len(findings) - MAX_FINDINGS} more\n", style=Style(color=color(app, "foreground-muted")))
    if review is not None and not running:
        if review.can_approve:
            text.append("ready to approve", style=Style(color=color(app, "success"), bold=True))
            if review.target:
                text.append(f" into {review.target}")
            text.append("\n")
        else:
            for blocker in review.blockers:
                text.append("blocked: ", style=Style(color=color(app, "error"), bold=True))
                text.append(f"{blocker}\n")
    return text


class GatesPanel(VerticalScroll):
    DEFAULT_CSS = """
    GatesPanel { height: 1fr; }
    GatesPanel > Static { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="gates-body")

    def show(self, view: DispatchView | None, review: ReviewReply | None, running: list[str] | tuple[str, ...] = ()) -> None:
        self.query_one("#gates-body", Static).update(gates_text(self.app, view, review, running))
