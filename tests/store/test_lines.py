"""Receipt lines decoded in C (cockpit/store/lines.py) read exactly what `json.loads` reads,
whatever the values; lines msgspec refuses or splits differently go to the fallback parser."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.domain.receipt import canonical_bytes
from cockpit.store.lines import ChainBroken, data_of, decode_block

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)  # no lone surrogates: UTF-8 cannot hold them
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**80), 2**80) | st.floats(allow_nan=False, allow_infinity=False) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


def _line(data: dict, dispatch: object, seq: int) -> bytes:
    body = {
        "actor": 'a\\"ü',
        "data": data,
        "dispatch": dispatch,
        "kind": "note",
        "prev": f"{seq - 1:064x}",
        "seq": seq,
        "ts": "t",
    }
    return canonical_bytes({**body, "hash": "f" * 64})


def _as_json(block: bytes) -> list[tuple]:
    out = []
    for line in block[:-1].split(b"\n"):
        obj = json.loads(line)
        out.append((obj["actor"], obj["data"], obj["dispatch"], obj["kind"], obj["seq"], obj["ts"], obj["prev"], obj["hash"]))
    return out


def _decoded(block: bytes, *, chained: bool = True) -> list[tuple]:
    records = decode_block(block, chained=chained)
    got = [(r.actor, data_of(r), r.dispatch, r.kind, r.seq, r.ts) for r in records]
    if chained:  # with its links; without them, the same members
        assert [row[:6] for row in _decoded(block, chained=False)] == got
        return [(*row, r.prev, r.hash) for row, r in zip(got, records, strict=True)]  # type: ignore[union-attr]
    return got


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.dictionaries(_text, _values, max_size=5), st.none() | _text | st.integers()), min_size=1, max_size=6)
)
def test_a_block_reads_as_json_reads_it(records: list[tuple[dict, object]]) -> None:
    block = b"".join(_line(data, dispatch, i + 1) + b"\n" for i, (data, dispatch) in enumerate(records))
    assert _decoded(block) == _as_json(block)


def test_values_msgspec_refuses_are_read_by_the_fallback() -> None:
    huge = _line({"x": 1}, "d", 1).replace(b'{"x":1}', b'{"x":1e400}')  # json: inf; msgspec: out of range
    odd_dispatch = _line({"x": 1}, 7, 2)  # not a string: the record type refuses it
    block = huge + b"\n" + odd_dispatch + b"\n"
    got = _decoded(block)
    assert got == _as_json(block)
    assert got[0][1] == {"x": float("inf")} and got[1][2] == 7


def test_a_line_holding_two_objects_or_none_is_not_read() -> None:
    one, two = _line({"n": 1}, "d", 1), _line({"n": 2}, "d", 2)
    with pytest.raises(ChainBroken, match="cannot be read"):
        decode_block(one + two + b"\n")  # msgspec alone would read two records
    with pytest.raises(ChainBroken, match="cannot be read"):
        decode_block(one + b"\n\n" + two + b"\n")  # msgspec alone would skip the blank line
