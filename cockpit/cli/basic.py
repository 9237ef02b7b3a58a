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
from cockpit.service.workspace import Workspace

if TYPE_CHECKING:
    from cockpit.domain.receipt import Receipt

MAX_NOTE_BYTES = 64 * 1024


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="set up cockpit's state directory for this repository (idempotent)")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("doctor", help="check that cockpit can run here, and say how to fix what is wrong")
    add_json_flag(p, "the checks")
    p.add_argument(
        "--timeout", type=positive_float, metavar="S", help="give each agent CLI's version and login probe S seconds (default 10)"
    )
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
    p = rsub.add_parser("verify", help="check the whole hash chain and every anchor; exit 1 naming the first bad record")
    add_json_flag(p, "the report")
    p.add_argument("--strict", action="store_true", help="records past the head (a lagging head) are an error too")
    p.add_argument(
        "--checkpoint",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="a signed checkpoint to check the ledger against (repeatable)",
    )
    p.add_argument(
        "--allowed-signers",
        type=Path,
        metavar="FILE",
        help="ssh allowed_signers file naming who may sign checkpoints (default: git config "
        "gpg.ssh.allowedSignersFile; without one only the signature itself is checked)",
    )
    p.set_defaults(handler=cmd_verify)
    p = rsub.add_parser(
        "checkpoint", help="sign a checkpoint of the ledger with your SSH key (an anchor to keep outside the state directory)"
    )
    p.add_argument(
        "--key", type=Path, metavar="PATH", help="SSH private key (default: the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa)"
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="where to write it (default: standard output)")
    p.set_defaults(handler=cmd_checkpoint)

    state = sub.add_parser("state", help="manage the state store (a projection of the ledger)")
    ssub = state.add_subparsers(dest="state_command", metavar="ACTION", required=True)
    p = ssub.add_parser("rebuild", help="rebuild the state store from the ledger")
    p.set_defaults(handler=cmd_rebuild)


def cmd_init(args: argparse.Namespace) -> int:
    ws = Workspace.open(create=False)
    created = ws.state.ensure()
    if created:
        ws.recorder.record(
            "repository_initialized",
            actor=operator_actor(),
            data={"repo": str(ws.repo.toplevel), "state_dir": str(ws.state.root)},
        )
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
        return max(c.exit_code for c in failed)
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
    from cockpit.service.views import summarize  # here: datetime and decimal are not free to import

    return (
        f"{receipt.seq:>6}  {receipt.ts}  {receipt.kind:<18} {receipt.actor:<20} "
        f"{receipt.dispatch or '-':<10}  {summarize(receipt.data)}"
    )


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
        for _ in watch(
            directory, watch_filter=lambda _c, path: Path(path).name == head_name, debounce=50, step=20, rust_timeout=0
        ):
            for next_offset, receipt in iter_receipts(directory, offset):
                _emit(receipt, args.json)
                offset = next_offset
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from cockpit.ledger import verify
    from cockpit.service.anchors import checkpoint_anchor, configured_checkpoint, trailer_anchors
    from cockpit.service.settings import load_config

    ws = Workspace.open(create=False)
    signers = args.allowed_signers or _git_allowed_signers(ws)
    files = list(args.checkpoint)
    kept = configured_checkpoint(ws, load_config(ws.repo.toplevel))
    if kept is not None and kept.exists() and kept not in files:  # the one the supervisor keeps signing
        files.append(kept)
    anchors = [checkpoint_anchor(path, ws, signers)[0] for path in files]
    anchors += trailer_anchors(ws.git)
    report = verify(ws.state.ledger_dir, anchors=anchors)
    if report.ok and args.strict and report.head_lag:
        from cockpit.ledger import Problem

        report.ok = False
        report.problem = Problem(
            "head lag",
            report.last_seq,
            report.last_seq,
            f"the head is {report.head_lag} record(s) behind the last record (--strict)",
        )
    if args.json:
        print_json(report.to_json())
    elif report.ok:
        extra = f", {report.repairs} repair(s) after crashes" if report.repairs else ""
        print(f"valid: {report.records} receipts, last seq {report.last_seq}, last hash {report.last_hash[:16]}…{extra}")
        for warning in report.warnings:
            print(f"note: {warning}")
        if report.anchors:
            print(
                f"anchors: {report.anchors} checked, all agree; {report.after_last_anchor} records after the "
                f"last anchor ({report.last_anchor})"
            )
        else:
            print(
                "anchors: none found (no promotion commit trailer, no --checkpoint): a rewrite of the whole "
                "chain and its head would go unnoticed; see `cockpit receipts checkpoint`"
            )
    if not report.ok:
        if not args.json:
            print(f"BROKEN at {report.problem}", file=sys.stderr)
        return 1
    return 0


