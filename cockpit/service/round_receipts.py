"""The receipts that rounds and review comments are folded from, per dispatch, read from the
ledger (the source of truth) incrementally: each call reads only what was appended since."""

from __future__ import annotations

import threading
from collections import defaultdict

from cockpit.domain.receipt import Receipt
from cockpit.ledger.reader import iter_receipts
from cockpit.service.context import Context

KINDS = frozenset({"review_comment", "comments_sent", "session_captured"})


class RoundReceipts:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._offset = 0
        self._by_dispatch: dict[str, list[Receipt]] = defaultdict(list)
        self._lock = threading.Lock()  # called from the loop and from worker threads

    def of(self, dispatch_id: str) -> list[Receipt]:
        with self._lock:
            for offset, receipt in iter_receipts(self.ctx.ws.state.ledger_dir, self._offset):
                self._offset = offset
                if receipt.kind in KINDS and receipt.dispatch:
                    self._by_dispatch[receipt.dispatch].append(receipt)
            return list(self._by_dispatch.get(dispatch_id, []))

    def session_id(self, dispatch_id: str) -> str | None:
        """The newest session id receipted for the dispatch."""
        found = [r.data["session_id"] for r in self.of(dispatch_id) if r.kind == "session_captured"]
        return str(found[-1]) if found else None
