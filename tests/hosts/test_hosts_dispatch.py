"""`cockpit dispatch --host/--label`: a worker on an SSH host (a network namespace running
sshd), judged and promoted here; placement receipts; bad input refused before anything."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from hostkit import git, hosts_yaml, write_user_hosts
from netns_lab import NetnsLab

from cockpit.domain.hosts import RETRY_CAP_S, retry_delay


def commit_gates(repo: Path) -> None:
    (repo / ".cockpit").mkdir(exist_ok=True)
    (repo / ".cockpit" / "gates.yaml").write_text(
        "gates:\n  unit:\n    kind: command\n    run: grep -q hi notes/a.txt\n    timeout: 30\n"
    )
    git(repo, "add", ".cockpit/gates.yaml")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "-m", "gates")


def test_dispatch_to_a_host_gates_and_approve_promote_here(cockpit, lab_env: NetnsLab) -> None:
    write_user_hosts(hosts_yaml(lab_env))
    commit_gates(cockpit.repo)
    before = git(cockpit.repo, "rev-parse", "main").strip()
    dispatch_id = cockpit.dispatch(
        "@fake write notes/a.txt hi\n@fake commit add a\n@fake write draft.txt uncommitted", "--host", "h2", "--gate", "unit"
    )
    cockpit.wait(dispatch_id, until="awaiting_approval", timeout=120)
    receipts = {r.kind: r for r in cockpit.receipts(dispatch_id)}
    assert receipts["placement"].data == {
        "provider": "fake",
        "asked": {"host": "h2"},
        "chosen": "ssh:h2",
        "rejected": [],
    }
    assert receipts["worker_started"].data["host"] == "h2"
    view = cockpit.show(dispatch_id)
    assert view["executor"] == "ssh:h2"
    # The work happened on the host, in cockpit's clone under its root.
    root = lab_env.hosts["h2"].root
    remote_worktrees = list((root / "worktrees").glob(f"*/{dispatch_id}"))
    assert len(remote_worktrees) == 1 and (remote_worktrees[0] / "notes" / "a.txt").read_text() == "hi"
    remote_head = git(remote_worktrees[0], "rev-parse", "HEAD").strip()
    # Gates judged the fetched-back work: the same commit, bound to the same diff hash.
    gating = next(r.data for r in cockpit.receipts(dispatch_id) if r.kind == "review_changed" and r.data["to"] == "gating")
    unit = receipts["gate_result"].data
    assert (unit["gate"], unit["status"], unit["head_commit"]) == ("unit", "passed", remote_head)
    assert unit["diff_sha256"] == gating["diff_sha256"] and gating["head"] == remote_head
    # The judged tree (the evidence ref) is the host's worktree as it is, untracked file included.
    index = remote_worktrees[0].parent / "probe.index"
    env = {**os.environ, "GIT_INDEX_FILE": str(index)}
    subprocess.run(["git", "add", "-A"], cwd=remote_worktrees[0], env=env, check=True)
    host_tree = subprocess.run(
        ["git", "write-tree"], cwd=remote_worktrees[0], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    index.unlink()
    assert git(cockpit.repo, "rev-parse", f"refs/cockpit/evidence/{dispatch_id}^{{tree}}").strip() == host_tree
    approved = cockpit.run("approve", dispatch_id)
    assert approved.returncode == 0, approved.stderr + approved.stdout
    assert cockpit.show(dispatch_id)["review"] == "promoted"
    new = git(cockpit.repo, "rev-parse", "main").strip()
    # Promotion commits the uncommitted draft on top of the host's head: exactly the judged tree.
    assert git(cockpit.repo, "rev-parse", f"{new}^1", f"{new}^2^", f"{new}^2^{{tree}}").split() == [
        before,
        remote_head,
        host_tree,
    ]
    assert (cockpit.repo / "notes" / "a.txt").read_text() == "hi"
    assert (cockpit.repo / "draft.txt").read_text() == "uncommitted"
    kinds = cockpit.receipt_kinds(dispatch_id)
    assert kinds.index("placement") < kinds.index("worker_started") < kinds.index("exited") < kinds.index("promoted")


def test_bad_input_one_line_exit_2_nothing_written(cockpit, lab_env: NetnsLab) -> None:
    write_user_hosts(hosts_yaml(lab_env, fake_on=("h1", "h2")))
    ledger_before = cockpit.receipt_kinds()
    refs_before = git(cockpit.repo, "for-each-ref")
    on_hosts_before = sorted(str(p) for host in lab_env.hosts.values() for p in host.root.rglob("*"))
    cases = [
        (("--host", "nope"), "cockpit: unknown host 'nope' (hosts: h1, h2, h3); see docs/hosts.md"),
        (
            ("--label", "nolabel"),
            "cockpit: no host has the label 'nolabel'; `cockpit hosts` lists the hosts; labels are in hosts.yaml",
        ),
        (
            ("--host", "h1", "--label", "lab"),
            "cockpit dispatch: argument --label: not allowed with argument --host; see `cockpit dispatch --help`",
        ),
        (
            ("--host", "h3"),
            "cockpit: no executor can run this dispatch (--host h3): ssh:h3: provider fake missing; `cockpit hosts` shows each host's state",
        ),
    ]
    for args, message in cases:
        done = cockpit.run("dispatch", "@fake say hi", *args)
        assert (done.returncode, done.stdout, done.stderr.splitlines()) == (2, "", [message]), args
    assert cockpit.receipt_kinds() == ledger_before
    assert git(cockpit.repo, "for-each-ref") == refs_before
    assert sorted(str(p) for host in lab_env.hosts.values() for p in host.root.rglob("*")) == on_hosts_before


def test_placement_by_label_names_every_rejected_executor_and_why(cockpit, lab_env: NetnsLab) -> None:
    write_user_hosts(hosts_yaml(lab_env, capacity=1).replace("labels: [lab, h3-only]", "labels: [lab]"))
    busy = cockpit.dispatch("@fake hang", "--host", "h1")  # h1 (capacity 1) is now full
    cockpit.wait(busy, until="working", timeout=60)
    lab_env.link_down("h2")
    try:
        placed = cockpit.dispatch("@fake say placed", "--label", "lab")
    finally:
        lab_env.link_up("h2")
    receipt = next(r for r in cockpit.receipts(placed) if r.kind == "placement")
    address = lab_env.hosts["h2"].address
    assert receipt.data == {
        "provider": "fake",
        "asked": {"label": "lab"},
        "chosen": "ssh:h3",
        "rejected": [
            {"executor": "local", "reason": "label mismatch (no lab)"},
            {"executor": "ssh:h1", "reason": "full (1/1 workers)"},
            {"executor": "ssh:h2", "reason": f"unreachable: Connection to {address} port 22 timed out"},
        ],
    }
    cockpit.wait(placed, until="exited", timeout=60)
    assert "placed" in (Path(cockpit.show(placed)["log"]).read_text())
    # Attaching to the busy worker is `ssh -t` into its tmux on h1 (checked here without a
    # terminal: the same command line, asking has-session instead of attaching).
    from cockpit.service.logs import attach_command

    argv, _env = attach_command(cockpit.ws, busy)
    assert argv[0] == "ssh" and "-t" in argv and "h1" in argv and "attach-session" in argv[-1]
    probe = subprocess.run([*argv[:-1], argv[-1].replace("attach-session", "has-session")], capture_output=True, timeout=30)
    assert probe.returncode == 0, probe.stderr
    killed = cockpit.run("kill", busy, check=True)
    assert cockpit.show(busy)["state"] == "killed", killed.stdout


def test_link_cut_marks_unreachable_then_working_again_with_no_output_lost(cockpit, lab_env: NetnsLab) -> None:
    write_user_hosts(hosts_yaml(lab_env))
    dispatch_id = cockpit.dispatch("@fake lines 1000 5", "--host", "h3")
    cockpit.wait(dispatch_id, until="working", timeout=60)
    log = Path(cockpit.show(dispatch_id)["log"])
    deadline = time.monotonic() + 60
    while b"line 2 of 1000" not in (log.read_bytes() if log.exists() else b""):
        assert time.monotonic() < deadline, "no output from the host"
        time.sleep(0.1)
    lab_env.link_down("h3")
    try:
        cockpit.wait(dispatch_id, until="unreachable", timeout=90)
        size_while_down = log.stat().st_size
    finally:
        lab_env.link_up("h3")
    cockpit.wait(dispatch_id, until="working", timeout=90)
    changes = [(r.data["to"], r.data.get("source")) for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed"]
    assert changes[-2:] == [("unreachable", "link"), ("working", "link")]
    down, up = [r.data for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed"][-2:]
    assert down["reason"] and 0 < down["retry_in_ms"] <= RETRY_CAP_S * 1000
    assert up["host"] == "h3" and up["tries"] >= 2 and up["unreachable_ms"] > 0
    assert "lost" not in cockpit.receipt_kinds(dispatch_id)
    # What it printed while the link was down is fetched from the host's log: no gap, no repeat.
    deadline = time.monotonic() + 60
    while log.stat().st_size <= size_while_down + 200:
        assert time.monotonic() < deadline, "no output after the link came back"
        time.sleep(0.1)
    cockpit.run("kill", dispatch_id, check=True)
    lines = [ln for ln in log.read_text().splitlines() if " of 1000" in ln]
    assert len(lines) > 20 and lines == [f"line {n} of 1000" for n in range(1, len(lines) + 1)]


def test_a_host_refusing_at_once_is_retried_with_backoff_not_hammered(cockpit, lab_env: NetnsLab) -> None:
    write_user_hosts(hosts_yaml(lab_env))
    dispatch_id = cockpit.dispatch("@fake hang", "--host", "h2")
    cockpit.wait(dispatch_id, until="working", timeout=60)
    lab_env.link_down("h2")
    lab_env.refuse_route("h2")  # every try fails at once: only the backoff spaces them
    try:
        cockpit.wait(dispatch_id, until="unreachable", timeout=90)
        time.sleep(12)  # the outage: long enough for several tries 1, 2, 4 … s apart
    finally:
        lab_env.restore_route("h2")
        lab_env.link_up("h2")
    cockpit.wait(dispatch_id, until="working", timeout=90)  # it kept trying, and came back
    down, up = [r.data for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed"][-2:]
    assert (down["to"], up["to"]) == ("unreachable", "working")
    assert "No route to host" in down["reason"], down
    failures = up["tries"] - 1
    assert failures >= 3, up  # it went on trying while the host was away
    # Each failed try waited its delay before the next: they fit in the time it was away.
    assert sum(retry_delay(n) for n in range(1, failures + 1)) <= up["unreachable_ms"] / 1000 + 0.5, up
    cockpit.run("kill", dispatch_id, check=True)


def test_supervisor_killed_while_a_remote_worker_runs_is_readopted(cockpit, lab_env: NetnsLab) -> None:
    import signal

    write_user_hosts(hosts_yaml(lab_env))
    dispatch_id = cockpit.dispatch("@fake lines 50 5", "--host", "h1")
    cockpit.wait(dispatch_id, until="working", timeout=60)
    log = Path(cockpit.show(dispatch_id)["log"])
    deadline = time.monotonic() + 60
    while b"line 3 of 50" not in (log.read_bytes() if log.exists() else b""):
        assert time.monotonic() < deadline, "no output from the host"
        time.sleep(0.1)
    pid = int(cockpit.ws.state.supervisor_lock.read_text().strip())
    cockpit.client.close()
    cockpit._client = None
    os.kill(pid, signal.SIGKILL)
    time.sleep(2)  # the worker goes on printing on the host with no supervisor at all
    cockpit.wait(dispatch_id, until="exited", timeout=90)  # a new supervisor starts and adopts it
    started = [r for r in cockpit.receipts() if r.kind == "supervisor_started"]
    assert started[-1].data["adopted"] == 1
    assert "lost" not in cockpit.receipt_kinds(dispatch_id)
    assert cockpit.show(dispatch_id)["exit_code"] == 0
    lines = [ln for ln in log.read_text().splitlines() if " of 50" in ln]
    assert lines == [f"line {n} of 50" for n in range(1, 51)]
