"""`cockpit restore ID --host NAME`: an archived dispatch's work back on an SSH host, byte for
byte (commits, staged, unstaged and untracked changes, modes, symlinks); bad input refused
before anything is written, here or there."""

from __future__ import annotations

import os
from pathlib import Path

from hostkit import git, hosts_yaml, write_user_hosts
from netns_lab import NetnsLab


def worktree_state(worktree: Path) -> dict:
    """Everything a worktree holds: HEAD, the index, every file's mode and bytes, the status."""
    files = {}
    for path in sorted(worktree.rglob("*")):
        rel = path.relative_to(worktree)
        if rel.parts[0] == ".git":
            continue
        if path.is_symlink():
            files[str(rel)] = ("link", os.readlink(path))
        elif path.is_file():
            # git keeps the executable bit, not the rest of the mode (0600 comes back as 0644).
            files[str(rel)] = ("exec" if path.stat().st_mode & 0o100 else "file", path.read_bytes())
    return {
        "head": git(worktree, "rev-parse", "HEAD").strip(),
        "branch": git(worktree, "symbolic-ref", "HEAD").strip(),
        "index": git(worktree, "ls-files", "-s"),
        "files": files,
        "status": git(worktree, "status", "--porcelain=v1", "-uall"),
    }


def host_worktree(lab: NetnsLab, alias: str, dispatch_id: str) -> list[Path]:
    return list((lab.hosts[alias].root / "worktrees").glob(f"*/{dispatch_id}"))


def everything_here(cockpit) -> tuple:
    return (
        cockpit.receipt_kinds(),
        git(cockpit.repo, "for-each-ref"),
        git(cockpit.repo, "worktree", "list", "--porcelain"),
    )


def on_hosts(lab: NetnsLab) -> list[str]:
    return sorted(str(p) for host in lab.hosts.values() for p in host.root.rglob("*"))


def test_restore_on_a_host_brings_back_every_byte(cockpit, lab_env: NetnsLab) -> None:
    write_user_hosts(hosts_yaml(lab_env, fake_on=("h1", "h2")))
    dispatch_id = cockpit.dispatch(
        "@fake write notes/a.txt committed\n@fake commit add a\n@fake write draft.txt untracked", "--host", "h1"
    )
    cockpit.wait(dispatch_id, until="exited", timeout=120)
    (there,) = host_worktree(lab_env, "h1", dispatch_id)
    # Every kind of state a worktree can hold, made on the host by hand after the worker.
    (there / "notes" / "a.txt").write_text("staged\n")
    git(there, "add", "notes/a.txt")
    (there / "notes" / "a.txt").write_text("staged\nthen unstaged\n")
    (there / "README.md").unlink()
    (there / "blob.bin").write_bytes(bytes(range(256)) * 3)
    (there / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (there / "run.sh").chmod(0o755)
    os.symlink("notes/a.txt", there / "link")
    (there / "deep" / "er").mkdir(parents=True)
    (there / "deep" / "er" / "x.txt").write_text("nested\n")
    before = worktree_state(there)
    assert before["status"]  # it really is dirty
    torn = cockpit.run("teardown", dispatch_id)
    assert torn.returncode == 0, torn.stderr + torn.stdout
    assert host_worktree(lab_env, "h1", dispatch_id) == []  # archived here, then removed there
    restored = cockpit.run("restore", dispatch_id, "--host", "h2")
    assert restored.returncode == 0, restored.stderr + restored.stdout
    (back,) = host_worktree(lab_env, "h2", dispatch_id)
    assert worktree_state(back) == before
    # The local mirror holds the same, and h2 is now where the dispatch lives.
    mirror = Path(cockpit.show(dispatch_id)["worktree"])
    assert worktree_state(mirror) == before
    view = cockpit.show(dispatch_id)
    assert view["executor"] == "ssh:h2"
    receipt = [r for r in cockpit.receipts(dispatch_id) if r.kind == "restored"][-1]
    assert (receipt.data["host"], receipt.data["executor"], receipt.data["had_uncommitted"]) == ("h2", "ssh:h2", True)
    # A second teardown archives it from h2 again: nothing lost on the round trip.
    again = cockpit.run("teardown", dispatch_id)
    assert again.returncode == 0, again.stderr + again.stdout
    assert host_worktree(lab_env, "h2", dispatch_id) == []
    assert cockpit.run("restore", dispatch_id).returncode == 0  # and here, plainly
    assert worktree_state(mirror) == before


def test_restore_on_a_host_bad_input_one_line_exit_2_nothing_written(cockpit, lab_env: NetnsLab) -> None:
    write_user_hosts(hosts_yaml(lab_env, fake_on=("h1", "h2")))
    live = cockpit.dispatch("@fake write a.txt x\n@fake hang", "--host", "h1")
    cockpit.wait(live, until="working", timeout=120)
    done = cockpit.dispatch("@fake write b.txt y", "--host", "h1")
    cockpit.wait(done, until="exited", timeout=120)
    assert cockpit.run("teardown", done).returncode == 0
    here, there = everything_here(cockpit), on_hosts(lab_env)
    lab_env.link_down("h3")
    try:
        down = cockpit.run("restore", done, "--host", "h3")
    finally:
        lab_env.link_up("h3")
    cases = [
        (cockpit.run("restore", done, "--host", "nope"), "cockpit: unknown host 'nope' (hosts: h1, h2, h3); see docs/hosts.md"),
        (cockpit.run("restore", live, "--host", "h2"), "was not torn down; its worktree is"),
        (down, f"cockpit: cannot restore {done} on h3: "),
    ]
    for result, start in cases:
        lines = result.stderr.splitlines()
        assert (result.returncode, result.stdout, len(lines)) == (2, "", 1), result
        assert start in lines[0], lines
    assert everything_here(cockpit) == here
    assert on_hosts(lab_env) == there
    cockpit.run("kill", live, check=True)
