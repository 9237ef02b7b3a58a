"""`cockpit hosts` and dispatch with nothing but a plain `~/.ssh/config`: no $COCKPIT_SSH_CONFIG.

OpenSSH finds `~/.ssh/config` through the password database's home directory, not $HOME,
so the test gives cockpit (and the supervisor it starts) a home of its own the way a real
user has one: in a private mount namespace (`unshare --mount`) the test's home directory
is mounted over the user's, and $HOME points at it too. The real home is never touched.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostkit import hosts_yaml
from netns_lab import NetnsLab

PW_HOME = pwd.getpwuid(os.getuid()).pw_dir


@pytest.fixture
def plain_home(lab: NetnsLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A home holding only `.ssh/config` (one alias per lab host, its address, the key and the
    known_hosts file); $COCKPIT_SSH_CONFIG unset."""
    monkeypatch.delenv("COCKPIT_SSH_CONFIG", raising=False)
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    entries = [
        f"Host plain-{alias}\n  HostName {host.address}\n  User root\n  IdentityFile {lab.directory / 'client_key'}\n"
        f"  IdentitiesOnly yes\n  UserKnownHostsFile {lab.directory / 'known_hosts'}\n  StrictHostKeyChecking yes\n"
        for alias, host in lab.hosts.items()
    ]
    (home / ".ssh" / "config").write_text("".join(entries))
    (home / ".ssh" / "config").chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    yield home
    closing = "from cockpit.runtime.ssh import SshLink\nfor a in ('h1', 'h2', 'h3'):\n    SshLink('plain-' + a).close()"
    subprocess.run(in_home(home, [sys.executable, "-c", closing]), capture_output=True, timeout=60)


def kept_from_real_home() -> list[str]:
    """What the test's processes need from the real home (this Python, when it lives there)."""
    python = Path(sys.executable).resolve()
    if python.is_relative_to(PW_HOME):
        return [python.relative_to(PW_HOME).parts[0]]
    return []


def in_home(home: Path, argv: list[str]) -> list[str]:
    """`argv` in a mount namespace where `home` is mounted over the user's home directory
    (with the real home's Python directory mounted inside it, so this interpreter runs)."""
    binds = ""
    for name in kept_from_real_home():
        (home / name).mkdir(exist_ok=True)
        binds += f'mount --bind "$1/{name}" "$0/{name}" && '
    script = binds + 'mount --rbind "$0" "$1" && shift && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(home), PW_HOME, *argv]


def run(home: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        in_home(home, [sys.executable, "-m", "cockpit", *args]), cwd=cwd, capture_output=True, text=True, timeout=180
    )


def test_hosts_and_dispatch_through_a_plain_ssh_config(cockpit, lab: NetnsLab, plain_home: Path) -> None:
    user_hosts = Path(os.environ["XDG_CONFIG_HOME"]) / "cockpit" / "hosts.yaml"
    user_hosts.parent.mkdir(parents=True, exist_ok=True)
    user_hosts.write_text(hosts_yaml(lab, fake_on=("h1", "h2")).replace("ssh: h", "ssh: plain-h"))
    # Without the namespace (the real home's ssh config knows no such alias) it is unreachable:
    # so what follows really goes through the plain ~/.ssh/config.
    outside = subprocess.run(
        [sys.executable, "-m", "cockpit", "hosts", "--json", "h1"], cwd=cockpit.repo, capture_output=True, text=True, timeout=120
    )
    assert outside.returncode == 0, outside.stderr
    assert json.loads(outside.stdout)[0]["reachable"] is False
    listed = run(plain_home, cockpit.repo, "hosts", "--json")
    assert listed.returncode == 0, listed.stderr
    probes = {p["name"]: p for p in json.loads(listed.stdout)}
    assert {name: (p["reachable"], p["usable"]) for name, p in probes.items()} == {
        "h1": (True, True),
        "h2": (True, True),
        "h3": (True, True),
    }
    assert [p["ssh"] for p in probes.values()] == ["plain-h1", "plain-h2", "plain-h3"]
    made = run(plain_home, cockpit.repo, "dispatch", "@fake write notes/p.txt plain\n@fake say done", "--label", "lab")
    assert made.returncode == 0, made.stderr
    dispatch_id = made.stdout.strip()
    cockpit.wait(dispatch_id, until="exited", timeout=120)
    view = cockpit.show(dispatch_id)
    assert view["executor"] == "ssh:h1" and view["exit_code"] == 0
    assert "done" in Path(view["log"]).read_text()
    remote = list((lab.hosts["h1"].root / "worktrees").glob(f"*/{dispatch_id}/notes/p.txt"))
    assert [p.read_text() for p in remote] == ["plain"]
    torn = run(plain_home, cockpit.repo, "teardown", dispatch_id)
    assert torn.returncode == 0, torn.stderr + torn.stdout
    # The supervisor stops inside the namespace too (the fixture's stop asks it over its socket).
