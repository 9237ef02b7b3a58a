"""The TUI with workers on SSH hosts (network namespaces running sshd, tests/hosts/netns_lab.py):
the HOST column, send / diff / kill / teardown from the keys reaching the host, the hosts view with
the hosts' real health (and a host whose cable is cut), and, in a real terminal, `enter`
attaching over `ssh -t` to the host's tmux and `C-b d` coming back."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostkit import hosts_yaml, write_user_hosts
from netns_lab import NetnsLab

from cockpit.ui.app import CockpitApp
from cockpit.ui.source import LiveSource

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the TUI tests' helpers

from ui.helpers import screen_text, select_worker, wait_for, wait_for_text  # noqa: E402
from ui.terminal import Terminal, cockpit_argv, terminal_env  # noqa: E402

pytestmark = [pytest.mark.tmux]
LIMIT = 90.0  # generous: two cores shared with other test runs


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def row_of(app: CockpitApp, name: str) -> list[str]:
    line = next((ln for ln in screen_text(app).splitlines() if ln.lstrip().startswith(name + " ")), "")
    return line.split()


def host_cell(app: CockpitApp, dispatch_id: str) -> str:
    table = app.main.query_one("#workers")
    return table.get_cell(dispatch_id, "host").plain.strip()


@pytest.mark.anyio
async def test_remote_workers_in_the_tui_send_kill_teardown_and_the_hosts_view(cockpit, lab_env: NetnsLab) -> None:
    write_user_hosts(hosts_yaml(lab_env, fake_on=("h1", "h2")))
    asking = cockpit.dispatch("@fake ask Continue?\n@fake say went on", "--host", "h2")
    dirty = cockpit.dispatch("@fake write draft.txt remote work\n@fake hang", "--host", "h1")
    here = cockpit.dispatch("@fake hang")
    cockpit.wait(asking, until="waiting", timeout=LIMIT)
    cockpit.wait(dirty, until="working", timeout=LIMIT)
    cockpit.wait(here, until="working", timeout=LIMIT)
    app = CockpitApp(LiveSource(cockpit.ws), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.connected and app.main is not None, what="the supervisor", timeout=LIMIT)
        await select_worker(pilot, asking)
        assert (host_cell(app, asking), host_cell(app, dirty), host_cell(app, here)) == ("h2", "h1", "local")
        # The pane is the host's terminal, fetched over ssh; its title says where it runs.
        await wait_for_text(pilot, f"output: {asking} on h2", timeout=LIMIT)
        await wait_for_text(pilot, "Continue? [y/n]", timeout=LIMIT)
        # s: the text goes to the worker's tmux on h2, and the agent goes on.
        await pilot.press("s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SendTextScreen", what="the send dialog")
        await pilot.press("y", "enter")
        await wait_for(pilot, lambda: app.board.get(asking).state == "exited", what="the answered worker to end", timeout=LIMIT)
        assert app.board.get(asking).exit_code == 0
        assert "went on" in Path(cockpit.show(asking)["log"]).read_text()
        assert "input_sent" in cockpit.receipt_kinds(asking)
        # d: the diff is of the host's files as they are now (the local mirror has not seen them).
        await select_worker(pilot, dirty)
        await pilot.press("d")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DiffScreen", what="the diff view")
        await wait_for_text(pilot, "draft.txt", timeout=LIMIT)
        await wait_for_text(pilot, "+remote work", timeout=LIMIT)
        assert not (Path(cockpit.show(dirty)["worktree"]) / "draft.txt").exists()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main, what="the board again")
        # k: the worker's processes on h1 end (confirmed first).
        await pilot.press("k")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the kill confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.board.get(dirty).state == "killed", what="the kill", timeout=LIMIT)
        # t: the host's dirty work is archived here before anything is removed on h1.
        remote_worktrees = list((lab_env.hosts["h1"].root / "worktrees").glob(f"*/{dirty}"))
        assert len(remote_worktrees) == 1 and (remote_worktrees[0] / "draft.txt").read_text() == "remote work"
        await pilot.press("t")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "TeardownScreen", what="the teardown confirmation")
        await wait_for_text(pilot, "dirty", timeout=LIMIT)  # the host's worktree, classified
        await pilot.press("y")
        await wait_for(pilot, lambda: app.board.get(dirty) is None, what="the torn-down row to go", timeout=LIMIT)
        archived = subprocess.run(
            ["git", "show", f"refs/cockpit/archive/{dirty}:draft.txt"], cwd=cockpit.repo, capture_output=True, text=True
        )
        assert archived.stdout == "remote work", archived.stderr
        assert not remote_worktrees[0].exists()
        # The hosts view: each host's real health, as the supervisor's probe found it.
        await pilot.press("H")
        await wait_for(pilot, lambda: getattr(app.screen, "answered", 0) >= 1, what="the probe", timeout=LIMIT)
        for name in ("h1", "h2", "h3"):
            cells = row_of(app, name)
            assert cells[1:3] == ["✓", "usable"] and cells[3].endswith("ms"), cells
        assert row_of(app, "h1")[4] == "0/2" and row_of(app, "h2")[4] == "0/2"  # none left running there
        assert "fake" in " ".join(row_of(app, "h1")) and "fake" not in " ".join(row_of(app, "h3"))  # h3's PATH lacks it
        lab_env.link_down("h3")
        try:
            await pilot.press("r")  # probe now, not the answer of the last seconds
            await wait_for(pilot, lambda: app.screen.answered >= 2, what="the second probe", timeout=LIMIT)
        finally:
            lab_env.link_up("h3")
        assert row_of(app, "h3")[1:3] == ["⌁", "unreachable"]
        await pilot.press("down", "down")
        await wait_for(pilot, lambda: app.screen.selected == "h3", what="h3 selected")
        address = lab_env.hosts["h3"].address
        await wait_for_text(pilot, f"Connection to {address} port 22 timed out")
        assert "1 of 3 usable" not in screen_text(app) and "2 of 3 usable" in screen_text(app)
        await pilot.press("escape")
    cockpit.run("kill", here, check=True)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(120, 36)
    yield term
    term.kill()


@pytest.mark.terminal
def test_enter_attaches_over_ssh_to_the_hosts_tmux_and_detaching_comes_back(
    cockpit, lab_env: NetnsLab, terminal: Terminal
) -> None:
    write_user_hosts(hosts_yaml(lab_env, fake_on=("h2",)))
    worker = cockpit.dispatch("@fake ask Ready?", "--host", "h2")
    cockpit.wait(worker, until="waiting", timeout=LIMIT)
    env = {**terminal_env(), "COCKPIT_SSH_CONFIG": str(lab_env.ssh_config)}
    terminal.start(cockpit_argv(), cockpit.repo, env)
    board = terminal.wait_for("? WAITING", timeout=LIMIT)
    row = next(line for line in board.splitlines() if worker in line)
    assert " h2 " in row  # the HOST column
    terminal.wait_for("Ready? [y/n]", timeout=LIMIT)  # the pane: the host's screen over ssh
    terminal.keys("Enter")
    attached = terminal.wait_for(f"cockpit: {worker}", timeout=LIMIT)  # the host's tmux status line
    assert "detach: C-b d" in attached and "Ready? [y/n]" in attached and "WAITING" not in attached
    terminal.keys("y")  # typed straight into the worker on h2
    terminal.keys("C-b", "d")
    terminal.wait_for("● connected", timeout=LIMIT)  # the TUI is back, still live
    cockpit.wait(worker, until="exited", timeout=LIMIT)
    assert cockpit.show(worker)["exit_code"] == 0
    terminal.keys("q")
    terminal.wait_until(terminal.pane_dead, "the TUI to quit")
