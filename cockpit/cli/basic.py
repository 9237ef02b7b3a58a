"""Foundation commands: init, doctor, note, receipts tail/verify, state rebuild."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from typing import TYPE_CHECKING

from cockpit.cli.common import add_json_flag, positive_float, positive_int, print_json
from cockpit.errors import CheckFailed, UsageError
from cockpit.service.identity import operator_actor
from cockpit.service.views import summarize
from cockpit.service.workspace import Workspace

if TYPE_CHECKING:
    from cockpit.domain.receipt import Receipt

MAX_NOTE_BYTES = 64 * 1024


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="set up cockpit's state directory for this repository (idempotent)")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("doctor", help="check that cockpit can run here, and say how to fix what is wrong")
    add_json_flag(p, "the checks")
    p.add_argument("--timeout", type=positive_float, metavar="S",
                   help="give each agent CLI's version and login probe S seconds (default 10)")
    p.set_defaults(handler=cmd_doctor)

    p = sub.add_parser("note", help="append an operator note to the receipt ledger")
    p.add_argument("text", nargs="+", help="the note (words are joined with spaces)")
    p.set_defaults(handler=cmd_note)

    receipts = sub.add_parser("receipts", help="read or verify the receipt ledger")
    rsub = receipts.add_subparsers(dest="receipts_command", metavar="ACTION", required=True)
    p = rsub.add_parser("tail", help="show the latest receipts")
    p.add_argument("-n", type=positive_int, default=20, metavar="N", help="how many (default 20)")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new receipts as they arrive")
    add_json_flag(p, "each receipt as its ledger line")
    p.set_defaults(handler=cmd_tail)
    p = rsub.add_parser("verify", help="check the whole hash chain; exit 1 naming the first bad record")
    add_json_flag(p, "the report")
    p.set_defaults(handler=cmd_verify)

    state = sub.add_parser("state", help="manage the state store (a projection of the ledger)")
    ssub = state.add_subparsers(dest="state_command", metavar="ACTION", required=True)
    p = ssub.add_parser("rebuild", help="rebuild the state store from the ledger")
    p.set_defaults(handler=cmd_rebuild)


def cmd_init(args: argparse.Namespace) -> int:
    ws = Workspace.open(create=False)
    created = ws.state.ensure()
    if created:
        ws.recorder.record("repository_initialized", actor=operator_actor(),
                           data={"repo": str(ws.repo.toplevel), "state_dir": str(ws.state.root)})
        print(f"initialized cockpit for {ws.repo.toplevel}")
    else:
        ws.store.catch_up()
        print(f"cockpit is already initialized for {ws.repo.toplevel}")
    print(f"state directory: {ws.state.root}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from cockpit.service.doctor import run_checks

    checks = run_checks(Path.cwd(), probe_timeout=args.timeout)
    if args.json:
        print_json([check.__dict__ for check in checks])
    else:
        for check in checks:
            mark = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}[check.status]
            line = f"{mark}  {check.name:<17} {check.detail}"
            if check.fix and check.status != "ok":
                line += f"\n      fix: {check.fix}"
            print(line)
    failed = [c for c in checks if c.status == "fail"]
    if failed:
        if not args.json:
            print(f"cockpit is not usable here: {len(failed)} check(s) failed", file=sys.stderr)
        return 1
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    if not text.strip():
        raise UsageError("the note is empty", hint="give some text: cockpit note 'what happened'")
    if "\x00" in text or len(text.encode("utf-8", "surrogateescape")) > MAX_NOTE_BYTES:
        raise UsageError(f"a note must be text without NUL bytes and at most {MAX_NOTE_BYTES} bytes")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError("the note is not valid UTF-8 text") from None
    ws = Workspace.open()
    receipt = ws.recorder.record("note", actor=operator_actor(), data={"text": text})
    print(f"noted as receipt {receipt.seq}")
    return 0


def _format(receipt: Receipt) -> str:
    return (f"{receipt.seq:>6}  {receipt.ts}  {receipt.kind:<18} {receipt.actor:<20} "
            f"{receipt.dispatch or '-':<10}  {summarize(receipt.data)}")


def _emit(receipt: Receipt, as_json: bool) -> None:
    if as_json:
        print(json.dumps(receipt.model_dump(), sort_keys=True, ensure_ascii=False, separators=(",", ":")))
    else:
        print(_format(receipt))


def cmd_tail(args: argparse.Namespace) -> int:
    from cockpit.ledger import iter_receipts, tail
    from cockpit.ledger.reader import committed_size

    ws = Workspace.open(create=False)
    directory = ws.state.ledger_dir
    offset = committed_size(directory)
    for receipt in tail(directory, args.n):
        _emit(receipt, args.json)
    if not args.follow:
        return 0
    sys.stdout.flush()
    from watchfiles import watch  # imported here: only --follow needs it

    directory.mkdir(parents=True, exist_ok=True)
    head_name = "ledger.head"
    try:
        for _ in watch(directory, watch_filter=lambda _c, path: Path(path).name == head_name,
                       debounce=50, step=20, rust_timeout=0):
            for next_offset, receipt in iter_receipts(directory, offset):
                _emit(receipt, args.json)
                offset = next_offset
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from cockpit.ledger import verify

    ws = Workspace.open(create=False)
    report = verify(ws.state.ledger_dir)
    if args.json:
        print_json(report.to_json())
    elif report.ok:
        extra = f", {report.repairs} repair(s) after crashes" if report.repairs else ""
        print(f"valid: {report.records} receipts, last seq {report.last_seq}, "
              f"last hash {report.last_hash[:16]}…{extra}")
        for warning in report.warnings:
            print(f"note: {warning}")
    if not report.ok:
        if not args.json:
            print(f"BROKEN at {report.problem}", file=sys.stderr)
        return 1
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from cockpit.ledger import verify

    ws = Workspace.open()
    report = verify(ws.state.ledger_dir)
    if not report.ok:
        raise CheckFailed(f"the ledger does not verify ({report.problem}); refusing to rebuild from it",
                          hint="run `cockpit receipts verify` for details")
    count = ws.store.rebuild()
    print(f"rebuilt the state store from {count} receipts (last seq {ws.store.last_seq})")
    return 0
