"""The @fake directive language, parsed in isolation (a pure function)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cockpit.fake_agent.directives import (
    Ask,
    Commit,
    Delete,
    DirectiveError,
    Exit,
    Hang,
    Lines,
    ReportUsage,
    Say,
    Sleep,
    Write,
    parse_prompt,
)


def test_every_directive_parses_in_order_and_prose_is_ignored() -> None:
    prompt = "\n".join(
        [
            "Please do the task below.",
            "@fake say hello  world ",
            "   @fake lines 3",
            "\t@fake lines 2 0.5",
            "@fake write dir/a.txt one\\ntwo",
            "@fake append a.txt ",
            "@fake delete old.txt",
            "@fake commit fix: the thing",
            "@fake ask Continue?",
            "@fake sleep 0.25",
            "@fake hang",
            "@fake usage 10 20 0.0123",
            "@fake exit 7",
            "mentioning @fake say in prose is not a directive",
        ]
    )
    assert parse_prompt(prompt) == [
        Say(2, "hello  world "),
        Lines(3, 3, None),
        Lines(4, 2, 0.5),
        Write(5, "dir/a.txt", "one\ntwo", append=False),
        Write(6, "a.txt", "", append=True),
        Delete(7, "old.txt"),
        Commit(8, "fix: the thing"),
        Ask(9, "Continue?"),
        Sleep(10, 0.25),
        Hang(11),
        ReportUsage(12, 10, 20, Decimal("0.0123")),
        Exit(13, 7),
    ]


def test_lines_split_on_cr_lf_and_crlf_only() -> None:
    prompt = "@fake say a\u2028still a\x0cstill a\r\n@fake say b\r@fake say c\n@fake write f x"
    assert parse_prompt(prompt) == [
        Say(1, "a\u2028still a\x0cstill a"),
        Say(2, "b"),
        Say(3, "c"),
        Write(4, "f", "x", append=False),
    ]


def test_words_that_only_start_like_a_directive_are_prose() -> None:
    assert parse_prompt("@fakesay hi\n@faker exit 1\nsay @fake exit 1") == []


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("@fake", "needs a directive"),
        ("@fake shout hi", "unknown directive '@fake shout'"),
        ("@fake lines", "expected '@fake lines N [RATE]'"),
        ("@fake lines ten", "N must be a whole number"),
        ("@fake lines -1", "N must be a whole number"),
        ("@fake lines 3 0", "RATE must be above 0"),
        ("@fake lines 3 fast", "RATE must be a decimal number"),
        ("@fake lines 3 2 1", "expected '@fake lines N [RATE]'"),
        ("@fake write", "needs PATH and TEXT"),
        ("@fake write /etc/passwd x", "PATH must be relative"),
        ("@fake append ../outside x", "must not leave the working directory"),
        ("@fake write a/../../b x", "must not leave the working directory"),
        ("@fake write . x", "PATH must name a file"),
        ("@fake delete", "expected '@fake delete PATH'"),
        ("@fake delete a b", "expected '@fake delete PATH'"),
        ("@fake delete /tmp/x", "PATH must be relative"),
        ("@fake commit   ", "needs a MESSAGE"),
        ("@fake ask", "needs a QUESTION"),
        ("@fake sleep", "expected '@fake sleep SECONDS'"),
        ("@fake sleep 1e3", "SECONDS must be a decimal number"),
        ("@fake sleep -2", "SECONDS must be a decimal number"),
        ("@fake hang now", "expected '@fake hang'"),
        ("@fake usage 1 2", "expected '@fake usage IN OUT USD'"),
        ("@fake usage 1 2 $3", "USD must be a decimal number"),
        ("@fake usage 1.5 2 3", "IN must be a whole number"),
        ("@fake exit", "expected '@fake exit CODE'"),
        ("@fake exit 256", "CODE must be 0..255"),
        ("@fake exit one", "CODE must be a whole number"),
    ],
)
def test_malformed_directives_name_the_line_and_the_problem(line: str, complaint: str) -> None:
    with pytest.raises(DirectiveError) as caught:
        parse_prompt(f"some prose\n@fake say fine\n{line}\n@fake say never")
    assert caught.value.line == 3
    assert complaint in caught.value.message


def test_numbers_accept_decimals_without_exponents() -> None:
    assert parse_prompt("@fake sleep .5\n@fake sleep 2.\n@fake usage 0 0 0") == [
        Sleep(1, 0.5),
        Sleep(2, 2.0),
        ReportUsage(3, 0, 0, Decimal("0")),
    ]
