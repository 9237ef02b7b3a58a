"""The selected worker's gates: each gate's state, its summary and its findings."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from cockpit.ui import format as fmt
from cockpit.ui.palette import color

MAX_FINDINGS = 20


def finding_colour(severity: str) -> str:
    """Finding.severity is blocking or advisory: a blocking finding is an error, the rest warnings."""
    return "error" if severity == "blocking" else "warning"


def gates_text(
    app: App, view: dict[str, Any] | None, review: dict[str, Any] | None, running: list[str] | tuple[str, ...] = ()
) -> Text:
    """What the panel shows; `review` (the supervisor's review op) wins over the stored rows;
    `running` names the gates started from here that have not finished yet."""
    text = Text(no_wrap=False, end="")
    if view is None:
        text.append("no worker selected", style=Style(color=color(app, "foreground-muted"), italic=True))
        return text
    gates = (review or {}).get("gates")
    if gates is None:
        gates = fmt.gate_rows(view)
    if running:
        gates = [{"name": name, "status": "running", "summary": "running now"} for name in running] + [
            g for g in gates if str(g.get("name") or g.get("gate")) not in running
        ]
    if not gates:
        text.append("no gates have run", style=Style(color=color(app, "foreground-muted"), italic=True))
        text.append("  (g runs them)\n", style=Style(color=color(app, "foreground-muted")))
    for gate in gates:
        status = str(gate.get("status") or "not_run")
        mark, colour = fmt.GATE_MARKS.get(status, ("?", "foreground"))
        text.append(f"{mark} {status:<8}", style=Style(color=color(app, colour), bold=True))
        name = str(gate.get("name") or gate.get("gate") or "?")
        text.append(f" {name}", style=Style(bold=True))
        if gate.get("required") is False:
            text.append(" (optional)", style=Style(color=color(app, "foreground-muted")))
        if gate.get("summary"):
            text.append(f"  {gate['summary']}")
        text.append("\n")
        findings = gate.get("findings") or []
        if isinstance(findings, str):
            findings = fmt.gate_rows({"gates": [gate]})[0]["findings"]
        for finding in findings[:MAX_FINDINGS]:
            severity = str(finding.get("severity") or "note")
            where = finding.get("file") or ""
            if where and finding.get("line"):
                where += f":{finding['line']}"
            sev_colour = finding_colour(severity)
            text.append(f"    {severity:<7}", style=Style(color=color(app, sev_colour)))
            text.append(f" {where} " if where else " ", style=Style(color=color(app, "secondary")))
            text.append(f"{finding.get('message') or ''}\n")
        if len(findings) > MAX_FINDINGS:
            text.append(f"    … {len(findings) - MAX_FINDINGS} more\n", style=Style(color=color(app, "foreground-muted")))
    if review is not None and not running:
        if review.get("can_approve"):
            text.append("ready to approve", style=Style(color=color(app, "success"), bold=True))
            if review.get("target"):
                text.append(f" into {review['target']}")
            text.append("\n")
        else:
            for blocker in review.get("blockers") or []:
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

    def show(self, view: dict[str, Any] | None, review: dict[str, Any] | None, running: list[str] | tuple[str, ...] = ()) -> None:
        self.query_one("#gates-body", Static).update(gates_text(self.app, view, review, running))
