"""SSH hosts for tests: network namespaces on this machine, each with its own sshd.

Each host is a network namespace joined to this one by a veth pair (10.A.B.x/30), running
`sshd -D -f <config in the lab's directory>` with a host key and an authorized client key
generated there: the system's sshd config and keys are never used. An ssh_config with one
`Host` entry per host is written next to them; cockpit is pointed at it through
$COCKPIT_SSH_CONFIG. Names carry a random token, so parallel test sessions do not collide.
`link_down`/`link_up` cut and restore a host's cable (`ip link set … down`);
`refuse_route`/`restore_route` make connecting fail at once instead of timing out.

Needs root (as CI runs it). Everything is torn down by `close()`, even after a failure.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def _run(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")
    return done.stdout


@dataclass
class LabHost:
    alias: str  # the ssh destination (a Host entry in the lab's ssh_config)
    netns: str
    veth: str  # this namespace's end of the cable
    address: str
    root: Path  # a directory for the host's `root:` (the filesystem is shared)
    sshd: subprocess.Popen[bytes] | None = None


@dataclass
class NetnsLab:
    directory: Path
    token: str = field(default_factory=lambda: secrets.token_hex(3))
    hosts: dict[str, LabHost] = field(default_factory=dict)

    @property
    def ssh_config(self) -> Path:
        return self.directory / "ssh_config"

    def start(self, aliases: list[str]) -> NetnsLab:
        self.directory.mkdir(parents=True, exist_ok=True)
        client_key = self.directory / "client_key"
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cockpit-test", "-f", str(client_key))
        (self.directory / "authorized_keys").write_text((self.directory / "client_key.pub").read_text())
        prefix = self._free_prefix()
        config, known = [], []
        for index, alias in enumerate(aliases):
            host = LabHost(
                alias=alias,
                netns=f"cockpit-test-{self.token}-{alias}",
                veth=f"ck{self.token}{index}",
                address=f"{prefix}.{4 * index + 2}",
                root=self.directory / "roots" / alias,
            )
            self.hosts[alias] = host  # registered first, so close() removes even a half-built host
            self._build(host, f"{prefix}.{4 * index + 1}")
            config.append(
                f"Host {alias}\n  HostName {host.address}\n  User root\n  IdentityFile {client_key}\n"
                f"  IdentitiesOnly yes\n  UserKnownHostsFile {self.directory / 'known_hosts'}\n"
                f"  StrictHostKeyChecking yes\n  ConnectTimeout 3\n"
            )
            known.append(f"{host.address} {(self.directory / alias / 'host_key.pub').read_text().strip()}\n")
        self.ssh_config.write_text("".join(config))
        (self.directory / "known_hosts").write_text("".join(known))
        for host in self.hosts.values():
            self._wait_for_sshd(host)
        return self

    def _free_prefix(self) -> str:
        used = _run("ip", "-o", "-4", "addr", "show")
        for _ in range(100):
            prefix = f"10.{secrets.randbelow(180) + 70}.{secrets.randbelow(256)}"
            if f" {prefix}." not in used:
                return prefix
        raise RuntimeError("no free 10.x.y.0/24 for the test hosts")

    def _build(self, host: LabHost, local_address: str) -> None:
        peer = host.veth + "p"
        _run("ip", "netns", "add", host.netns)
        _run("ip", "link", "add", host.veth, "type", "veth", "peer", "name", peer)
        _run("ip", "link", "set", peer, "netns", host.netns)
        _run("ip", "addr", "add", f"{local_address}/30", "dev", host.veth)
        _run("ip", "link", "set", host.veth, "up")
        ns = ("ip", "netns", "exec", host.netns)
        _run(*ns, "ip", "addr", "add", f"{host.address}/30", "dev", peer)
        _run(*ns, "ip", "link", "set", peer, "up")
        _run(*ns, "ip", "link", "set", "lo", "up")
        home = self.directory / host.alias
        home.mkdir()
        host.root.mkdir(parents=True)
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / "host_key"))
        (home / "sshd_config").write_text(
            f"ListenAddress {host.address}\nPort 22\nHostKey {home / 'host_key'}\n"
            f"AuthorizedKeysFile {self.directory / 'authorized_keys'}\nPidFile {home / 'sshd.pid'}\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "UsePAM no\nStrictModes no\nMaxSessions 100\nMaxStartups 100\nLogLevel ERROR\n"
            # A host of its own has its own home: this machine's ~/.bashrc (which bash reads
            # for ssh commands) is not the host's, and may block (a stale pyenv rehash lock).
            f"SetEnv HOME={home / 'home'}\n"
        )
        (home / "home").mkdir()
        host.sshd = subprocess.Popen(
            [*ns, SSHD, "-D", "-e", "-f", str(home / "sshd_config")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(home / "sshd.log", "wb"),  # noqa: SIM115 -- sshd keeps it for its life
        )

    def _wait_for_sshd(self, host: LabHost, limit: float = 30.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if host.sshd is not None and host.sshd.poll() is not None:
                raise RuntimeError(f"sshd for {host.alias} exited: {(self.directory / host.alias / 'sshd.log').read_text()}")
            with contextlib.suppress(OSError), socket.create_connection((host.address, 22), timeout=1):
                return
            time.sleep(0.05)
        raise RuntimeError(f"sshd for {host.alias} did not listen within {limit:g}s")

    def link_down(self, alias: str) -> None:
        _run("ip", "link", "set", self.hosts[alias].veth, "down")

    def link_up(self, alias: str) -> None:
        _run("ip", "link", "set", self.hosts[alias].veth, "up")

    def refuse_route(self, alias: str) -> None:
        """Make connecting to the host fail at once ("No route to host") rather than time out."""
        _run("ip", "route", "add", "unreachable", f"{self.hosts[alias].address}/32")

    def restore_route(self, alias: str) -> None:
        _run("ip", "route", "del", "unreachable", f"{self.hosts[alias].address}/32")

    def close(self) -> None:
        for host in self.hosts.values():
            if host.sshd is not None and host.sshd.poll() is None:
                host.sshd.terminate()
                try:
                    host.sshd.wait(10)
                except subprocess.TimeoutExpired:
                    host.sshd.kill()
                    host.sshd.wait(10)
            # Kill whatever the tests left running in the namespace (its tmux servers, agents),
            # then remove it: deleting the namespace removes both ends of the cable.
            with contextlib.suppress(RuntimeError):
                for pid in _run("ip", "netns", "pids", host.netns).split():
                    subprocess.run(["kill", "-9", pid], capture_output=True)
            subprocess.run(["ip", "route", "del", "unreachable", f"{host.address}/32"], capture_output=True)
            subprocess.run(["ip", "link", "del", host.veth], capture_output=True)
            subprocess.run(["ip", "netns", "del", host.netns], capture_output=True)