def _git_allowed_signers(ws: Workspace) -> Path | None:
    code, out, _ = ws.git.try_git("config", "--path", "--get", "gpg.ssh.allowedSignersFile")
    return Path(str(out).strip()).expanduser() if code == 0 and str(out).strip() else None


def cmd_checkpoint(args: argparse.Namespace) -> int:
    from cockpit.ledger import verify
    from cockpit.runtime.ssh_sign import default_key
    from cockpit.service.anchors import make_checkpoint, write_atomically

    key = args.key.expanduser() if args.key else default_key()
    if not key.is_file():
        raise UsageError(f"the SSH key {key} does not exist", hint="give an existing private key with --key PATH")
    if args.out is not None and not args.out.expanduser().resolve().parent.is_dir():
        raise UsageError(f"cannot write {args.out}: its directory does not exist")
    ws = Workspace.open(create=False)
    report = verify(ws.state.ledger_dir)
    if not report.ok:
        raise CheckFailed(
            f"refusing to sign a checkpoint of a ledger that does not verify ({report.problem})",
            hint="run `cockpit receipts verify` for details",
        )
    if not report.records:
        raise UsageError("the ledger is empty: there is nothing to anchor yet")
    data = make_checkpoint(ws, key, seq=report.last_seq, digest=report.last_hash)
    if args.out is None:
        sys.stdout.buffer.write(data)
        return 0
    out = args.out.expanduser().resolve()
    write_atomically(out, data)
    print(f"checkpoint of record {report.last_seq} (hash {report.last_hash[:16]}…) signed with {key}: {out}")
    if out.is_relative_to(ws.state.root.resolve()):
        print(
            "note: this file is inside the state directory; an anchor protects the ledger only when kept "
            "where whoever can change the ledger cannot change it too",
            file=sys.stderr,
        )
    return 0


# Verify's workers yield to the rebuild's fold, the one process that cannot be split: on two
# cores the fold keeps one and verify takes the rest, instead of three processes sharing two
# (the rebuild of 1M receipts: 3.8 -> 3.3 s). The kernel's autogroups (on by default) make
# this count only among cockpit's own processes, not against the rest of the machine.
VERIFY_NICENESS = 10


def cmd_rebuild(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from cockpit.ledger import verify
    from cockpit.ledger.checks import Anchor
    from cockpit.ledger.files import LedgerPaths, read_head
    from cockpit.store.fold_vouched import Vouched

    ws = Workspace.open()

    # The ledger is verified while it is folded (verify works in processes of its own): the
    # new store is committed only if it verifies, else the old one stays as it was. The fold
    # goes up to the head's record, which verify checks as an anchor: the fold then leaves
    # each line's chain to verify and checks only that it ends on that record (fold_vouched.py).
    paths = LedgerPaths(ws.state.ledger_dir)
    _, head = read_head(paths)
    vouched, anchors = None, []
    if head is not None and head.seq > 0 and paths.ledger.exists() and head.size <= paths.ledger.stat().st_size:
        vouched = Vouched(head.size, head.seq, head.hash)
        anchors = [Anchor("the head's record, which the rebuild folds up to", head.seq, head.hash)]
    with ThreadPoolExecutor(1) as pool:
        checked = pool.submit(verify, ws.state.ledger_dir, anchors=anchors, niceness=VERIFY_NICENESS)

        def refuse_unless_verified() -> None:
            report = checked.result()
            if not report.ok:
                raise CheckFailed(
                    f"the ledger does not verify ({report.problem}); refusing to rebuild from it",
                    hint="run `cockpit receipts verify` for details",
                )

        try:
            count = ws.store.rebuild(before_commit=refuse_unless_verified, vouched=vouched)
        except Exception:
            report = checked.result()  # a ledger that does not verify explains a fold that failed
            if not report.ok:
                raise CheckFailed(
                    f"the ledger does not verify ({report.problem}); refusing to rebuild from it",
                    hint="run `cockpit receipts verify` for details",
                ) from None
            raise
    print(f"rebuilt the state store from {count} receipts (last seq {ws.store.last_seq})")
    return 0
