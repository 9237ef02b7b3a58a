"""One row per worker, updated in place: only cells whose text changed are touched.

Every column has a fixed width that this table computes (the widest cell or its label), and a
change of width rebuilds the table. Textual's auto-width columns widen only on the table's idle
pass and its cell cache ignores the width, so a screen painted in between kept a grown cell cut
for good (a row stuck at `✓1/1 a` instead of `✓1/1 approve?`).

The HOST column (`local` or the SSH host's name) is there only while a row runs on a host:
a repository that uses no hosts keeps its width for titles, at 80 columns too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from cockpit.domain.dispatch import WorkerState
from cockpit.protocol.views import DispatchView
from cockpit.ui import format as fmt
from cockpit.ui.palette import styled

Columns = tuple[tuple[str, str, int], ...]  # (key, label, nominal width)
WIDE: Columns = (
    ("state", "STATE", 11),
    ("id", "ID", 10),
    ("title", "TITLE", 0),
    ("provider", "AGENT", 8),
    ("host", "HOST", 6),
    ("elapsed", "TIME", 6),
    ("tokens", "TOKENS", 6),
    ("cost", "COST", 6),
    ("gates", "GATES", 13),
    ("diff", "DIFF", 9),
)
# Below WIDE_MIN columns the id moves to the pane's title and tokens and cost share a column.
COMPACT: Columns = (
    ("state", "STATE", 10),
    ("title", "TITLE", 0),
    ("provider", "AGENT", 7),
    ("host", "HOST", 6),
    ("elapsed", "TIME", 6),
    ("usage", "USAGE", 11),
    ("gates", "GATES", 8),
    ("diff", "DIFF", 8),
)
WIDE_MIN = 110
HOST_MAX = (12, 8)  # wide, compact: a longer host name is cut with an ellipsis (the hosts view has it whole)


class WorkersTable(DataTable):
    class Selected(Message):
        """The highlighted worker changed (None: the list is empty)."""

        def __init__(self, dispatch_id: str | None) -> None:
            super().__init__()
            self.dispatch_id = dispatch_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, show_row_labels=False, cell_padding=0)
        self._cells: dict[str, dict[str, str]] = {}  # what each row shows, to skip unchanged cells
        self._order: list[str] = []
        self._selected: str | None = None
        self.columns_spec: Columns = ()
        self._widths: dict[str, int] = {}  # each column's width as built
        self._ticked: datetime | None = None  # the last tick that looked at the rows...
        self._turns: datetime | None = None  # ...and when a time it showed turns to its next minute
        self.on_views: Callable[[], None] | None = None  # re-syncs the rows after a layout change

    def _layout(self, views: list[DispatchView]) -> bool:
        """Pick the column set for the current width and rows; True when it changed."""
        spec = WIDE if (self.size.width or 0) >= WIDE_MIN else COMPACT
        if all(fmt.host_of(view) == fmt.LOCAL for view in views):
            spec = tuple(column for column in spec if column[0] != "host")
        if spec == self.columns_spec:
            return False
        self.columns_spec = spec
        return True

    def _reset_columns(self, widths: dict[str, int]) -> None:
        self.clear(columns=True)
        self._widths = widths
        for key, label, _width in self.columns_spec:
            self.add_column(label + " ", key=key, width=widths[key])

    def widths_of(self, rows: dict[str, dict[str, Text]]) -> dict[str, int]:
        """Each column's width: its widest cell, or its label and a gap."""
        return {
            key: max([len(label) + 1] + [cells[key].cell_len for cells in rows.values()]) for key, label, _w in self.columns_spec
        }

    def on_resize(self) -> None:
        if self.on_views is not None:  # the columns for the new width are picked as the rows are drawn
            self.on_views()

    # -- data -------------------------------------------------------------------------

    def row_cells(self, views: list[DispatchView], now: datetime) -> dict[str, dict[str, Text]]:
        """Every row's cells, titles cut to the width the other columns leave."""
        rows = {view.id: self.cells(view, now) for view in views}
        others = sum(
            max([len(label) + 1] + [r[key].cell_len for r in rows.values()])
            for key, label, _width in self.columns_spec
            if key != "title"
        )
        width = max(12, (self.size.width or 80) - others - 2)
        for cells in rows.values():
            title = cells["title"]
            title.truncate(width - 1, overflow="ellipsis")
            title.append(" ")
        return rows

    def cells(self, view: DispatchView, now: datetime) -> dict[str, Text]:
        glyph, word, colour = fmt.state_of(view, now)
        waiting = view.state == "waiting"
        gates, gate_colour = fmt.gate_summary(view)
        title = view.title
        app = self.app
        tokens, cost = fmt.fmt_tokens(view.tokens), fmt.fmt_cost(view.cost_usd)
        host = fmt.host_of(view)
        host_text = Text(host, no_wrap=True, end="")
        compact = all(key != "id" for key, _label, _width in self.columns_spec)  # the id is in the pane's title
        host_text.truncate(HOST_MAX[compact], overflow="ellipsis")
        values = {
            "state": styled(app, f"{glyph} {word}", colour, bold=waiting, reverse=waiting),
            "id": styled(app, view.id, "foreground-muted"),
            "title": styled(app, title, "warning" if waiting else "foreground", bold=waiting),
            "provider": styled(app, view.provider or "-", "foreground"),
            "host": styled(app, host_text.plain, "foreground-muted" if host == fmt.LOCAL else "foreground"),
            "elapsed": styled(app, fmt.fmt_elapsed(fmt.elapsed_s(view, now)), "foreground"),
            "tokens": styled(app, tokens, "foreground"),
            "cost": styled(app, cost, "foreground"),
            "usage": styled(app, tokens if cost == "-" else f"{tokens} {cost}", "foreground"),
            "gates": styled(app, gates, gate_colour),
            "diff": styled(app, fmt.fmt_diff(view), "foreground"),
        }
        for key, cell in values.items():
            if key != "title":
                cell.append(" ")  # the gap between columns (cell padding is 0 to save width)
        return {key: values[key] for key, _label, _width in self.columns_spec}

    def sync(self, views: list[DispatchView], now: datetime, *, rebuild: bool = False) -> None:
        """Make the rows show `views` (in order), touching only what changed."""
        self._turns = None  # the views may have changed: the next tick looks at every row
        rebuild = self._layout(views) or rebuild
        ids = [v.id for v in views]
        if rebuild or ids[: len(self._order)] != self._order[: len(ids)] or not set(self._order) <= set(ids):
            self._rebuild(views, now)
            return
        rows = self.row_cells(views, now)
        if self.widths_of(rows) != self._widths:  # a column grows or shrinks: draw it anew
            self._rebuild(views, now, rows)
            return
        for row_id, cells in rows.items():
            if row_id not in self._cells:
                self.add_row(*cells.values(), key=row_id)
                self._order.append(row_id)
                self._cells[row_id] = {k: c.plain + str(c.style) for k, c in cells.items()}
                continue
            known = self._cells[row_id]
            for key, cell in cells.items():
                stamp = cell.plain + str(cell.style)
                if known.get(key) != stamp:
                    known[key] = stamp
                    self.update_cell(row_id, key, cell)
        self._announce()

    def _rebuild(self, views: list[DispatchView], now: datetime, rows: dict[str, dict[str, Text]] | None = None) -> None:
        keep = self._selected
        rows = self.row_cells(views, now) if rows is None else rows
        self._reset_columns(self.widths_of(rows))
        self._cells.clear()
        self._order = []
        for row_id, cells in rows.items():
            self.add_row(*cells.values(), key=row_id)
            self._order.append(row_id)
            self._cells[row_id] = {k: c.plain + str(c.style) for k, c in cells.items()}
        if keep in self._order:
            self.move_cursor(row=self._order.index(keep), animate=False)
        self._announce()

    def tick(self, views: list[DispatchView], now: datetime) -> None:
        """Refresh what time changes for live workers: elapsed, and how long a silent one was quiet.
        Those are shown to the minute, so a tick before the next one turns does nothing (the
        per-second work was most of an idle TUI's CPU); a sync looks again."""
        if self._ticked is not None and self._turns is not None and self._ticked <= now < self._turns:
            return
        self._ticked, self._turns = now, _next_turn(views, now)
        changes: list[tuple[str, str, Text]] = []
        for view in views:
            if view.state in fmt.LIVE and view.id in self._cells:
                if view.quiet_since_ts and "state" in self._cells[view.id]:
                    glyph, word, colour = fmt.state_of(view, now)
                    changes.append((view.id, "state", styled(self.app, f"{glyph} {word} ", colour)))
                cell = styled(self.app, fmt.fmt_elapsed(fmt.elapsed_s(view, now)) + " ", "foreground")
                changes.append((view.id, "elapsed", cell))
        changes = [c for c in changes if self._cells[c[0]].get(c[1]) != c[2].plain + str(c[2].style)]
        if any(cell.cell_len > self._widths.get(key, 0) for _id, key, cell in changes):
            self.sync(views, now)  # a wider cell than its column: the widths change, the table is redrawn
            return
        for row_id, key, cell in changes:
            self._cells[row_id][key] = cell.plain + str(cell.style)
            self.update_cell(row_id, key, cell)

    # -- selection --------------------------------------------------------------------

    @property
    def selected_id(self) -> str | None:
        if not self._order or not 0 <= self.cursor_row < len(self._order):
            return None
        return self._order[self.cursor_row]

    def select(self, dispatch_id: str) -> None:
        if dispatch_id in self._order:
            self.move_cursor(row=self._order.index(dispatch_id), animate=False)

    def _announce(self) -> None:
        current = self.selected_id
        if current != self._selected:
            self._selected = current
            self.post_message(self.Selected(current))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Enter belongs to the screen (attach), not to the table's own "select".
        return False if action == "select_cursor" else super().check_action(action, parameters)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._announce()


def _next_turn(views: list[DispatchView], now: datetime) -> datetime | None:
    """When the first elapsed or quiet time of a live worker reaches its next whole minute."""
    waits = []
    for view in views:
        if view.state not in fmt.LIVE:
            continue
        elapsed = fmt.elapsed_s(view, now)
        if elapsed is not None and not view.paused_ts:
            waits.append(60 - elapsed % 60)
        since = fmt.parse_ts(view.quiet_since_ts) if view.state == WorkerState.WORKING else None
        if since is not None:
            waits.append(60 - (now - since).total_seconds() % 60)
    return now + timedelta(seconds=min(waits)) if waits else None
