"""The hosts view (`shift+h`): every SSH host of hosts.yaml with its capacity and health, the
selected one in full below. The supervisor probes (the `hosts` request, answered from a
probe of the last few seconds, so opening the view again is cheap); `r` asks it to probe
now. Nothing here runs a process: docs/hosts.md says what a probe looks at."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Static

from cockpit.errors import CockpitError
from cockpit.protocol.errors import is_unknown_op
from cockpit.protocol.replies import HostInfo
from cockpit.ui import format as fmt
from cockpit.ui.host_rows import detail_lines, fmt_clis, fmt_latency, fmt_workers, health_of, last_error, workers_here
from cockpit.ui.keys import hosts_bindings
from cockpit.ui.lifecycle import gone
from cockpit.ui.palette import color, styled
from cockpit.ui.widgets.footer import CockpitFooter

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp

COLUMNS = ("HOST", "HEALTH", "LATENCY", "WORKERS", "LABELS", "LAST ERROR", "CLIS")
ERROR_CELL_MAX = 34  # the whole line is in the details below
NO_HOSTS = "no SSH hosts configured: add them to ~/.config/cockpit/hosts.yaml or .cockpit/hosts.yaml (docs/hosts.md)"


class HostsScreen(Screen[None]):
    CSS_PATH = "hosts.tcss"
    BINDINGS = [*hosts_bindings()]
    AUTO_FOCUS = "#hosts"
    is_hosts_view = True  # the command palette offers this view's keys (commands.py)

    if TYPE_CHECKING:
        app: CockpitApp  # the screen runs only inside CockpitApp

    def __init__(self) -> None:
        super().__init__()
        self.hosts: list[HostInfo] = []
        self.selected: str | None = None
        self.probing = False
        self.problem: str | None = None  # why there is no answer (a bad hosts.yaml, an older supervisor)
        self.answered = 0  # answers shown so far (a test waits on it)

    def compose(self) -> ComposeResult:
        yield Static(id="hosts-title")
        yield DataTable(id="hosts", cursor_type="row", zebra_stripes=False, cell_padding=1)
        yield Static(id="host-detail")
        yield CockpitFooter()

    def on_mount(self) -> None:
        table = self.query_one("#hosts", DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label)
        table.border_title = "hosts"
        self.query_one("#host-detail", Static).border_title = "host"
        self.probe(refresh=False)

    # -- asking the supervisor ---------------------------------------------------------------

    def action_refresh(self) -> None:
        self.probe(refresh=True)

    @work(group="hosts", exclusive=True)
    async def probe(self, refresh: bool) -> None:
        self.probing = True
        self.show_title()
        try:
            rows = await self.app.source.call("hosts", refresh=refresh)
        except CockpitError as exc:
            if gone(self):
                return
            if is_unknown_op(exc):
                self.problem = "this supervisor does not answer `hosts` yet (restart it: `cockpit stop`, then `cockpit`)"
            else:
                self.problem = exc.message + (f" ({exc.hint})" if exc.hint else "")
            self.hosts = []  # an older answer would read as true: the hosts file says otherwise now
            self.probing = False
            self.answered += 1
            self.show_hosts()
            return
        if gone(self):
            return
        self.problem = None
        self.probing = False
        self.hosts = [HostInfo.model_validate(row) for row in rows]
        self.answered += 1
        self.show_hosts()

    # -- drawing -----------------------------------------------------------------------------

    def show_title(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(" hosts ", style=f"bold reverse {color(self.app, 'primary')}")
        if self.probing:
            text.append("  probing…", style=color(self.app, "secondary"))
        elif self.hosts:
            usable = sum(1 for h in self.hosts if h.usable)
            text.append(f"  {usable} of {len(self.hosts)} usable")
            text.append(f"  probed at {probed_at(self.hosts[0].probed_ts)}", style=color(self.app, "foreground-muted"))
        text.append("  r probes again · esc back", style=color(self.app, "foreground-muted"))
        self.query_one("#hosts-title", Static).update(text)

    def show_hosts(self) -> None:
        table = self.query_one("#hosts", DataTable)
        keep = self.selected
        table.clear()
        app = self.app
        for host in self.hosts:
            glyph, word, colour = health_of(host)
            error = last_error(host) or ""
            cut = Text(error, no_wrap=True, end="")
            cut.truncate(ERROR_CELL_MAX, overflow="ellipsis")
            table.add_row(
                styled(app, host.name, "foreground", bold=True),
                styled(app, f"{glyph} {word}", colour),
                Text(fmt_latency(host), justify="right"),
                Text(fmt_workers(host), justify="right"),
                styled(app, ", ".join(host.labels) or "-", "foreground"),
                styled(app, cut.plain or "-", "warning" if error else "foreground-muted"),
                styled(app, fmt_clis(host), "foreground"),
                key=host.name,
            )
        names = [h.name for h in self.hosts]
        if keep in names:
            table.move_cursor(row=names.index(keep), animate=False)
        self.selected = names[table.cursor_row] if names else None
        self.show_title()
        self.show_detail()

    def show_detail(self) -> None:
        panel = self.query_one("#host-detail", Static)
        host = next((h for h in self.hosts if h.name == self.selected), None)
        if host is None:
            message = self.problem or ("…" if self.probing or not self.answered else NO_HOSTS)
            panel.border_title = "host"
            panel.update(Text(message, style=color(self.app, "warning" if self.problem else "foreground")))
            return
        panel.border_title = host.name
        text = Text(end="")
        for i, (label, value, colour) in enumerate(detail_lines(host, workers_here(host, self.app.board.ordered()))):
            if i:
                text.append("\n")
            text.append(f"{label:<10} ", style=color(self.app, "foreground-muted"))
            text.append(value, style=color(self.app, colour))
        panel.update(text)

    def receipts_arrived(self) -> None:
        """The app calls this as the ledger moves: this repository's workers per host follow the
        board at once (the probe's counts wait for the next probe)."""
        self.show_detail()

    @on(DataTable.RowHighlighted, "#hosts")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = str(event.row_key.value) if event.row_key is not None else None
        if name != self.selected:
            self.selected = name
            self.show_detail()


def probed_at(ts: str) -> str:
    """`15:09:20 UTC` from the probe's timestamp (the ledger's clock and format)."""
    moment = fmt.parse_ts(ts)
    return moment.strftime("%H:%M:%S UTC") if moment is not None else ts
