"""Every secret shape of tests/ledger/secret_corpus.txt is masked; every look-alike there is kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cockpit.domain.secrets import MASK, mask, mask_text

CORPUS = Path(__file__).with_name("secret_corpus.txt")
MARKED = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)


def load_corpus() -> list[tuple[str, str, list[str]]]:
    """(verdict, text, secret parts) for each case."""
    cases = []
    for raw in CORPUS.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        verdict, text = raw.split("\t", 1)
        text = text.replace("⏎", "\n")
        cases.append((verdict, MARKED.sub(r"\1", text), MARKED.findall(text)))
    return cases


CASES = load_corpus()
SECRETS = [part for verdict, _text, parts in CASES if verdict == "mask" for part in parts]


def test_the_corpus_is_large_and_well_formed() -> None:
    verdicts = [verdict for verdict, _t, _p in CASES]
    assert set(verdicts) == {"mask", "keep"}
    assert verdicts.count("mask") >= 30 and verdicts.count("keep") >= 10
    assert all(parts for verdict, _t, parts in CASES if verdict == "mask")


@pytest.mark.parametrize(("verdict", "text", "parts"), CASES, ids=[f"{v}-{i}" for i, (v, _t, _p) in enumerate(CASES)])
def test_corpus_case(verdict: str, text: str, parts: list[str]) -> None:
    out = mask_text(text)
    if verdict == "keep":
        assert out == text
        return
    for part in parts:
        assert part not in out, f"{part!r} survived in {out!r}"
    assert MASK in out
    # what is around the secret stays readable: the text before the first secret survives
    assert out.startswith(text[: text.index(parts[0])].split("\n")[0][:12])


def test_masking_nested_values_and_env_values() -> None:
    record = {
        "command": "deploy --token abcdef123456",
        "env": {"HOME": "/home/a"},
        "lines": [case[1] for case in CASES if case[0] == "mask"],
    }
    out = repr(mask(record, ("abcdef123456",)))
    assert not [s for s in SECRETS if s in out]
    assert "/home/a" in out
