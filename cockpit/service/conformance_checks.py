"""The steps of a conformance run and the judgement of each signal (see conformance.py)."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from cockpit.domain.receipt import Receipt

if TYPE_CHECKING:
    from cockpit.service.conformance import Result, Run


def _status(receipts: list[Receipt], to: str) -> list[Receipt]:
    return [r for r in receipts if r.kind == "status_changed" and r.data.get("to") == to]


def _kind(receipts: list[Receipt], *kinds: str) -> list[Receipt]:
    return [r for r in receipts if r.kind in kinds]


def judge(run: Run, result: Result, *, capture: bool) -> None:
    from cockpit.service.conformance import Row

    case, rows = run.case, result.rows
    add = lambda signal, ok, why: rows.append(Row(signal, bool(ok), why))  # noqa: E731
    mode_flag = "--interactive" if run.mode == "interactive" else "--headless"
    timeout = ["--timeout", "12"] if case.kind == "hang" else []
    out = run.cockpit("dispatch", case.prompt, "--provider", run.cli, mode_flag, "--risk", "low", *timeout)
    if out.returncode != 0:
        add("dispatch", False, _last(out))
        return
    did = result.dispatch_id = out.stdout.strip()
    step = run.step_timeout

    # ready -> delivered (interactive: typed once the ready screen held, confirmed by the CLI)
    delivered = run.wait_for(lambda rs: _kind(rs, "prompt_delivered", "exited", "timed_out"), did, step)
    first = (delivered or [None])[0]
    if first is None or first.kind != "prompt_delivered":
        add("ready", False, f"no prompt_delivered within {step:g} s; receipts: {_kinds(run, did)}")
        return
    if case.kind == "trust":
        trust = [r for r in _kind(run.receipts(did), "answered") if r.data.get("prompt") == "trust"]
        add(
            "trust",
            len(trust) == 1 and trust[0].actor == "supervisor",
            f"answered by {trust[0].actor} with keys {trust[0].data.get('keys')}"
            if trust
            else "the trust prompt was not answered",
        )
    if run.mode == "interactive":
        add("ready", True, "ready screen held; prompt typed in")
    else:
        add("ready", True, f"started; prompt handed over on {first.data.get('via')}")
    if capture and run.mode == "interactive":
        result.screens["after-prompt"] = run.screen(did)

    if case.kind == "auth":
        _judge_auth(run, result, did)
        return
    if case.kind == "hang":
        _judge_hang(run, result, did)
        return

    # working -> waiting (the permission prompt) -> answered
    if case.permission:
        waiting = run.wait_for(lambda rs: _status(rs, "waiting"), did, step)
        _judge_delivery(run, result, did)
        _judge_working(run, result, did)
        if not waiting:
            result.screens["failure"] = run.screen(did)
            add("waiting", False, f"never waiting within {step:g} s; screen: {_tail(result.screens['failure'])}")
            return
        w = waiting[0]
        question = str(w.data.get("question") or w.data.get("screen") or "")
        add("waiting", bool(question.strip()), f"source {w.data.get('source')}: {question.strip()[:80]!r}")
        if capture:
            result.screens["permission"] = run.screen(did)
        answer = "n" if case.kind == "deny" else "y"
        sent = run.cockpit("send", did, "--key", answer)
        answered = [r for r in _kind(run.receipts(did), "answered") if r.data.get("prompt") != "trust"]
        said = (sent.stdout or sent.stderr).strip()
        add("answer", sent.returncode == 0 and bool(answered), f"`cockpit send --key {answer}`: {said[:100]}")

    # end of the turn: idle (interactive) or exited 0 (headless)
    if run.mode == "interactive":
        after = answered[-1].seq if case.permission and answered else 0
        idle = run.wait_for(lambda rs: [r for r in _status(rs, "idle") if r.seq > after], did, step)
        add(
            "idle",
            bool(idle),
            f"idle (source {idle[0].data.get('source')})"
            if idle
            else f"not idle within {step:g} s; screen: {_tail(run.screen(did))}",
        )
        if capture and idle:
            result.screens["idle-after-turn"] = run.screen(did)
    else:
        exited = run.wait_for(lambda rs: _kind(rs, "exited", "timed_out", "killed", "lost"), did, step)
        code = exited[0].data.get("code") if exited and exited[0].kind == "exited" else None
        add("exit", code == 0, f"exited {code}" if exited else f"still running after {step:g} s")

    if not case.permission:  # judged once the run is over: the CLI asks the model after it started
        _judge_delivery(run, result, did)
        _judge_working(run, result, did)
    _judge_edit(run, result, did)
    _judge_usage(run, result, did)
    if case.kind in ("happy", "trust"):
        _judge_gates(run, result, did)


def _judge_delivery(run: Run, result: Result, did: str) -> None:
    from cockpit.service.conformance import Row

    delivered = _kind(run.receipts(did), "prompt_delivered")
    count = run.service.prompt_count(run.case.prompt)
    how = delivered[0].data.get("confirmed_by", delivered[0].data.get("via")) if delivered else "-"
    ok = len(delivered) == 1 and count == 1
    result.rows.append(
        Row(
            "delivered",
            ok,
            f"{len(delivered)} prompt_delivered receipt(s) (confirmed by {how}); "
            f"the model service saw the prompt {count} time(s)",
        )
    )


def _judge_working(run: Run, result: Result, did: str) -> None:
    from cockpit.service.conformance import Row

    receipts = run.receipts(did)
    working = _status(receipts, "working")
    delivered = _kind(receipts, "prompt_delivered")
    # prompt_delivered itself moves a starting worker to working (the store's projection)
    ok = bool(working or delivered)
    sources = sorted({str(r.data.get("source")) for r in working}) or ["prompt_delivered"]
    result.rows.append(Row("working", ok, "working (" + ", ".join(sources) + ")"))


def _judge_edit(run: Run, result: Result, did: str) -> None:
    from cockpit.service.conformance import Row

    case = run.case
    if not case.edit_path:
        return
    assert run.state is not None
    path = run.state.worktree(did) / case.edit_path
    if case.kind == "deny":
        result.rows.append(
            Row(
                "edit",
                not path.exists(),
                "refused: no edit" if not path.exists() else f"{case.edit_path} was written although the permission was refused",
            )
        )
        return
    text = path.read_text(encoding="utf-8") if path.exists() else None
    result.rows.append(
        Row(
            "edit",
            text == case.edit_content,
            f"{case.edit_path} in the worktree"
            if text == case.edit_content
            else f"{case.edit_path}: {'missing' if text is None else repr(text[:60])}",
        )
    )


def _judge_usage(run: Run, result: Result, did: str) -> None:
    from cockpit.service.conformance import Row

    want = run.expected_usage()

    def settled(rs: list[Receipt]) -> list[Receipt]:
        last = _kind(rs, "usage")[-1:]
        hit = (
            last
            and last[0].data.get("input_tokens") == want.input_tokens
            and last[0].data.get("output_tokens") == want.output_tokens
        )
        return last if hit else []

    got = run.wait_for(settled, did, 8) or _kind(run.receipts(did), "usage")[-1:]
    if not got:
        result.rows.append(Row("usage", False, f"no usage receipt; expected {want.input_tokens} in / {want.output_tokens} out"))
        return
    data = got[-1].data
    # no price known anywhere (opencode's own cost 0, no catalog prices): a cost of 0 is right
    ok = (data.get("input_tokens"), data.get("output_tokens"), data.get("cost_micro_usd") or 0) == (
        want.input_tokens,
        want.output_tokens,
        want.cost_micro_usd or 0,
    )
    cost = data.get("cost_micro_usd")
    spent = cost if isinstance(cost, int) else 0
    why = (
        f"{data.get('input_tokens')} in / {data.get('output_tokens')} out, ${spent / 1e6:.6f}"
        f" ({data.get('source', 'output')}); expected {want.input_tokens} / {want.output_tokens}, "
        f"${(want.cost_micro_usd or 0) / 1e6:.6f}"
    )
    totals = [(r.data.get("input_tokens", 0), r.data.get("output_tokens", 0)) for r in _kind(run.receipts(did), "usage")]
    if any(b < a for a, b in pairwise(totals)):
        ok, why = False, f"usage went backwards: {totals}"
    result.rows.append(Row("usage", ok, why))


def _judge_gates(run: Run, result: Result, did: str) -> None:
    from cockpit.service.conformance import Row

    gates = run.cockpit("gates", did, timeout=120)
    result.rows.append(Row("gates", gates.returncode == 0, _last(gates)))
    approve = run.cockpit("approve", did, timeout=120)
    result.rows.append(Row("approve", approve.returncode == 0, _last(approve)))


def _judge_auth(run: Run, result: Result, did: str) -> None:
    from cockpit.service.conformance import Row

    exited = run.wait_for(lambda rs: _kind(rs, "exited", "timed_out"), did, run.step_timeout)
    code = exited[0].data.get("code") if exited else None
    error = (exited[0].data.get("error") or "") if exited else ""
    # aider exits 0 after an authentication failure: its error line is what says it failed
    failed = code not in (0, None) or (code == 0 and bool(error))
    result.rows.append(
        Row(
            "exit",
            bool(exited) and failed,
            (f"exited {code}" + (" with an error line" if code == 0 and error else ""))
            if exited
            else f"still running after {run.step_timeout:g} s",
        )
    )
    status = run.cockpit("status")
    line = next((ln for ln in status.stdout.splitlines() if did in ln), "")
    shown = bool(re.search(r"401|invalid x-api-key|not logged in|auth", line + " " + str(error), re.I))
    result.rows.append(Row("error", shown, f"status: {line.strip()[:120]!r}"))


def _judge_hang(run: Run, result: Result, did: str) -> None:
    from cockpit.service.conformance import Row

    ended = run.wait_for(lambda rs: _kind(rs, "timed_out", "exited"), did, 40)
    ok = bool(ended) and ended[0].kind == "timed_out"
    result.rows.append(Row("timeout", ok, f"{ended[0].kind} {ended[0].data}" if ended else "never ended"))
    stalled = [r for r in run.receipts(did) if "no output" in str(r.data)]
    if stalled:
        result.rows.append(Row("stalled", True, str(stalled[0].data)[:120]))


def _kinds(run: Run, did: str) -> str:
    return ", ".join(r.kind for r in run.receipts(did))


def _tail(screen: str) -> str:
    lines = [ln.strip() for ln in screen.splitlines() if ln.strip()]
    return " | ".join(lines[-4:])[:200]


def _last(proc: Any) -> str:
    text = (proc.stdout + proc.stderr).strip().splitlines()
    return (text[-1] if text else f"exit {proc.returncode}")[:140]
