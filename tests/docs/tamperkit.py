"""A genuine ledger and the ways to tamper with it, shared by the doc test and the anchor tests.

Each case edits real files of a real ledger (written by cockpit's writer, with one crash
repair in it) the way someone holding the state directory could.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cockpit.domain.receipt import GENESIS, canonical_bytes, chain_hash, line_from_body
from cockpit.ledger import Ledger, verify


def genuine_ledger(directory: Path) -> tuple[int, str]:
    """40 records with a repair at seq 22; returns the last (seq, hash): the anchor kept elsewhere."""
    ledger = Ledger(directory)
    for i in range(20):
        ledger.append(
            "note",
            actor="op@box",
            dispatch=None if i % 3 else f"d{i:08d}",
            data={"i": i, "text": f"entry {i}", "nested": {"k": [i, "x"]}},
        )
    with open(directory / "ledger.ndjson", "ab") as handle:
        handle.write(b'{"actor":"op@box","data":{"i":20,"te')  # a crashed append, quarantined next
    for i in range(21, 39):
        ledger.append("note", actor="op@box", data={"i": i, "text": f"entry {i}"})
    ledger.close()
    report = verify(directory)
    assert report.ok and report.records == 40 and report.repairs == 1, report
    return report.last_seq, report.last_hash


def lines_of(d: Path) -> list[bytes]:
    return (d / "ledger.ndjson").read_bytes().splitlines(keepends=True)


def write(d: Path, lines: list[bytes]) -> None:
    (d / "ledger.ndjson").write_bytes(b"".join(lines))


def reseal(line: bytes, **changes: object) -> bytes:
    """Rewrite a record with a correct hash of its own (what a careful forger does)."""
    obj = json.loads(line)
    obj.pop("hash")
    obj.update(changes)
    body = canonical_bytes(obj)
    return line_from_body(body, chain_hash(obj["prev"], body))


def rechain(lines: list[bytes], start: int, prev: str, first_seq: int, **changes: object) -> list[bytes]:
    """Reseal lines[start:] so they chain from `prev` with seqs from `first_seq` (a full reforge)."""
    out = lines[:start]
    for k, line in enumerate(lines[start:]):
        line = reseal(line, prev=prev, seq=first_seq + k, **(changes if k == 0 else {}))
        out.append(line)
        prev = json.loads(line)["hash"]
    return out


def write_head(d: Path, lines: list[bytes], **extra: object) -> None:
    last = json.loads(lines[-1]) if lines else {"seq": 0, "hash": GENESIS}
    head = {"format": "cockpit-ledger-head/1", "hash": last["hash"], "seq": last["seq"], "size": sum(map(len, lines)), **extra}
    raw = json.dumps(head, sort_keys=True, separators=(",", ":")).encode()
    (d / "ledger.head").write_bytes(raw.ljust(255) + b"\n")


def _edit(d: Path, fn: Callable[[list[bytes]], list[bytes] | None]) -> None:
    lines = lines_of(d)
    out = fn(lines)
    write(d, lines if out is None else out)


def _raw_swap_members(line: bytes) -> bytes:
    """Members in another order (kind before data), hashed over those bytes: not the layout."""
    obj = json.loads(line)
    obj.pop("hash")
    body = json.dumps(
        {
            "actor": obj["actor"],
            "kind": obj["kind"],
            "data": obj["data"],
            "dispatch": obj["dispatch"],
            "prev": obj["prev"],
            "seq": obj["seq"],
            "ts": obj["ts"],
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    return line_from_body(body, chain_hash(obj["prev"], body))


def _spaced(line: bytes) -> bytes:
    obj = json.loads(line)
    obj.pop("hash")
    body = json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()  # ", " and ": " separators
    return line_from_body(body, chain_hash(obj["prev"], body))


def _forge_tail(d: Path) -> None:
    lines = lines_of(d)
    last = json.loads(lines[-1])
    extra = reseal(lines[-1], prev=last["hash"], seq=last["seq"] + 1, actor="mallory", data={"text": "forged"})
    write(d, lines + [extra])  # the head is left as it was


def _quarantine_edited(d: Path) -> None:
    q = d / "ledger.quarantine"
    q.write_bytes(q.read_bytes().replace(b"op@box", b"op@bax"))


# name -> (how to tamper, the reason cockpit must give, the line it must name)
CASES: dict[str, tuple[Callable[[Path], None], str, int]] = {
    "byte edited": (lambda d: _edit(d, lambda ls: ls.__setitem__(9, ls[9].replace(b"entry 8", b"entry 9"))), "hash mismatch", 10),
    "bit flipped": (
        lambda d: _edit(d, lambda ls: ls.__setitem__(4, ls[4][:60] + bytes([ls[4][60] ^ 1]) + ls[4][61:])),
        "hash mismatch",
        5,
    ),
    "resealed, next prev fixed": (
        lambda d: _edit(
            d,
            lambda ls: [
                *ls[:12],
                reseal(ls[12], actor="mallory"),
                ls[13].replace(json.loads(ls[13])["prev"].encode(), json.loads(reseal(ls[12], actor="mallory"))["hash"].encode()),
                *ls[14:],
            ],
        ),
        "hash mismatch",
        14,
    ),
    "record deleted": (lambda d: _edit(d, lambda ls: ls.__delitem__(15)), "broken link", 16),
    "records swapped": (lambda d: _edit(d, lambda ls: ls.__setitem__(slice(10, 12), [ls[11], ls[10]])), "broken link", 11),
    "tail cut": (lambda d: _edit(d, lambda ls: ls[:-10]), "truncated tail", 30),
    "torn tail": (lambda d: _edit(d, lambda ls: [*ls, b'{"actor":"x","da']), "torn tail", 41),
    "prev stripped": (
        lambda d: _edit(d, lambda ls: [ln.replace(b',"prev":"' + json.loads(ln)["prev"].encode() + b'"', b"") for ln in ls]),
        "unparsable",
        1,
    ),
    "duplicate": (lambda d: _edit(d, lambda ls: ls.insert(5, ls[4])), "broken link", 6),
    "first record dropped": (lambda d: _edit(d, lambda ls: ls[1:]), "broken link", 1),
    "head deleted": (lambda d: (d / "ledger.head").unlink(), "head mismatch", 40),
    "head garbled": (lambda d: (d / "ledger.head").write_bytes(b"garbage"), "head mismatch", 40),
    "head edited": (lambda d: write_head(d, lines_of(d)[:-1] + [reseal(lines_of(d)[-1], actor="m")]), "head mismatch", 40),
    "members reordered": (lambda d: _edit(d, lambda ls: ls.__setitem__(7, _raw_swap_members(ls[7]))), "unparsable", 8),
    "spaces between members": (lambda d: _edit(d, lambda ls: ls.__setitem__(7, _spaced(ls[7]))), "unparsable", 8),
    "ninth member": (lambda d: _edit(d, lambda ls: ls.__setitem__(7, reseal(ls[7], zone="x"))), "unparsable", 8),
    "seq renumbered": (lambda d: _edit(d, lambda ls: ls.__setitem__(0, reseal(ls[0], seq=2))), "seq gap", 1),
    "reforged, head kept": (
        lambda d: _edit(d, lambda ls: rechain(ls, 10, json.loads(ls[9])["hash"], 11, actor="mallory")),
        "head mismatch",
        40,
    ),
    "quarantine edited": (_quarantine_edited, "quarantine mismatch", 22),
    # what the keyless chain cannot see by itself: caught by the anchor kept outside
    "full reforge with head rewrite": (
        lambda d: (
            _edit(d, lambda ls: rechain(ls, 10, json.loads(ls[9])["hash"], 11, actor="mallory")),
            write_head(d, lines_of(d)),
        ),
        "anchor mismatch",
        40,
    ),
    "forged tail, head untouched": (_forge_tail, "unannounced tail", 41),
    "first record dropped and rechained": (
        lambda d: (_edit(d, lambda ls: rechain(ls, 1, GENESIS, 1)[1:]), write_head(d, lines_of(d))),
        "bad first record",
        1,
    ),
    "genesis forged and rechained": (
        lambda d: (_edit(d, lambda ls: rechain(ls, 0, GENESIS, 1, ts="2030-01-01T00:00:00.000000Z")), write_head(d, lines_of(d))),
        "anchor mismatch",
        40,
    ),
}
