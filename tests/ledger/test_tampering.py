"""Each tampering is detected, and the first bad record is named with the right reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cockpit.domain.receipt import canonical_bytes, chain_hash, line_from_body
from cockpit.ledger import Ledger, verify

N = 40  # records including the genesis record


@pytest.fixture
def ledger_dir(tmp_path: Path) -> Path:
    ledger = Ledger(tmp_path)
    for i in range(N - 1):
        ledger.append("note", actor="op", dispatch=None, data={"i": i, "text": f"entry {i}"})
    ledger.close()
    assert verify(tmp_path).ok
    return tmp_path


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


def hash_of(line: bytes) -> str:
    return json.loads(line)["hash"]


def test_one_byte_changed_in_a_middle_record(ledger_dir: Path) -> None:
    lines = lines_of(ledger_dir)
    target = bytearray(lines[19])
    pos = target.index(b"entry 18") + 6
    target[pos] = ord("9")
    lines[19] = bytes(target)
    write(ledger_dir, lines)
    problem = verify(ledger_dir).problem
    assert (problem.reason, problem.line, problem.seq) == ("hash mismatch", 20, 20)


@pytest.mark.parametrize("offset", [1, 10, 50, 100, 150, 200])
def test_any_single_byte_flip_is_detected(ledger_dir: Path, offset: int) -> None:
    lines = lines_of(ledger_dir)
    target = bytearray(lines[10])
    target[offset % (len(target) - 1)] ^= 0x01
    lines[10] = bytes(target)
    write(ledger_dir, lines)
    report = verify(ledger_dir)
    assert not report.ok and report.problem.line == 11


def test_middle_record_rewritten_with_next_prev_fixed(ledger_dir: Path) -> None:
    lines = lines_of(ledger_dir)
    lines[19] = reseal(lines[19], data={"i": 18, "text": "forged"})
    lines[20] = _fix_prev_only(lines[20], hash_of(lines[19]))
    write(ledger_dir, lines)
    problem = verify(ledger_dir).problem
    assert (problem.reason, problem.line) == ("hash mismatch", 21)


def _fix_prev_only(line: bytes, new_prev: str) -> bytes:
    obj = json.loads(line)
    return line.replace(obj["prev"].encode(), new_prev.encode(), 1)


def test_record_deleted(ledger_dir: Path) -> None:
    lines = lines_of(ledger_dir)
    del lines[15]
    write(ledger_dir, lines)
    problem = verify(ledger_dir).problem
    assert (problem.reason, problem.line, problem.seq) == ("broken link", 16, 17)


def test_record_deleted_with_next_prev_fixed(ledger_dir: Path) -> None:
    lines = lines_of(ledger_dir)
    removed = lines.pop(15)
    lines[15] = _fix_prev_only(lines[15], json.loads(removed)["prev"])
    write(ledger_dir, lines)
    problem = verify(ledger_dir).problem
    assert (problem.reason, problem.line) == ("hash mismatch", 16)


def test_two_records_swapped(ledger_dir: Path) -> None:
    lines = lines_of(ledger_dir)
    lines[10], lines[11] = lines[11], lines[10]
    write(ledger_dir, lines)
    problem = verify(ledger_dir).problem
    assert (problem.reason, problem.line, problem.seq) == ("broken link", 11, 12)


def test_last_ten_records_cut_off(ledger_dir: Path) -> None:
    write(ledger_dir, lines_of(ledger_dir)[:-10])
    problem = verify(ledger_dir).problem
    assert problem.reason == "truncated tail"
    assert "10 record(s) are missing" in problem.detail


def test_every_prev_stripped(ledger_dir: Path) -> None:
    stripped = []
    for line in lines_of(ledger_dir):
        obj = json.loads(line)
        stripped.append(line.replace(b',"prev":"' + obj["prev"].encode() + b'"', b""))
    write(ledger_dir, stripped)
    problem = verify(ledger_dir).problem
    assert problem.line == 1 and problem.reason == "unparsable" and "prev" in problem.detail


def test_whole_chain_reforged_from_a_middle_record_is_caught_by_the_head(ledger_dir: Path) -> None:
    lines = lines_of(ledger_dir)
    prev = hash_of(lines[9])
    for k in range(10, len(lines)):
        lines[k] = reseal(lines[k], prev=prev, actor="mallory")
        prev = hash_of(lines[k])
    write(ledger_dir, lines)
    problem = verify(ledger_dir).problem
    assert problem.reason == "head mismatch"


def test_duplicated_record(ledger_dir: Path) -> None:
    lines = lines_of(ledger_dir)
    lines.insert(5, lines[4])
    write(ledger_dir, lines)
    problem = verify(ledger_dir).problem
    assert (problem.reason, problem.line) == ("broken link", 6)


def test_seq_renumbered_with_a_valid_hash(ledger_dir: Path) -> None:
    lines = lines_of(ledger_dir)
    lines[0] = reseal(lines[0], seq=2)
    write(ledger_dir, lines)
    # the next record's link breaks first only if the hash changed; it did, so:
    problem = verify(ledger_dir).problem
    assert (problem.reason, problem.line) == ("seq gap", 1)


def test_head_file_deleted_or_garbled(ledger_dir: Path) -> None:
    head = ledger_dir / "ledger.head"
    head.write_bytes(b"garbage")
    assert verify(ledger_dir).problem.reason == "head mismatch"
    head.unlink()
    assert verify(ledger_dir).problem.reason == "head mismatch"


def test_empty_and_missing_ledgers_are_valid(tmp_path: Path) -> None:
    assert verify(tmp_path).ok
    assert verify(tmp_path).records == 0


TAMPERINGS = {
    "byte": lambda ls: ls.__setitem__(19, ls[19].replace(b"entry 18", b"entry 19")),
    "delete": lambda ls: ls.__delitem__(15),
    "swap": lambda ls: ls.__setitem__(slice(10, 12), [ls[11], ls[10]]),
    "cut": lambda ls: ls.__delitem__(slice(-10, None)),
    "torn": lambda ls: ls.append(b'{"actor":"x","da'),
    "none": lambda ls: None,
}


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
@pytest.mark.parametrize("processes", [2, 3, 7])
def test_checking_in_parallel_ranges_finds_exactly_what_one_pass_finds(
    ledger_dir: Path, monkeypatch, name: str, processes: int
) -> None:
    import importlib

    verify_module = importlib.import_module("cockpit.ledger.verify")

    lines = lines_of(ledger_dir)
    TAMPERINGS[name](lines)
    write(ledger_dir, lines)
    serial = verify(ledger_dir, processes=1)
    monkeypatch.setattr(verify_module, "_PARALLEL_FROM", 1)
    parallel = verify(ledger_dir, processes=processes)
    assert parallel == serial
    assert serial.ok == (name == "none")
