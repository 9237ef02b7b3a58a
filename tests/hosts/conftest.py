"""Fixtures for SSH-host tests: a lab of network-namespace hosts (see netns_lab.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from netns_lab import NetnsLab  # noqa: E402


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetnsLab]:
    if os.geteuid() != 0:
        pytest.fail("the SSH-host tests need root (network namespaces and sshd), as CI runs them")
    # A short directory: sshd and ssh control sockets live under it.
    lab = NetnsLab(Path(tmp_path_factory.mktemp("lab")))
    try:
        lab.start(["h1", "h2", "h3"])
        yield lab
    finally:
        lab.close()


@pytest.fixture
def lab_env(lab: NetnsLab, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[NetnsLab]:
    """This test's cockpit talks to the lab through its ssh_config; its master connections
    (under this test's COCKPIT_HOME) are ended afterwards."""
    from cockpit.runtime.ssh import SshLink

    monkeypatch.setenv("COCKPIT_SSH_CONFIG", str(lab.ssh_config))
    yield lab
    if "cockpit" in request.fixturenames:
        # Its supervisor first, as a user's goes before their hosts do: one left running would
        # reconnect (with backoff) to a master this teardown has just ended.
        request.getfixturevalue("cockpit").stop()
    for alias in lab.hosts:
        SshLink(alias).close()
