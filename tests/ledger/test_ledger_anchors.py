"""Anchors outside the state directory, through the real CLI: trailers in real git history, checkpoints
signed by real ssh-keygen keys, and the document's by-hand commands run as written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
from tamperkit import CASES, genuine_ledger, lines_of, rechain, write_head  # noqa: E402

from cockpit.ledger import Ledger, verify  # noqa: E402
from cockpit.service.workspace import Workspace  # noqa: E402

DOC = Path(__file__).resolve().parents[2] / "docs" / "receipts.md"


def sh_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def cli(repo: Path, *args: str, home: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(home or repo.parent / "home")}
    return subprocess.run(
        [sys.executable, "-m", "cockpit", *args], cwd=repo, capture_output=True, text=True, env=env, timeout=120
    )


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@e",
    }
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def ledger_with_notes(repo: Path, count: int) -> Path:
    assert cli(repo, "init").returncode == 0
    state = Workspace.open(repo).state.ledger_dir
    with Ledger(state) as ledger:
        for i in range(count):
            ledger.append("note", actor="op@box", data={"text": f"note {i}"})
    return state


def record_hash(state: Path, seq: int) -> str:
    return json.loads(lines_of(state)[seq - 1])["hash"]


def anchor_commit(repo: Path, ref: str, seq: int, digest: str) -> str:
    commit = git(
        repo,
        "commit-tree",
        "HEAD^{tree}",
        "-p",
        "HEAD",
        "-m",
        f"cockpit: promote x\n\nApproved by t.\n\nCockpit-Ledger: {seq} {digest}",
    ).strip()
    git(repo, "update-ref", ref, commit)
    return commit


def reforge_from(state: Path, k: int) -> None:
    """Rewrite record k and every later hash and the head: the chain alone still verifies."""
    lines = lines_of(state)
    forged = rechain(lines, k - 1, json.loads(lines[k - 2])["hash"], k, actor="mallory")
    (state / "ledger.ndjson").write_bytes(b"".join(forged))
    write_head(state, forged)
    assert verify(state).ok


def new_key(path: Path, comment: str = "alice@example.com") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)], check=True)
    return path


def test_trailers_in_every_ref_anchor_the_ledger_and_catch_a_full_reforge(repo: Path) -> None:
    state = ledger_with_notes(repo, 30)
    out = cli(repo, "receipts", "verify")
    assert out.returncode == 0 and "anchors: none found" in out.stdout
    on_cockpit_ref = anchor_commit(repo, "refs/cockpit/promoted/test", 20, record_hash(state, 20))
    anchor_commit(repo, "refs/heads/feature", 25, record_hash(state, 25))
    out = cli(repo, "receipts", "verify")
    assert out.returncode == 0, out.stderr
    assert "anchors: 2 checked, all agree; 7 records after the last anchor" in out.stdout  # 32 records
    by_hand = subprocess.run(["sh", "-c", sh_blocks()[0]], cwd=repo, capture_output=True, text=True, check=True)
    assert by_hand.stdout.split() == sorted([f"20:{record_hash(state, 20)}", f"25:{record_hash(state, 25)}"])

    reforge_from(state, 12)
    out = cli(repo, "receipts", "verify")
    assert out.returncode == 1
    assert out.stderr.startswith("BROKEN at line 20 (seq 20): anchor mismatch: commit " + on_cockpit_ref[:12])
    assert "record 20" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_a_signed_checkpoint_is_written_with_the_users_key_and_checked(repo: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    state = ledger_with_notes(repo, 10)
    out = cli(repo, "receipts", "checkpoint", home=home)
    assert out.returncode == 2 and "no SSH key to sign with" in out.stderr and "--key" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    out = cli(repo, "receipts", "checkpoint", "--key", str(tmp_path / "nope"), home=home)
    assert out.returncode == 2 and "does not exist" in out.stderr

    new_key(home / ".ssh" / "id_ed25519")
    ckpt_dir = tmp_path / "kept"
    ckpt_dir.mkdir()
    out = cli(repo, "receipts", "checkpoint", "--out", str(ckpt_dir / "checkpoint"), home=home)
    assert out.returncode == 0, out.stderr
    text = (ckpt_dir / "checkpoint").read_text()
    origin, seq, digest, when, empty, begin = text.split("\n")[:6]
    common = Path(git(repo, "rev-parse", "--git-common-dir").strip())
    assert origin == "cockpit-ledger:" + str((repo / common).resolve())
    assert (int(seq), digest, empty, begin) == (12, record_hash(state, 12), "", "-----BEGIN SSH SIGNATURE-----")
    assert re.fullmatch(r"time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", when)
    by_hand = subprocess.run(["sh", "-c", sh_blocks()[1]], cwd=ckpt_dir, capture_output=True, text=True)
    assert by_hand.returncode == 0 and 'Good "cockpit-ledger" signature' in by_hand.stderr + by_hand.stdout
    assert by_hand.stdout.strip().splitlines()[-1] == f"12:{digest}"

    out = cli(repo, "receipts", "verify", "--checkpoint", str(ckpt_dir / "checkpoint"), home=home)
    assert out.returncode == 0 and "anchors: 1 checked, all agree; 0 records after" in out.stdout
    assert "signed by ED25519 key SHA256:" in out.stdout
    pub = (home / ".ssh" / "id_ed25519.pub").read_text()
    (tmp_path / "allowed").write_text(f"alice@example.com {pub}")
    out = cli(
        repo,
        "receipts",
        "verify",
        "--checkpoint",
        str(ckpt_dir / "checkpoint"),
        "--allowed-signers",
        str(tmp_path / "allowed"),
        home=home,
    )
    assert out.returncode == 0 and "signed by alice@example.com" in out.stdout
    other = new_key(tmp_path / "other" / "key", "mallory@example.com")
    (tmp_path / "others").write_text(f"mallory@example.com {Path(str(other) + '.pub').read_text()}")
    out = cli(
        repo,
        "receipts",
        "verify",
        "--checkpoint",
        str(ckpt_dir / "checkpoint"),
        "--allowed-signers",
        str(tmp_path / "others"),
        home=home,
    )
    assert out.returncode == 1 and "does not list" in out.stderr

    with Ledger(state) as ledger:
        for i in range(3):
            ledger.append("note", actor="op@box", data={"text": f"later {i}"})
    out = cli(repo, "receipts", "verify", "--checkpoint", str(ckpt_dir / "checkpoint"), home=home)
    assert out.returncode == 0 and "3 records after the last anchor (checkpoint " in out.stdout

    edited = ckpt_dir / "edited"
    edited.write_text(text.replace(f"\n{digest}\n", f"\n{record_hash(state, 14)}\n").replace("\n12\n", "\n14\n"))
    out = cli(repo, "receipts", "verify", "--checkpoint", str(edited), home=home)
    assert out.returncode == 1 and "the signature does not match its content" in out.stderr

    reforge_from(state, 5)
    out = cli(repo, "receipts", "verify", "--checkpoint", str(ckpt_dir / "checkpoint"), home=home)
    assert out.returncode == 1 and "anchor mismatch: checkpoint " in out.stderr and "record 12" in out.stderr


def test_a_checkpoint_of_another_repository_or_a_bad_file_is_refused(repo: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    new_key(home / ".ssh" / "id_ed25519")
    ledger_with_notes(repo, 2)
    other = tmp_path / "other-repo"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    git(other, "commit", "-q", "--allow-empty", "-m", "one")
    assert cli(other, "init", home=home).returncode == 0
    assert cli(other, "receipts", "checkpoint", "--out", str(tmp_path / "theirs"), home=home).returncode == 0
    out = cli(repo, "receipts", "verify", "--checkpoint", str(tmp_path / "theirs"), home=home)
    assert out.returncode == 1 and "not this repository" in out.stderr
    (tmp_path / "junk").write_text("hello\n")
    out = cli(repo, "receipts", "verify", "--checkpoint", str(tmp_path / "junk"), home=home)
    assert out.returncode == 2 and "is not a cockpit checkpoint" in out.stderr and "Traceback" not in out.stderr
    out = cli(repo, "receipts", "verify", "--checkpoint", str(tmp_path / "missing"), home=home)
    assert out.returncode == 2 and "cannot read the checkpoint" in out.stderr


def test_strict_makes_a_lagging_head_an_error(repo: Path) -> None:
    state = ledger_with_notes(repo, 3)
    head = json.loads((state / "ledger.head").read_bytes())
    Ledger(state).append("note", actor="op@box", data={"text": "one more"})
    head["next"] = (state / "ledger.ndjson").stat().st_size  # killed between the ledger's fsync and the head's
    (state / "ledger.head").write_bytes(json.dumps(head, sort_keys=True, separators=(",", ":")).encode().ljust(255) + b"\n")
    out = cli(repo, "receipts", "verify")
    assert out.returncode == 0 and "the head is 1 record(s) behind" in out.stdout
    out = cli(repo, "receipts", "verify", "--strict")
    assert out.returncode == 1 and "head lag" in out.stderr and "1 record(s) behind" in out.stderr


@pytest.mark.tmux
def test_promotion_commits_carry_the_ledger_trailer_for_merge_and_rebase(cockpit) -> None:
    trailer = re.compile(r"^Cockpit-Ledger: (\d+) ([0-9a-f]{64})$", re.M)
    for strategy in ("merge", "rebase"):
        dispatch_id = cockpit.dispatch(f"@fake write {strategy}.txt x\n@fake commit add {strategy}", "--risk", "low")
        cockpit.wait(dispatch_id, until="awaiting_approval")
        cockpit.run("approve", dispatch_id, "--strategy", strategy, check=True)
        message = git(cockpit.repo, "log", "-1", "--format=%B", "main")
        found = trailer.search(message)
        assert found, message
        seq, digest = int(found.group(1)), found.group(2)
        receipts = cockpit.receipts()
        approved = next(r for r in receipts if r.kind == "approved" and r.dispatch == dispatch_id)
        promoted = next(r for r in receipts if r.kind == "promoted" and r.dispatch == dispatch_id)
        assert approved.seq <= seq < promoted.seq and receipts[seq - 1].hash == digest
        if strategy == "rebase":
            assert message.startswith(f"add {strategy}\n")  # the agent's own message, the trailer appended
    out = cockpit.run("receipts", "verify")
    assert out.returncode == 0 and "anchors: 2 checked, all agree" in out.stdout


def _wait_for(predicate, limit: float = 60) -> None:
    import time

    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.tmux
def test_the_supervisor_signs_checkpoints_when_configured(cockpit, tmp_path: Path) -> None:
    key = new_key(tmp_path / "keys" / "id")
    kept = tmp_path / "kept"
    (cockpit.repo / ".cockpit").mkdir(exist_ok=True)
    (cockpit.repo / ".cockpit" / "config.yaml").write_text(f"checkpoints:\n  dir: {kept}\n  every_s: 1\n  key: {key}\n")
    cockpit.run("status", check=True)  # starts the supervisor, which records supervisor_started
    path = kept / f"{cockpit.ws.state.root.name}.checkpoint"
    _wait_for(path.exists)
    out = cockpit.run("receipts", "verify")
    assert out.returncode == 0 and "anchors: 1 checked, all agree" in out.stdout and str(path) in out.stdout
    noted = int(cockpit.run("note", "after the first checkpoint", check=True).stdout.split()[-1])
    _wait_for(lambda: int(path.read_text().split("\n")[1]) >= noted)  # the next checkpoint covers the note


KEYLESS = [
    "full reforge with head rewrite",
    "forged tail, head untouched",
    "first record dropped and rechained",
    "genesis forged and rechained",
]


@pytest.mark.parametrize("case", KEYLESS)
def test_what_the_chain_alone_misses_is_caught_with_real_anchors_by_cockpit_and_the_document(
    repo: Path, tmp_path: Path, case: str
) -> None:
    home = tmp_path / "home"
    new_key(home / ".ssh" / "id_ed25519")
    state = Workspace.open(repo).state.ledger_dir
    seq, digest = genuine_ledger(state)
    anchor_commit(repo, "refs/heads/main", seq, digest)  # as a promotion commit on main would
    kept = tmp_path / "kept"
    kept.mkdir()
    assert cli(repo, "receipts", "checkpoint", "--out", str(kept / "checkpoint"), home=home).returncode == 0
    tamper, reason, line = CASES[case]
    tamper(state)

    out = cli(repo, "receipts", "verify", "--checkpoint", str(kept / "checkpoint"), home=home)
    assert out.returncode == 1 and out.stderr.startswith(f"BROKEN at line {line} (seq ")
    assert f": {reason}: " in out.stderr
    trailers = subprocess.run(["sh", "-c", sh_blocks()[0]], cwd=repo, capture_output=True, text=True, check=True)
    signed = subprocess.run(["sh", "-c", sh_blocks()[1]], cwd=kept, capture_output=True, text=True, check=True)
    anchors = trailers.stdout.split() + signed.stdout.split()[-1:]
    assert anchors == [f"{seq}:{digest}"] * 2
    script = tmp_path / "verifier.py"
    script.write_text("\n\n".join(re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)))
    doc = subprocess.run([sys.executable, str(script), str(state), *anchors], capture_output=True, text=True)
    assert doc.stdout.strip() == f"line {line}: {reason}"
