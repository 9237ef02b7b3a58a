"""The review loop and more rounds: continue, comment, comments [send]."""

from __future__ import annotations

import argparse
from typing import Any, TypedDict

from cockpit.cli.common import add_json_flag, print_json
from cockpit.errors import UsageError
from cockpit.service.identity import operator_actor


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "continue",
        help="a new round in the same worktree: resumes the CLI's own session where it can",
    )
    p.add_argument("id")
    p.add_argument("prompt", help="what to do next ('-' reads it from stdin)")
    add_json_flag(p)
    p.set_defaults(handler=cmd_continue)

    p = sub.add_parser("comment", help="comment on lines of a dispatch's diff (sent back with `comments send`)")
    p.add_argument("id")
    p.add_argument("anchor", metavar="FILE:LINE[-LINE]", help="lines of the new version of FILE, as the diff shows them")
    p.add_argument("text")
    add_json_flag(p)
    p.set_defaults(handler=cmd_comment)

    p = sub.add_parser(
        "comments",
        help="list a dispatch's review comments; `comments send ID` sends the unsent ones to its agent",
        usage="cockpit comments [--json] ID | cockpit comments send ID",
    )
    p.add_argument("words", nargs="+", metavar="ID | send ID")
    add_json_flag(p)
    p.set_defaults(handler=cmd_comments)


def _client(ref: str) -> tuple[Any, str]:
    from cockpit.cli.workers import client_for

    return client_for(ref)


def cmd_continue(args: argparse.Namespace) -> int:
    from cockpit.cli.workers import read_prompt_arg

    prompt = read_prompt_arg(args.prompt) or ""
    if not prompt.strip():
        raise UsageError("the prompt is empty", hint="cockpit continue ID 'what to do next'")
    client, dispatch_id = _client(args.id)
    result = client.call("continue", id=dispatch_id, prompt=prompt, actor=operator_actor())
    if args.json:
        print_json(result)
        return 0
    how = f"round {result['round']}: {result['how']}"
    if result.get("resumed_session"):
        how += f", resuming session {result['resumed_session']}"
    print(f"continued {result['id']} ({how})")
    return 0


def cmd_comment(args: argparse.Namespace) -> int:
    from cockpit.domain.comments import check_text, lines_label, parse_anchor  # pydantic: only here

    try:  # checked here too, so bad input never starts a supervisor
        parse_anchor(args.anchor)
        check_text(args.text)
    except ValueError as exc:
        raise UsageError(str(exc), hint="cockpit comment ID FILE:LINE[-LINE] TEXT") from None
    client, dispatch_id = _client(args.id)
    result = client.call("comment", id=dispatch_id, anchor=args.anchor, text=args.text, actor=operator_actor())
    if args.json:
        print_json(result)
    else:
        print(f"comment {result['comment']} on {result['file']} {lines_label(result)} of {result['id']}")
    return 0


def cmd_comments(args: argparse.Namespace) -> int:
    words = args.words
    if words[0] == "send" and len(words) == 2:
        return _send(words[1], args.json)
    if len(words) != 1:
        raise UsageError("expected `cockpit comments ID` or `cockpit comments send ID`")
    client, dispatch_id = _client(words[0])
    result = client.call("comments", id=dispatch_id)
    if args.json:
        print_json(result)
        return 0
    if not result["comments"]:
        print(f"no comments on {dispatch_id}")
    for c in result["comments"]:
        status = "resolved" if c["resolved"] else "sent" if c["sent"] else "open"
        print(f"{c['comment']:<4} {status:<8} {c['file']}:{_lines(c)}  {c['actor']}")
        for line in c["text"].splitlines():
            print(f"     {line}")
    return 0


def _send(ref: str, as_json: bool) -> int:
    client, dispatch_id = _client(ref)
    result = client.call("comments_send", id=dispatch_id, actor=operator_actor())
    if as_json:
        print_json(result)
        return 0
    how = result["how"] + (f", resuming session {result['resumed_session']}" if result.get("resumed_session") else "")
    print(f"sent {len(result['comments'])} comment(s) ({', '.join(result['comments'])}) to {result['id']}: {how}")
    return 0


class ListedLines(TypedDict):
    """Where a listed comment's lines are in the diff now (fields of the `comments` reply)."""

    line_start_now: int
    line_end_now: int


def _lines(c: ListedLines) -> str:
    start, end = c["line_start_now"], c["line_end_now"]
    return str(start) if start == end else f"{start}-{end}"
