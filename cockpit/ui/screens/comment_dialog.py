"""Asking for a review comment's text (the diff view's `c`)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input

from cockpit.ui.screens.dialogs import Dialog


class CommentScreen(Dialog):
    def __init__(self, dispatch_id: str, anchor: str) -> None:
        super().__init__()
        self.title_text = f"Comment on {anchor} of {dispatch_id} (S in the diff sends the comments to the agent)"

    def body(self) -> ComposeResult:
        yield Input(placeholder="what should change here", id="comment-text")

    def buttons(self) -> ComposeResult:
        yield Button("Comment", id="confirm", variant="primary")
        yield Button("Cancel (esc)", id="cancel")

    @on(Input.Submitted, "#comment-text")
    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        value = self.query_one("#comment-text", Input).value
        if value.strip():
            self.dismiss(value)
