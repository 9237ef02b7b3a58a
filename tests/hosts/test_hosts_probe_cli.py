"""`cockpit hosts` against real sshd hosts in network namespaces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hostkit import hosts_yaml, write_user_hosts
from netns_lab import NetnsLab


def cockpit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cockpit", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=os.environ
    )


def test_hosts_reports_tools_clis_disk_and_workers(lab_env: NetnsLab, tmp_path: Path) -> None:
    write_user_hosts(hosts_yaml(lab_env, fake_on=("h1", "h2")))
    done = cockpit("hosts", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    probes = {p["name"]: p for p in json.loads(done.stdout)}
    assert list(probes) == ["h1", "h2", "h3"]
    git_here = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    for name, probe in probes.items():
        assert probe["reachable"] is True, probe
        assert probe["usable"] is True, probe
        assert probe["problems"] == []
        assert probe["git"] == git_here
        assert probe["tmux"].startswith("tmux ")
        assert probe["free_disk_bytes"] > 0
        assert probe["running_workers"] == 0
        assert 0 < probe["latency_ms"] < 5000
        assert probe["capacity"] == 2 and probe["labels"] == ["lab", f"{name}-only"]
    fake = {name: next(c for c in p["providers"] if c["name"] == "fake") for name, p in probes.items()}
    assert fake["h1"]["path"] == str(Path(sys.executable).parent / "cockpit-fake-agent")
    assert fake["h1"]["version"] and "cockpit-fake-agent" in fake["h1"]["version"]
    assert fake["h3"]["path"] is None  # not on h3's PATH as its `env` sets it
    # The human table says the same in rows.
    table = cockpit("hosts", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    rows = {line.split()[0]: line for line in table.stdout.splitlines()[1:] if line and not line.startswith(" ")}
    assert set(rows) == {"h1", "h2", "h3"}
    assert "usable" in rows["h1"] and "fake" in rows["h1"] and "fake" not in rows["h3"]


def test_unreachable_host_says_the_ssh_error(lab_env: NetnsLab, tmp_path: Path) -> None:
    write_user_hosts(hosts_yaml(lab_env))
    lab_env.link_down("h2")
    try:
        done = cockpit("hosts", "--json", "h2", "h1", cwd=tmp_path)
    finally:
        lab_env.link_up("h2")
    assert done.returncode == 0, done.stderr
    probes = {p["name"]: p for p in json.loads(done.stdout)}
    assert list(probes) == ["h2", "h1"]
    assert probes["h1"]["usable"] is True
    down = probes["h2"]
    assert down["reachable"] is False and down["usable"] is False
    assert down["error"] == f"Connection to {lab_env.hosts['h2'].address} port 22 timed out"
    assert down["problems"] == [f"unreachable: {down['error']}"]


def test_a_host_with_a_typo_in_its_destination_is_unreachable_not_a_crash(lab_env: NetnsLab, tmp_path: Path) -> None:
    write_user_hosts(f"hosts:\n  nowhere:\n    ssh: root@nosuchhost.invalid\n    root: {tmp_path}/r\n")
    done = cockpit("hosts", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (probe,) = json.loads(done.stdout)
    assert probe["reachable"] is False
    assert "nosuchhost.invalid" in probe["error"]


def test_unknown_host_is_one_line_exit_2(lab_env: NetnsLab, tmp_path: Path) -> None:
    write_user_hosts(hosts_yaml(lab_env))
    done = cockpit("hosts", "h9", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == ["cockpit: unknown host 'h9' (hosts: h1, h2, h3); see docs/hosts.md"]


def leftovers_of_probes() -> list[str]:
    """Sockets, logs and ssh processes a probe could leave under this test's state directory."""
    from cockpit.runtime.ssh import control_dir

    control = control_dir()
    files = sorted(p.name for p in control.iterdir()) if control.is_dir() else []
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return files + [line for line in ps.splitlines() if str(control) in line]


def test_probes_leave_no_control_socket_master_or_log(lab_env: NetnsLab, tmp_path: Path) -> None:
    write_user_hosts(hosts_yaml(lab_env, fake_on=("h1",)))
    lab_env.link_down("h2")
    try:
        done = cockpit("hosts", "--json", cwd=tmp_path)
    finally:
        lab_env.link_up("h2")
    assert done.returncode == 0, done.stderr
    probes = {p["name"]: p for p in json.loads(done.stdout)}
    assert (probes["h1"]["usable"], probes["h2"]["reachable"], probes["h3"]["usable"]) == (True, False, True)
    assert not any(c["path"] for c in probes["h3"]["providers"] if c["name"] == "fake")  # h3: no provider
    assert leftovers_of_probes() == []
    # A dispatch refused because h3 has no provider probed it too: still nothing left.
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path / "r")], check=True)
    subprocess.run(["git", "-C", str(tmp_path / "r"), "commit", "-q", "--allow-empty", "-m", "i"], check=True)
    refused = cockpit("dispatch", "@fake say hi", "--host", "h3", cwd=tmp_path / "r")
    assert refused.returncode == 2 and "ssh:h3: provider fake missing" in refused.stderr, refused.stderr
    assert leftovers_of_probes() == []


def test_a_probe_reuses_a_live_shared_master_and_leaves_it_up(lab_env: NetnsLab, tmp_path: Path) -> None:
    from cockpit.runtime.ssh import SshLink

    write_user_hosts(hosts_yaml(lab_env))
    shared = SshLink("h1")
    shared.connect()  # as a supervisor with workers on h1 holds it
    done = cockpit("hosts", "--json", "h1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert shared.check_master()  # the probe rode it and did not end it
    shared.close()
    assert not shared.check_master()
