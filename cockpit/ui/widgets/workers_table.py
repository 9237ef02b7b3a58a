"""One row per worker, updated in place: only cells whose text changed are touched."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from cockpit.ui import format as fmt
from cockpit.ui.palette import styled

COLUMNS = (("state", "STATE"), ("id", "ID"), ("title", "TITLE"), ("provider", "AGENT"), ("elapsed", "TIME"),
           ("tokens", "TOKENS"), ("cost", "COST"), ("gates", "GATES"), ("diff", "DIFF"))
FIXED_WIDTH = 10 + 10 + 8 + 7 + 7 + 7 + 12 + 11 + 2 * len(COLUMNS)  # all columns but the title


class WorkersTable(DataTable):
    class Selected(Message):
        """The highlighted worker changed (None: the list is empty)."""

        def __init__(self, dispatch_id: str | None) -> None:
            super().__init__()
            self.dispatch_id = dispatch_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, show_row_labels=False)
        self._cells: dict[str, dict[str, str]] = {}  # what each row shows, to skip unchanged cells
        self._order: list[str] = []
        self._selected: str | None = None

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    # -- data -------------------------------------------------------------------------

    def title_width(self) -> int:
        return max(12, (self.size.width or 80) - FIXED_WIDTH)

    def cells(self, view: dict[str, Any], now: datetime) -> dict[str, Text]:
        glyph, word, colour = fmt.state_of(view)
        waiting = view.get("state") == "waiting"
        gates, gate_colour = fmt.gate_summary(view)
        title = str(view.get("title") or "")
        width = self.title_width()
        if len(title) > width:
            title = title[: width - 1] + "…"
        app = self.app
        return {
            "state": styled(app, f"{glyph} {word}", colour, bold=waiting, reverse=waiting),
            "id": styled(app, str(view["id"]), "foreground-muted"),
            "title": styled(app, title, "warning" if waiting else "foreground", bold=waiting),
            "provider": styled(app, str(view.get("provider") or "-"), "foreground"),
            "elapsed": styled(app, fmt.fmt_elapsed(fmt.elapsed_s(view, now)), "foreground"),
            "tokens": styled(app, fmt.fmt_tokens(view.get("tokens")), "foreground"),
            "cost": styled(app, fmt.fmt_cost(view.get("cost_usd")), "foreground"),
            "gates": styled(app, gates, gate_colour),
            "diff": styled(app, fmt.fmt_diff(view), "foreground"),
        }

    def sync(self, views: list[dict[str, Any]], now: datetime, *, rebuild: bool = False) -> None:
        """Make the rows show `views` (in order), touching only what changed."""
        ids = [v["id"] for v in views]
        if rebuild or ids[: len(self._order)] != self._order[: len(ids)] or not set(self._order) <= set(ids):
            self._rebuild(views, now)
            return
        for view in views:
            row_id = view["id"]
            cells = self.cells(view, now)
            if row_id not in self._cells:
                self.add_row(*(cells[key] for key, _ in COLUMNS), key=row_id)
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

    def _rebuild(self, views: list[dict[str, Any]], now: datetime) -> None:
        keep = self._selected
        self.clear()
        self._cells.clear()
        self._order = []
        for view in views:
            cells = self.cells(view, now)
            self.add_row(*(cells[key] for key, _ in COLUMNS), key=view["id"])
            self._order.append(view["id"])
            self._cells[view["id"]] = {k: c.plain + str(c.style) for k, c in cells.items()}
        if keep in self._order:
            self.move_cursor(row=self._order.index(keep), animate=False)
        self._announce()

    def tick(self, views: list[dict[str, Any]], now: datetime) -> None:
        """Refresh the elapsed column of live workers (the only thing time changes)."""
        for view in views:
            if view.get("state") in fmt.LIVE and view["id"] in self._cells:
                cell = styled(self.app, fmt.fmt_elapsed(fmt.elapsed_s(view, now)), "foreground")
                if self._cells[view["id"]].get("elapsed") != cell.plain + str(cell.style):
                    self._cells[view["id"]]["elapsed"] = cell.plain + str(cell.style)
                    self.update_cell(view["id"], "elapsed", cell)

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
