"""Write a receipt, then fold it into the store: the one path every state change takes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cockpit.domain.receipt import Receipt
from cockpit.ledger.writer import Entry, Ledger
from cockpit.store.db import Store


class Recorder:
    def __init__(self, ledger: Ledger, store: Store) -> None:
        self.ledger = ledger
        self.store = store

    def record(self, kind: str, *, actor: str, dispatch: str | None = None, data: Mapping[str, Any] | None = None) -> Receipt:
        receipt = self.ledger.append(kind, actor=actor, dispatch=dispatch, data=data)
        self.store.catch_up()
        return receipt

    def record_many(self, entries: Iterable[Entry]) -> list[Receipt]:
        receipts = self.ledger.append_many(entries)
        self.store.catch_up()
        return receipts
