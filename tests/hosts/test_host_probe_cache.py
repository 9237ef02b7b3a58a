"""The supervisor's `hosts` answer is a probe of the last few seconds: asking again within the
time-to-live costs no ssh, `refresh` probes now, and requests that arrive while a probe runs
share it. The host here is a real ssh destination that refuses at once (port 1 on loopback),
so each probe is a real `ssh` run that fails with ssh's own words."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hostkit import write_user_hosts

from cockpit.service.hosts import PROBE_TTL_S, HostProbeCache

pytestmark = pytest.mark.integration  # each probe is a real ssh


REFUSING = "hosts:\n  nowhere:\n    ssh: ssh://root@127.0.0.1:1\n    root: /srv/cockpit\n    capacity: 3\n    labels: [x]\n"


def test_probes_are_kept_for_their_ttl_refreshed_on_request_and_shared(tmp_path: Path) -> None:
    write_user_hosts(REFUSING)
    now = [0.0]
    cache = HostProbeCache(tmp_path, clock=lambda: now[0])

    async def scenario() -> None:
        first = await cache.get()
        assert cache.probes == 1
        (host,) = first
        assert (host.name, host.reachable, host.usable, host.capacity, host.labels) == ("nowhere", False, False, 3, ["x"])
        assert host.error and "refused" in host.error.lower() and host.probed_ts.endswith("Z")
        now[0] = PROBE_TTL_S - 1
        assert await cache.get() is first and cache.probes == 1  # within the TTL: no ssh at all
        assert await cache.get(refresh=True) is not first and cache.probes == 2  # r: now
        now[0] += PROBE_TTL_S + 1
        await cache.get()
        assert cache.probes == 3  # too old: probed again
        # Three screens asking at once (two of them for a fresh probe): one probe answers all.
        answers = await asyncio.gather(cache.get(refresh=True), cache.get(refresh=True), cache.get())
        assert cache.probes == 4 and answers[0] is answers[1] is answers[2]

    asyncio.run(scenario())


def test_the_supervisor_answers_hosts_and_a_bad_hosts_file_is_one_clear_error(cockpit) -> None:
    write_user_hosts(REFUSING)
    (row,) = cockpit.client.call("hosts")
    assert (row["name"], row["reachable"], row["usable"]) == ("nowhere", False, False)
    assert row["problems"] == [f"unreachable: {row['error']}"]
    write_user_hosts("hosts:\n  b:\n    ssh: b\n    root: relative/path\n")
    from cockpit.errors import CockpitError

    try:
        cockpit.client.call("hosts", refresh=True)
    except CockpitError as exc:
        assert exc.message.endswith("hosts.yaml:4: hosts.b.root: must be an absolute path on the host (such as /srv/cockpit)")
    else:
        raise AssertionError("a bad hosts.yaml was answered")
