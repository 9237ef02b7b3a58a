"""The verifier's positional fast path accepts exactly what the normative layout (lines.LAYOUT) accepts.

Lines are edited anywhere in their body and given a correct hash over the edited bytes, so only
the layout decides; the fast path must never accept a line the exact check rejects.
"""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.domain.receipt import GENESIS, seal
from cockpit.ledger.lines import SUFFIX_LEN, BadLine, inspect_line
from cockpit.ledger.verify import Stop, _Walker

INTERESTING = b'"\\,:{}[] a0_-\t'


def sealed(
    seq: int, prev: str, *, kind: str = "note", actor: str = "op@box", dispatch: str | None = "d1", data: dict | None = None
) -> bytes:
    _, line = seal(
        seq=seq,
        ts="2026-11-28T06:00:00.123456Z",
        kind=kind,
        actor=actor,
        dispatch=dispatch,
        data=data if data is not None else {"i": seq, "t": "x"},
        prev=prev,
    )
    return line[:-1]


def rehash(body_without_brace: bytes, prev: bytes) -> bytes:
    """A line whose hash is right for its bytes as written (whatever they are)."""
    digest = hashlib.sha256(prev + body_without_brace + b"}").hexdigest().encode()
    return body_without_brace + b',"hash":"' + digest + b'"}'


def fast_accepts(first: bytes, line: bytes) -> bool:
    walker = _Walker(frozenset(), 0, True)
    walker.feed([first])  # learns the kind segment through the exact check, as a real walk does
    try:
        walker.feed([line])
    except Stop:
        return False
    return True


def exact_accepts(first: bytes, line: bytes) -> bool:
    try:
        facts = inspect_line(line)
    except BadLine:
        return False
    return facts.seq == 2 and facts.prev == first[-SUFFIX_LEN + 9 : -2].decode()


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_an_edited_line_is_accepted_by_the_fast_path_only_if_the_layout_matches(data: st.DataObject) -> None:
    first = sealed(1, GENESIS, kind="ledger_created", actor="cockpit", dispatch=None, data={"format": "cockpit-ledger/1"})
    prev = first[-SUFFIX_LEN + 9 : -2]
    dispatch = data.draw(st.sampled_from([None, "d1", "0c4v9r2kxa", 'a"b', "a\\b", "a-b", ""]))
    actor = data.draw(st.sampled_from(["op@box", 'x","data":{', "a\\", "é"]))
    genuine = sealed(
        2,
        prev.decode(),
        dispatch=dispatch,
        actor=actor,
        data=data.draw(st.sampled_from([{}, {"k": {"n": [1, "}"]}}, {"s": '","dispatch":null'}])),
    )
    body = bytearray(genuine[:-SUFFIX_LEN])
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(body)))
        op = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = data.draw(st.sampled_from(list(INTERESTING)))
        if op == "insert" or at == len(body):
            body[at:at] = bytes([byte])
        elif op == "replace":
            body[at] = byte
        else:
            del body[at]
    line = rehash(bytes(body), prev)
    assert fast_accepts(first, line) == exact_accepts(first, line), line


def test_unedited_lines_of_every_shape_are_accepted_by_both() -> None:
    first = sealed(1, GENESIS, kind="ledger_created", actor="cockpit", dispatch=None, data={"format": "cockpit-ledger/1"})
    prev = first[-SUFFIX_LEN + 9 : -2].decode()
    for dispatch in (None, "d1", 'a"b', "a\\b", "x-y"):
        for actor in ("op@box", 'q"uote', "back\\slash", "日本"):
            line = sealed(2, prev, dispatch=dispatch, actor=actor, data={"t": '},"dispatch":"x","kind":"y"'})
            assert fast_accepts(first, line) and exact_accepts(first, line)
