"""SSH hosts that can run workers: what `hosts.yaml` says, and what a probe found.

Pure pydantic, no I/O. docs/hosts.md describes every field; the loader that merges
the user's and the repository's files (errors with file:line) lives in
cockpit/runtime/hosts_config.py, the probe in cockpit/runtime/host_probe.py.
"""

from __future__ import annotations

import posixpath
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

HOST_NAME_RE = r"^[a-z][a-z0-9_-]*$"
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# "local" is the executor on this machine: placement names it, so no host may take the name.
LOCAL_NAME = "local"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Host(_Strict):
    """One SSH host. `ssh` is a destination as the user's ssh config knows it (an alias,
    `user@name`, or `ssh://user@name:port`); cockpit passes it to the system `ssh` as is."""

    name: str = Field(pattern=HOST_NAME_RE)
    ssh: str = Field(min_length=1)
    root: str = Field(min_length=2)
    capacity: int = Field(default=1, ge=1, le=1000)
    labels: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _not_local(cls, value: str) -> str:
        if value == LOCAL_NAME:
            raise ValueError(f"{LOCAL_NAME!r} names this machine; give the host another name")
        return value

    @field_validator("ssh")
    @classmethod
    def _plain_destination(cls, value: str) -> str:
        # ssh would read a leading "-" as an option: refuse it rather than pass it on.
        if value.startswith("-") or any(c.isspace() for c in value):
            raise ValueError("must be an ssh destination (no spaces, not starting with '-')")
        return value

    @field_validator("root")
    @classmethod
    def _absolute_root(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must be an absolute path on the host (such as /srv/cockpit)")
        if any(c in value for c in "\n\0"):
            raise ValueError("must be one line")
        normal = posixpath.normpath(value)
        if normal == "/":
            raise ValueError("must not be / (cockpit creates and removes directories under it)")
        return normal

    @field_validator("labels")
    @classmethod
    def _label_words(cls, value: list[str]) -> list[str]:
        for label in value:
            if not LABEL_RE.match(label):
                raise ValueError(f"{label!r} is not a label (letters, digits, '.', '_', '-')")
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not ENV_NAME_RE.match(key):
                raise ValueError(f"{key!r} is not an environment variable name")
        return value


class PlacementPrefs(_Strict):
    """Where a dispatch without --host/--label goes (docs/hosts.md, "Automatic placement")."""

    prefer: Literal["local", "hosts"] = "local"  # which is tried first: this machine, or the hosts in order
    # Workers at once on this machine before automatic placement looks elsewhere; None: the
    # supervisor's max_workers. The scheduler holds this machine to it, as to a host's capacity.
    local_capacity: int | None = Field(default=None, ge=1, le=256)


class HostsFile(_Strict):
    """The merged `hosts.yaml`: host name -> Host, and the automatic placement preferences."""

    hosts: dict[str, Host] = Field(default_factory=dict)
    placement: PlacementPrefs = Field(default_factory=PlacementPrefs)

    def get(self, name: str) -> Host | None:
        return self.hosts.get(name)

    def with_label(self, label: str) -> list[Host]:
        return [h for h in self.hosts.values() if label in h.labels]


class ProviderOnHost(_Strict):
    name: str
    binary: str
    path: str | None = None  # None: not on the host's PATH (as `env` sets it)
    version: str | None = None


class HostProbe(_Strict):
    """What `cockpit hosts` found on one host. `problems` empty means the host is usable."""

    name: str
    ssh: str
    reachable: bool
    error: str | None = None  # the ssh error when unreachable
    latency_ms: float | None = None  # one command's round trip over the shared connection
    tmux: str | None = None
    git: str | None = None
    providers: list[ProviderOnHost] = Field(default_factory=list)
    free_disk_bytes: int | None = None
    running_workers: int | None = None
    capacity: int = 1
    labels: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.reachable and not self.problems

    def has_provider(self, name: str) -> bool:
        return any(p.name == name and p.path for p in self.providers)


def host_problems(probe: HostProbe, *, root_writable: bool) -> list[str]:
    """Why a reachable host cannot run workers (empty: it can)."""
    problems = []
    if probe.tmux is None:
        problems.append("tmux is not installed (or not on the PATH that `env` sets)")
    if probe.git is None:
        problems.append("git is not installed (or not on the PATH that `env` sets)")
    if not root_writable:
        problems.append("root is not writable (cockpit must create it or write under it)")
    return problems


# Reconnecting to a host that stopped answering: the first retry after RETRY_BASE_S, each
# next one twice as late, never later than RETRY_CAP_S (each try is bounded by ssh's own
# connect timeout on top). docs/hosts.md, "When the link drops".
RETRY_BASE_S = 1.0
RETRY_CAP_S = 30.0


def retry_delay(failures: int, base_s: float = RETRY_BASE_S, cap_s: float = RETRY_CAP_S) -> float:
    """Seconds to wait after the `failures`-th failed try in a row (1, 2, 4, … capped)."""
    if failures <= 0:
        return 0.0
    return min(cap_s, base_s * 2.0 ** min(failures - 1, 62))


class LinkBackoff:
    """When to try a silent host again. Pure bookkeeping: the caller passes the clock."""

    def __init__(self, base_s: float = RETRY_BASE_S, cap_s: float = RETRY_CAP_S) -> None:
        self.base_s, self.cap_s = base_s, cap_s
        self.failures = 0
        self.down_since: float | None = None
        self.next_try = 0.0
        self.last_failure = float("-inf")

    def failed(self, now: float, started: float | None = None) -> float:
        """One more failed try at `now` (begun at `started`); the delay until the next one.
        A try begun before the last failure was under way beside it (another caller of the
        same moment): it is the same try, not one more, so it neither counts nor delays."""
        if started is not None and started < self.last_failure:
            return self.wait_s(now)
        if self.down_since is None:
            self.down_since = now
        self.last_failure = now
        self.failures += 1
        delay = retry_delay(self.failures, self.base_s, self.cap_s)
        self.next_try = now + delay
        return delay

    def due(self, now: float) -> bool:
        return now >= self.next_try

    def wait_s(self, now: float) -> float:
        return min(self.cap_s, max(0.0, self.next_try - now))

    def recovered(self, now: float) -> tuple[int, float] | None:
        """The host answered at `now`: (tries it took, counting this one; seconds it was
        silent), or None when it was not down. Starts afresh."""
        if self.down_since is None:
            return None
        outage = (self.failures + 1, round(now - self.down_since, 1))
        self.failures, self.down_since, self.next_try, self.last_failure = 0, None, 0.0, float("-inf")
        return outage
