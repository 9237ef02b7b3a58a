"""The state store: SQLite (WAL) holding current state as a projection of the ledger."""

from cockpit.store.db import Store
from cockpit.store.recorder import Recorder

__all__ = ["Recorder", "Store"]
