"""Automatic placement: a dispatch without --host/--label runs here first, then on the first
host with room and the provider; when every one is full it waits where it could run; the
`placement` receipt names the choice and every rejected executor with its reason."""

from __future__ import annotations

from pathlib import Path

from hostkit import hosts_yaml, write_user_hosts
from netns_lab import NetnsLab


def placement_of(cockpit, dispatch_id: str) -> dict:
    (receipt,) = [r for r in cockpit.receipts(dispatch_id) if r.kind == "placement"]
    return receipt.data


def test_without_hosts_yaml_a_dispatch_runs_here_and_nothing_is_probed(cockpit, lab_env: NetnsLab) -> None:
    from cockpit.runtime.ssh import control_dir

    dispatch_id = cockpit.dispatch("@fake say here")
    cockpit.wait(dispatch_id, until="exited", timeout=60)
    assert cockpit.show(dispatch_id)["executor"] == "local"
    assert "placement" not in cockpit.receipt_kinds(dispatch_id)
    assert not control_dir().exists()  # no ssh was run at all


def test_here_first_then_a_host_then_waiting_here_with_every_reason(cockpit, lab_env: NetnsLab) -> None:
    hosts = hosts_yaml(lab_env, fake_on=("h1", "h2"), capacity=1)
    write_user_hosts(hosts + "placement:\n  local_capacity: 1\n")
    here = cockpit.dispatch("@fake hang")
    assert placement_of(cockpit, here) == {
        "provider": "fake",
        "asked": {"prefer": "local"},
        "chosen": "local",
        "rejected": [],  # room here: the hosts were not even asked
    }
    cockpit.wait(here, until="working", timeout=60)
    lab_env.link_down("h1")
    try:
        there = cockpit.dispatch("@fake hang")
        cockpit.wait(there, until="working", timeout=90)
        waits = cockpit.dispatch("@fake say waited")
    finally:
        lab_env.link_up("h1")
    down = f"unreachable: Connection to {lab_env.hosts['h1'].address} port 22 timed out"
    assert placement_of(cockpit, there) == {
        "provider": "fake",
        "asked": {"prefer": "local"},
        "chosen": "ssh:h2",
        "rejected": [
            {"executor": "local", "reason": "full (1/1 workers)"},
            {"executor": "ssh:h1", "reason": down},
        ],
    }
    assert cockpit.show(there)["executor"] == "ssh:h2"
    # Everything that could run it is full: it waits for this machine's slot, and says so.
    assert placement_of(cockpit, waits) == {
        "provider": "fake",
        "asked": {"prefer": "local"},
        "chosen": "local",
        "rejected": [
            {"executor": "ssh:h1", "reason": down},
            {"executor": "ssh:h2", "reason": "full (1/1 workers)"},
            {"executor": "ssh:h3", "reason": "provider fake missing"},
        ],
        "waiting": "full (1/1 workers)",
    }
    # local_capacity holds this machine, though the global cap (max_workers 4) has room.
    assert cockpit.show(waits)["state"] == "queued"
    cockpit.run("kill", here, check=True)
    cockpit.wait(waits, until="exited", timeout=60)
    assert cockpit.show(waits)["executor"] == "local"
    assert "waited" in Path(cockpit.show(waits)["log"]).read_text()
    cockpit.run("kill", there, check=True)


def test_prefer_hosts_sends_it_to_the_first_host_with_room(cockpit, lab_env: NetnsLab) -> None:
    write_user_hosts(hosts_yaml(lab_env, fake_on=("h2",)) + "placement:\n  prefer: hosts\n")
    dispatch_id = cockpit.dispatch("@fake say remote")
    assert placement_of(cockpit, dispatch_id) == {
        "provider": "fake",
        "asked": {"prefer": "hosts"},
        "chosen": "ssh:h2",
        "rejected": [{"executor": "ssh:h1", "reason": "provider fake missing"}],
    }
    cockpit.wait(dispatch_id, until="exited", timeout=90)
    assert "remote" in Path(cockpit.show(dispatch_id)["log"]).read_text()
