"""No secret of the corpus reaches the ledger, the store or a file others may read, through
real dispatches, notes and gates (fake agent, real tmux and git); and a gate command holding a
secret-shaped string runs exactly as written (only its record is masked)."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

from gatekit import gate_results

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ledger"))
from test_secret_corpus import CASES  # noqa: E402  (the corpus and its parser live with the unit tests)

SECRETS = [part for verdict, _text, parts in CASES if verdict == "mask" for part in parts]
KEY = "sk-ant-api03-Qm7Tz2Kd9Lw4Xr8Vn1Bc6Hj3Fg5Sa0Pe-uIoPlk"


def test_a_secret_in_a_gate_command_runs_as_written_and_is_recorded_masked(cockpit) -> None:
    digest = hashlib.sha256(KEY.encode()).hexdigest()[:16]
    url = "https://alice:Tr0ub4dor-pw-2026@git.example.com/app.git"
    url_digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    singles = [text for verdict, text, _parts in CASES if verdict == "mask" and "\n" not in text]
    prompt = "\n".join(
        [f"Deploy with {KEY} and {url}", *(f"@fake say {text}" for text in singles), "@fake write a.txt x", "@fake commit add a"]
    )
    dispatch_id = cockpit.dispatch(
        prompt,
        "--accept",
        f"test -n {KEY}",  # masked, `***` would glob and the test would fail
        "--accept",
        f'test "$(printf %s {KEY} | sha256sum | cut -c1-16)" = {digest}',
        "--accept",
        f'test "$(printf %s {url} | sha256sum | cut -c1-16)" = {url_digest}',
    )
    for _verdict, text, _parts in CASES:  # every corpus text, multi-line ones too, as a note
        cockpit.run("note", text, check=True)
    cockpit.wait(dispatch_id, until="awaiting_approval", timeout=60)

    results = gate_results(cockpit, dispatch_id)
    for gate in ("accept-1", "accept-2", "accept-3"):
        assert results[gate]["status"] == "passed", results[gate]
    assert results["accept-1"]["command"] == "test -n ***"
    assert "***" in results["accept-3"]["command"] and "Tr0ub4dor" not in results["accept-3"]["command"]
    shown = cockpit.run("review", dispatch_id).stdout + cockpit.run("status", "--json", check=True).stdout
    assert KEY not in shown and "Tr0ub4dor-pw-2026" not in shown

    state = cockpit.ws.state.root
    secrets = [*SECRETS, KEY, "Tr0ub4dor-pw-2026"]
    cockpit.stop()  # the store's WAL is folded into state.db; every writer is done

    ledger = (state / "ledger.ndjson").read_bytes()
    store = b"".join(p.read_bytes() for p in state.glob("state.db*"))
    assert store and b"Deploy with" in ledger
    for secret in secrets:
        assert secret.encode() not in ledger, secret
        assert secret.encode() not in store, secret

    # What cockpit wrote besides: private (0600 files, 0700 directories), whatever they hold.
    log = state / "logs" / f"{dispatch_id}.log"
    assert SECRETS[0].encode() in log.read_bytes()  # the agent's output is kept whole, for its owner only
    assert (state / "dispatches" / dispatch_id / "task.json").exists()
    assert list((state / "reports").rglob("*"))
    opened = []
    for path in [state, *state.rglob("*")]:
        if "worktrees" in path.relative_to(state).parts[:1]:
            continue  # the worker's checkout: the user's files, with git's modes
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode) or stat.S_ISSOCK(mode):
            continue
        if mode & 0o077:
            opened.append(f"{oct(mode & 0o777)} {path.relative_to(state)}")
    assert not opened, opened
    assert not stat.S_IMODE(os.stat(state).st_mode) & 0o077
