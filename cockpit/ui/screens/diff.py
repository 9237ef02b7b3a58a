"""The diff of a worker: its files on the left, the highlighted unified diff on the right."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.ui.diff_render import DiffColours, render_file, split_patch
from cockpit.ui.palette import color, tint
from cockpit.ui.widgets.footer import CockpitFooter
from cockpit.ui.widgets.strip_view import StripView, text_to_strip

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp


class DiffScreen(Screen[None]):
    CSS_PATH = "diff.tcss"
    BINDINGS = [Binding("escape,q,d", "app.pop_screen", "back"), Binding("tab", "switch", "files/diff", show=True)]

    if TYPE_CHECKING:
        app: CockpitApp  # the screen runs only inside CockpitApp

    def __init__(self, view: dict[str, Any]) -> None:
        super().__init__()
        self.view = view
        self.section_starts: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield Static(Text(f" diff of {self.view['id']}: {self.view.get('title')} (loading…)", no_wrap=True), id="diff-title")
        with Horizontal():
            yield OptionList(id="diff-files")
            yield StripView(id="diff-body")
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
        diff = await self.app.request("diff", id=self.view["id"])
        title = self.query_one("#diff-title", Static)
        if diff is None:
            title.update(Text(f" diff of {self.view['id']}: not available", no_wrap=True))
            return
        self.show(diff)

    def show(self, diff: dict[str, Any]) -> None:
        files = diff.get("files") or []
        head = Text(no_wrap=True, overflow="ellipsis", end="")
        head.append(f" diff of {self.view['id']}: {self.view.get('title')}   ")
        head.append(f"{len(files)} file(s) ", style="bold")
        head.append(f"+{diff.get('added', 0)}", style=color(self.app, "success"))
        head.append(f" -{diff.get('removed', 0)}", style=color(self.app, "error"))
        if diff.get("truncated"):
            head.append("   (patch truncated)", style=color(self.app, "warning"))
        self.query_one("#diff-title", Static).update(head)
        options = self.query_one("#diff-files", OptionList)
        options.clear_options()
        for entry in files:
            label = Text(no_wrap=True, overflow="ellipsis", end="")
            label.append(f"{entry.get('status', 'M'):<2}", style="bold")
            label.append(f"{entry.get('path')} ")
            if entry.get("binary"):
                label.append("binary", style=color(self.app, "foreground-muted"))
            else:
                label.append(f"+{entry.get('added', 0)}", style=color(self.app, "success"))
                label.append(f" -{entry.get('removed', 0)}", style=color(self.app, "error"))
            options.add_option(Option(label, id=str(entry.get("path"))))
        colours = self.colours()
        console = self.app.console
        strips: list[Strip] = []
        for section in split_patch(diff.get("patch") or ""):
            self.section_starts[section.path] = len(strips)
            strips.extend(text_to_strip(line, console) for line in render_file(section, colours))
        if not strips:
            strips = [text_to_strip(Text("no changes", style="italic"), console)]
        self.query_one("#diff-body", StripView).set_strips(strips)
        if files:
            options.highlighted = 0
            options.focus()

    @on(OptionList.OptionHighlighted, "#diff-files")
    @on(OptionList.OptionSelected, "#diff-files")
    def _jump(self, event: OptionList.OptionHighlighted | OptionList.OptionSelected) -> None:
        start = self.section_starts.get(str(event.option.id))
        if start is not None:
            self.query_one("#diff-body", StripView).scroll_to(y=start, animate=False)

    def action_switch(self) -> None:
        files, body = self.query_one("#diff-files"), self.query_one("#diff-body")
        (body if files.has_focus else files).focus()
