"""The diff of a worker: its files on the left, the highlighted unified diff on the right,
with a line cursor: `c` comments on the selected lines, `S` sends the comments to the agent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.protocol import requests as req
from cockpit.protocol.replies import CommentReply, CommentsReply, CommentsSendReply, DiffReply, ListedComment
from cockpit.protocol.views import DispatchView
from cockpit.ui.diff_comments import RowRef, anchor_of, anchor_text, comment_rows, place_comments, row_refs
from cockpit.ui.diff_render import DiffColours, render_file, split_patch
from cockpit.ui.keys import diff_bindings
from cockpit.ui.lifecycle import gone
from cockpit.ui.palette import color, tint
from cockpit.ui.screens.comment_dialog import CommentScreen
from cockpit.ui.widgets.diff_body import DiffBody
from cockpit.ui.widgets.footer import CockpitFooter
from cockpit.ui.widgets.strip_view import text_to_strip

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp


class DiffScreen(Screen[None]):
    CSS_PATH = "diff.tcss"
    is_diff_view = True  # the palette offers the diff view's keys here
    BINDINGS = [
        Binding("escape,q,d", "app.pop_screen", "back"),
        Binding("tab", "switch", "files/diff", show=True),
        *diff_bindings(),
    ]

    if TYPE_CHECKING:
        app: CockpitApp  # the screen runs only inside CockpitApp

    def __init__(self, view: DispatchView) -> None:
        super().__init__()
        self.view = view
        self.section_starts: dict[str, int] = {}
        self.rows: list[tuple[Text, RowRef]] = []  # the diff's rows, without comments
        self.comments: list[ListedComment] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(f" diff of {self.view.id}: {self.view.title} (loading…)", no_wrap=True), id="diff-title")
        with Horizontal():
            yield OptionList(id="diff-files")
            yield DiffBody(id="diff-body")
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.query_one("#diff-files").border_title = "files"
        self.query_one("#diff-body").border_title = "unified diff"
        self.load()

    def colours(self) -> DiffColours:
        app = self.app
        return DiffColours(
            added_bg=tint(app, "success", 0.18),
            removed_bg=tint(app, "error", 0.18),
            added_fg=color(app, "success"),
            removed_fg=color(app, "error"),
            hunk=color(app, "secondary"),
            muted=color(app, "foreground-muted"),
            syntax=app.syntax_style(),
        )

    @work(exclusive=True)
    async def load(self) -> None:
        diff = await self.app.ask(DiffReply, req.Diff(id=self.view.id))
        if gone(self):  # closed, or the app quits, while the diff was on its way
            return
        title = self.query_one("#diff-title", Static)
        if diff is None:
            title.update(Text(f" diff of {self.view.id}: not available", no_wrap=True))
            return
        self.show(diff)
        await self.load_comments()

    async def load_comments(self) -> None:
        listed = await self.app.ask(CommentsReply, req.Comments(id=self.view.id))
        if listed is not None and not gone(self):
            self.comments = listed.comments
            self.draw_rows()

    def show(self, diff: DiffReply) -> None:
        files = diff.files
        head = Text(no_wrap=True, overflow="ellipsis", end="")
        head.append(f" diff of {self.view.id}: {self.view.title}   ")
        head.append(f"{len(files)} file(s) ", style="bold")
        head.append(f"+{diff.added}", style=color(self.app, "success"))
        head.append(f" -{diff.removed}", style=color(self.app, "error"))
        if diff.truncated:
            head.append("   (patch truncated)", style=color(self.app, "warning"))
        self.query_one("#diff-title", Static).update(head)
        options = self.query_one("#diff-files", OptionList)
        options.clear_options()
        for entry in files:
            label = Text(no_wrap=True, overflow="ellipsis", end="")
            label.append(f"{entry.status:<2}", style="bold")
            label.append(f"{entry.path} ")
            if entry.binary:
                label.append("binary", style=color(self.app, "foreground-muted"))
            else:
                label.append(f"+{entry.added}", style=color(self.app, "success"))
                label.append(f" -{entry.removed}", style=color(self.app, "error"))
            options.add_option(Option(label, id=entry.path))
        colours = self.colours()
        self.rows = []
        for section in split_patch(diff.patch or ""):
            self.rows.extend(zip(render_file(section, colours), row_refs(section), strict=True))
        self.draw_rows()
        if files:
            options.highlighted = 0
            options.focus()

    @on(OptionList.OptionHighlighted, "#diff-files")
    @on(OptionList.OptionSelected, "#diff-files")
    def _jump(self, event: OptionList.OptionHighlighted | OptionList.OptionSelected) -> None:
        start = self.section_starts.get(str(event.option.id))
        if start is not None:
            body = self.query_one("#diff-body", DiffBody)
            body.scroll_to(y=start, animate=False)
            body.cursor, body.mark = start, None

    def action_switch(self) -> None:
        files, body = self.query_one("#diff-files"), self.query_one("#diff-body")
        (body if files.has_focus else files).focus()

    # -- review comments --------------------------------------------------------------------

    def draw_rows(self) -> None:
        """The diff's rows with each comment's rows under the line it belongs to."""
        console = self.app.console
        accent, muted = color(self.app, "accent"), color(self.app, "foreground-muted")
        placed = place_comments([ref for _, ref in self.rows], self.comments)
        strips: list[Strip] = []
        refs: list[RowRef] = []
        self.section_starts = {}
        for i, (text, ref) in enumerate(self.rows):
            self.section_starts.setdefault(ref.path, len(strips))
            strips.append(text_to_strip(text, console))
            refs.append(ref)
            for comment in placed.get(i, []):
                for row in comment_rows(comment, accent=accent, muted=muted):
                    strips.append(text_to_strip(row, console))
                    refs.append(RowRef(ref.path, None, comment.comment))
        if not strips:
            strips, refs = [text_to_strip(Text("no changes", style="italic"), console)], [RowRef("")]
        self.query_one("#diff-body", DiffBody).set_rows(strips, refs)

    def action_comment(self) -> None:
        body = self.query_one("#diff-body", DiffBody)
        lo, hi = body.selection()
        found = anchor_of(body.refs, lo, hi)
        if isinstance(found, str):
            self.app.notify(found, title="Comment", severity="warning")
            return
        anchor = anchor_text(*found)
        app = self.app

        async def save(text: str | None) -> None:
            if not text:
                return
            made = await app.ask(CommentReply, req.Comment(id=self.view.id, anchor=anchor, text=text, actor=app.source.actor()))
            if made is not None:
                body.mark = None
                self.app.notify(f"{made.comment} on {anchor}", title="Commented")
                await self.load_comments()

        self.app.push_screen(CommentScreen(self.view.id, anchor), save)

    @work(exclusive=True, group="send-comments")
    async def action_send_comments(self) -> None:
        app = self.app
        sent = await app.ask(CommentsSendReply, req.CommentsSend(id=self.view.id, actor=app.source.actor()))
        if sent is not None:
            self.app.notify(f"{', '.join(sent.comments)} sent to {sent.id}: {sent.how}", title="Comments sent", markup=False)
            await self.load_comments()
