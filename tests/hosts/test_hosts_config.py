"""hosts.yaml: merged like the provider catalog, bad input named by file:line: field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cockpit.errors import UsageError
from cockpit.runtime.hosts_config import hosts_from_texts, load_hosts

GOOD = """hosts:
  build1:
    ssh: build1
    root: /srv/cockpit/
    capacity: 4
    labels: [gpu, big]
    env: {PATH: "/opt/node/bin:/usr/bin:/bin"}
"""


def test_fields_and_defaults() -> None:
    hosts = hosts_from_texts([("user.yaml", GOOD + "  tiny:\n    ssh: me@tiny\n    root: /home/me/ck\n")])
    build1, tiny = hosts.hosts["build1"], hosts.hosts["tiny"]
    assert (build1.name, build1.ssh, build1.root, build1.capacity) == ("build1", "build1", "/srv/cockpit", 4)
    assert build1.labels == ["gpu", "big"] and build1.env == {"PATH": "/opt/node/bin:/usr/bin:/bin"}
    assert (tiny.capacity, tiny.labels, tiny.env) == (1, [], {})
    assert [h.name for h in hosts.with_label("gpu")] == ["build1"]


def test_repository_file_overrides_fields_and_merges_env() -> None:
    repo = "hosts:\n  build1:\n    capacity: 2\n    labels: [big]\n    env: {LANG: C}\n  ci:\n    ssh: ci\n    root: /ci\n"
    hosts = hosts_from_texts([("user.yaml", GOOD), ("repo.yaml", repo)])
    build1 = hosts.hosts["build1"]
    assert build1.capacity == 2 and build1.labels == ["big"]  # lists are replaced whole
    assert build1.env == {"PATH": "/opt/node/bin:/usr/bin:/bin", "LANG": "C"}  # mappings merge
    assert list(hosts.hosts) == ["build1", "ci"]


def test_placement_preferences_default_and_merge() -> None:
    assert hosts_from_texts([("user.yaml", GOOD)]).placement.model_dump() == {"prefer": "local", "local_capacity": None}
    user = GOOD + "placement:\n  prefer: hosts\n  local_capacity: 3\n"
    merged = hosts_from_texts([("user.yaml", user), ("repo.yaml", "placement:\n  local_capacity: 1\n")])
    assert merged.placement.model_dump() == {"prefer": "hosts", "local_capacity": 1}
    assert hosts_from_texts([("user.yaml", GOOD + "placement:\n")]).placement.prefer == "local"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "hosts:\n  b:\n    ssh: b\n    root: /x\n    capacity: 0\n",
            "f.yaml:5: hosts.b.capacity: Input should be greater than or equal to 1",
        ),
        (
            "hosts:\n  b:\n    ssh: b\n    root: srv\n",
            "f.yaml:4: hosts.b.root: must be an absolute path on the host (such as /srv/cockpit)",
        ),
        ("hosts:\n  b:\n    root: /x\n", "f.yaml:2: hosts.b.ssh: required field is missing"),
        (
            "hosts:\n  b:\n    ssh: b\n    root: /x\n    colour: red\n",
            "f.yaml:5: hosts.b.colour: unknown field (docs/hosts.md lists the fields)",
        ),
        (
            "hosts:\n  b:\n    ssh: -oProxyCommand=x\n    root: /x\n",
            "f.yaml:3: hosts.b.ssh: must be an ssh destination (no spaces, not starting with '-')",
        ),
        (
            "hosts:\n  b:\n    ssh: b\n    root: /x\n    env: {1X: y}\n",
            "f.yaml:5: hosts.b.env: '1X' is not an environment variable name",
        ),
        (
            "hosts:\n  b:\n    ssh: b\n   root: /x\n",
            "f.yaml:4: malformed YAML: expected <block end>, but found '<block mapping start>'",
        ),
        ("- b\n", "f.yaml:1: the hosts file must be a mapping with a `hosts:` key"),
        (
            "placement:\n  prefer: remote\n",
            "f.yaml:2: placement.prefer: Input should be 'local' or 'hosts'",
        ),
        (
            "hosts: {}\nplacement:\n  local_capacity: 0\n",
            "f.yaml:3: placement.local_capacity: Input should be greater than or equal to 1",
        ),
        (
            "hosts:\n  local:\n    ssh: l\n    root: /x\n",
            "f.yaml:2: hosts.local.name: 'local' names this machine; give the host another name",
        ),
    ],
)
def test_bad_input_is_one_located_line(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        hosts_from_texts([("f.yaml", text)])
    assert str(caught.value) == message


def test_error_names_the_file_that_supplied_the_bad_value() -> None:
    with pytest.raises(UsageError) as caught:
        hosts_from_texts([("user.yaml", GOOD), ("repo.yaml", "hosts:\n  build1:\n\n    capacity: many\n")])
    assert str(caught.value).startswith("repo.yaml:4: hosts.build1.capacity: ")


def test_loads_user_then_repository_file(tmp_path: Path) -> None:
    user_dir, repo = tmp_path / "cfg", tmp_path / "repo"
    (user_dir).mkdir()
    (repo / ".cockpit").mkdir(parents=True)
    (user_dir / "hosts.yaml").write_text(GOOD)
    (repo / ".cockpit" / "hosts.yaml").write_text("hosts:\n  build1:\n    capacity: 9\n")
    assert load_hosts(repo, user_config_dir=user_dir).hosts["build1"].capacity == 9
    assert load_hosts(None, user_config_dir=tmp_path / "none").hosts == {}


@pytest.mark.integration  # runs the real CLI
def test_malformed_file_cli_exit_2_nothing_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    config = Path(os.environ["XDG_CONFIG_HOME"]) / "cockpit"
    config.mkdir(parents=True)
    (config / "hosts.yaml").write_text("hosts:\n  b:\n    ssh: b\n    root: /x\n    capacity: lots\n")
    done = subprocess.run([sys.executable, "-m", "cockpit", "hosts"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"cockpit: {config / 'hosts.yaml'}:5: hosts.b.capacity: Input should be a valid integer, unable to parse string as an integer"
    ]
    assert not Path(os.environ["COCKPIT_HOME"]).exists()  # no state, no ssh sockets
