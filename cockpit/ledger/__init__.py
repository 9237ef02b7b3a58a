"""The receipt ledger: one append-only, hash-chained NDJSON file per repository.

It is the source of truth; the store is a projection of it. See docs/receipts.md.
"""

from cockpit.ledger.checks import Anchor, Problem, VerifyReport
from cockpit.ledger.files import LedgerPaths
from cockpit.ledger.reader import iter_receipts, tail
from cockpit.ledger.verify import verify
from cockpit.ledger.writer import Entry, Ledger

__all__ = [
    "Anchor",
    "Entry",
    "Ledger",
    "LedgerPaths",
    "Problem",
    "VerifyReport",
    "iter_receipts",
    "tail",
    "verify",
]
