"""Confirmations and small forms. Each says what will happen before it happens; each
dismisses with its answer (None / False when cancelled)."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from cockpit.protocol.replies import ReviewReply, TeardownPreview
from cockpit.protocol.views import DispatchView
from cockpit.ui.palette import color
from cockpit.ui.widgets.gates_panel import gates_text

CLASSIFICATIONS = {
    "clean": "nothing beyond its base: the worktree and branch are removed; there is nothing to archive.",
    "merged": "its commits are already in the target: the worktree and branch are removed; nothing is lost.",
    "committed": "it has commits that are not in the target: they are archived first, then the worktree and branch are removed.",
    "dirty": "it has uncommitted changes: they are committed into the archive first, then the worktree and branch are removed.",
}


CHROME_ROWS = 8  # border 2, title 1 + its gap 1, buttons 3 + their gap 1


class Dialog(ModalScreen[Any]):
    """A centred box: a title, a scrolling body and a row of buttons."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "cancel"),
        Binding("up", "scroll_body(-1)", show=False),
        Binding("down", "scroll_body(1)", show=False),
        Binding("pageup", "scroll_body(-10)", show=False),
        Binding("pagedown", "scroll_body(10)", show=False),
    ]
    AUTO_FOCUS = "Input, #cancel"  # type first where there is something to type; never confirm by accident
    title_text = ""

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.cursor_blink = False
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Give the body what the screen leaves once the title and buttons are placed, so the
        buttons never fall off a small terminal: a long body scrolls instead. The chrome is
        fixed (a one-line title, a row of buttons, borders), so this depends on the size alone."""
        self.query_one("#dialog-body").styles.max_height = max(3, self.size.height - CHROME_ROWS)

    def body(self) -> ComposeResult:
        yield from ()

    def buttons(self) -> ComposeResult:
        yield Button("Cancel (esc)", id="cancel")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title", markup=False)
            with VerticalScroll(id="dialog-body"):
                yield from self.body()
            with Horizontal(id="dialog-buttons"):
                yield from self.buttons()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_scroll_body(self, rows: int) -> None:
        body = self.query_one("#dialog-body")
        body.scroll_to(y=body.scroll_y + rows, animate=False)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(Dialog):
    BINDINGS = [Binding("y", "confirm", "confirm")]

    def __init__(self, title: str, text: str, verb: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.verb = verb

    def body(self) -> ComposeResult:
        yield Static(Text(self.text), classes="dialog-text")

    def buttons(self) -> ComposeResult:
        yield Button(f"{self.verb.capitalize()} (y)", id="confirm", variant="error")
        yield Button("Cancel (esc)", id="cancel")

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)


class ApproveScreen(Dialog):
    BINDINGS = [Binding("y", "confirm", "approve")]

    def __init__(self, view: DispatchView, review: ReviewReply) -> None:
        super().__init__()
        self.view = view
        self.review = review
        self.allowed = review.can_approve
        self.title_text = f"Approve {view.id}: {view.title}" if self.allowed else f"Cannot approve {view.id} yet"

    def body(self) -> ComposeResult:
        app = self.app
        text = Text(end="")
        if not self.allowed:
            text.append("Why not:\n", style=Style(bold=True, color=color(app, "error")))
            for blocker in self.review.blockers or ["the supervisor gave no reason"]:
                text.append(f"  • {blocker}\n")
            text.append("\n")
        text.append("Gates\n", style=Style(bold=True))
        text.append_text(gates_text(app, self.view, self.review.model_copy(update={"blockers": [], "can_approve": False})))
        diff = self.review.diff
        files = diff.files
        text.append(f"\nDiff: {len(files)} file(s), +{diff.added} -{diff.removed}\n", style=Style(bold=True))
        for entry in files[:8]:
            text.append(f"  {entry.status:<2} {entry.path}  ", style=Style())
            text.append(f"+{entry.added}", style=Style(color=color(app, "success")))
            text.append(f" -{entry.removed}\n", style=Style(color=color(app, "error")))
        if len(files) > 8:
            text.append(f"  … {len(files) - 8} more (d shows them all)\n")
        if self.allowed:
            text.append("\nWhat will happen\n", style=Style(bold=True))
            text.append((self.review.will or f"merge into {self.review.target}") + "\n")
        yield Static(text, classes="dialog-text")

    def buttons(self) -> ComposeResult:
        if self.allowed:
            yield Button("Approve (y)", id="confirm", variant="success")
            yield Button("Cancel (esc)", id="cancel")
        else:
            yield Button("Close (esc)", id="cancel")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.allowed if action == "confirm" else True

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        if self.allowed:
            self.dismiss(True)


class TeardownScreen(Dialog):
    BINDINGS = [Binding("y", "confirm", "tear down")]

    def __init__(self, view: DispatchView, preview: TeardownPreview) -> None:
        super().__init__()
        self.view = view
        self.preview = preview
        self.title_text = f"Tear down {view.id}: {view.title}"

    def body(self) -> ComposeResult:
        app, p = self.app, self.preview
        kind = p.classification or "?"
        text = Text(end="")
        text.append("Classification: ", style=Style(bold=True))
        colour = {"clean": "success", "merged": "success", "committed": "warning", "dirty": "warning"}.get(kind, "error")
        text.append(f"{kind}\n", style=Style(bold=True, color=color(app, colour)))
        text.append(CLASSIFICATIONS.get(kind, "") + "\n\n")
        text.append(f"  commits ahead of the target: {p.commits_ahead or 0}\n")
        text.append(f"  changed files: {p.changed or 0}   untracked files: {p.untracked or 0}\n")
        if p.will_archive:
            text.append("\nWill be archived at ", style=Style(bold=True))
            text.append(f"{p.archive_ref}\n", style=Style(color=color(app, "accent")))
            text.append(f"  (`cockpit restore {self.view.id}` brings it back)\n")
        else:
            text.append("\nNothing needs archiving.\n")
        ignored = p.ignored or []
        if ignored:
            text.append(
                f"\n{len(ignored)} ignored file(s) are NOT archived:\n", style=Style(bold=True, color=color(app, "warning"))
            )
            for name in ignored[:10]:
                text.append(f"  {name}\n")
        if p.live:
            text.append("\nThe worker is still running: it is killed first.\n", style=Style(bold=True, color=color(app, "error")))
        yield Static(text, classes="dialog-text")

    def buttons(self) -> ComposeResult:
        yield Button("Tear down (y)", id="confirm", variant="warning")
        yield Button("Cancel (esc)", id="cancel")

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)


class RejectScreen(Dialog):
    def __init__(self, view: DispatchView) -> None:
        super().__init__()
        self.view = view
        self.title_text = f"Reject {view.id}: {view.title}"

    def body(self) -> ComposeResult:
        yield Label("Reason (recorded in the ledger):")
        yield Input(placeholder="what is wrong", id="reason")
        yield Checkbox("Send it back to the worker with this reason", value=False, id="send-back")

    def buttons(self) -> ComposeResult:
        yield Button("Reject", id="confirm", variant="error")
        yield Button("Cancel (esc)", id="cancel")

    @on(Input.Submitted, "#reason")
    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.notify("give a reason", severity="warning")
            return
        self.dismiss((reason, self.query_one("#send-back", Checkbox).value))


class SendTextScreen(Dialog):
    def __init__(
        self, view: DispatchView, *, title: str | None = None, placeholder: str | None = None, confirm: str = "Send"
    ) -> None:
        super().__init__()
        self.title_text = title or f"Send text to {view.id} (Enter is pressed after it)"
        self.placeholder = placeholder or "text to type into the worker"
        self.confirm_label = confirm

    def body(self) -> ComposeResult:
        yield Input(placeholder=self.placeholder, id="text")

    def buttons(self) -> ComposeResult:
        yield Button(self.confirm_label, id="confirm", variant="primary")
        yield Button("Cancel (esc)", id="cancel")

    @on(Input.Submitted, "#text")
    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        value = self.query_one("#text", Input).value
        if value:
            self.dismiss(value)
