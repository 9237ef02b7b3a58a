"""The TUI's side of SSH hosts on fixed data: the HOST column (there only while a worker runs
on a host), the filter knowing host names, the hosts view (`shift+h`) asking the supervisor's
typed `hosts` request, `r` asking it to probe again, and what the view says when it cannot."""

from __future__ import annotations

from typing import Any

import pytest

from cockpit.errors import UsageError
from cockpit.protocol.replies import HostInfo
from cockpit.protocol.requests import Args
from cockpit.protocol.views import DispatchView
from cockpit.ui.app import CockpitApp
from cockpit.ui.commands import CockpitCommands
from cockpit.ui.host_rows import detail_lines, fmt_bytes, fmt_clis, fmt_workers, health_of, last_error, workers_here
from cockpit.ui.static_source import StaticSource

from .helpers import screen_text, select_worker, wait_for, wait_for_text
from .sample_data import as_views, sample_hosts, sample_source, view, views_on_hosts

pytestmark = pytest.mark.anyio


def columns(app: CockpitApp) -> list[str]:
    return [key for key, _label, _width in app.main.query_one("#workers").columns_spec]


def hosts_answered(app: CockpitApp, count: int = 1) -> bool:
    return type(app.screen).__name__ == "HostsScreen" and app.screen.answered >= count


@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_host_column_is_there_while_a_worker_runs_on_a_host(size: tuple[int, int]) -> None:
    views = views_on_hosts()
    app = CockpitApp(sample_source(views=views), theme="cockpit", remember_theme=False)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.main is not None and "host" in columns(app), what="the HOST column")
        text = screen_text(app)
        assert "HOST" in text and "gpu-box" in text and "build1" in text and "local" in text
        # Every worker comes back to this machine (the remote ones torn down): the column goes.
        for view in views:
            if view["executor"] != "local":
                app.board.apply(DispatchView.model_validate({**view, "teardown": "clean"}))
        app.main.show_board()
        await wait_for(pilot, lambda: "host" not in columns(app), what="the HOST column to go")
        assert "HOST" not in screen_text(app) and "build1" not in screen_text(app)
        # A worker on a host appears (a dispatch event): the column is back, the row whole.
        app.board.apply(DispatchView.model_validate({**views[0], "as_of_seq": 99}))
        app.main.show_board()
        await wait_for(pilot, lambda: "host" in columns(app), what="the HOST column again")
        await wait_for_text(pilot, "build1")


async def test_a_long_host_name_is_cut_and_the_pane_title_names_the_host() -> None:
    views = views_on_hosts()
    views[1] = {**views[1], "executor": "ssh:a-very-long-build-host-name"}
    app = CockpitApp(sample_source(views=views), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await select_worker(pilot, "1qf9a2b3d5")
        await wait_for_text(pilot, "output: 1qf9a2b3d5 on a-very-long-build-host-name")
        assert "a-very-long…" in screen_text(app)  # in the table: 12 characters at most


async def test_the_filter_knows_host_names() -> None:
    app = CockpitApp(sample_source(views=views_on_hosts()), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.main is not None and len(app.main.query_one("#workers")._order) == 6)
        await pilot.press("slash", *"build1", "enter")
        await wait_for(pilot, lambda: app.main.query_one("#workers")._order == ["1qf9a2b3c4", "1qf9a2b3f7"])
        await pilot.press("escape")
        await pilot.press("slash", *"local", "enter")
        await wait_for(pilot, lambda: app.main.query_one("#workers")._order == ["1qf9a2b3e6", "1qf9a2b3g8", "1qf9a2b3h9"])
        assert "HOST" not in screen_text(app)  # every row shown runs here


async def test_the_hosts_view_shows_capacity_and_health_and_r_probes_again() -> None:
    source = sample_source(views=views_on_hosts())
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.main is not None and app.connected)
        await pilot.press("H")
        await wait_for(pilot, lambda: hosts_answered(app), what="the hosts")
        text = screen_text(app)
        assert "1 of 3 usable" in text and "probed at 15:09:20 UTC" in text
        build1 = next(line for line in text.splitlines() if line.lstrip().startswith("build1"))
        assert build1.split()[:6] == ["build1", "✓", "usable", "3ms", "2/4", "big"]
        assert "this repository's: 1qf9a2b3c4" in text  # its live worker here, from the board
        assert ("hosts", {"refresh": False}) in source.calls
        await pilot.press("r")
        await wait_for(pilot, lambda: hosts_answered(app, 2), what="the second probe")
        assert source.calls.count(("hosts", {"refresh": True})) == 1
        # The palette offers the view's key too, and it runs.
        hits = [hit async for hit in CockpitCommands(app.screen).search("probe")]
        assert [hit.text for hit in hits] == ["Probe every host again now (else the supervisor's probe of the last seconds)  [r]"]
        await hits[0].command()
        await wait_for(pilot, lambda: hosts_answered(app, 3), what="the palette's probe")
        assert source.calls.count(("hosts", {"refresh": True})) == 2
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main, what="the board again")


class RefusingSource(StaticSource):
    """A supervisor whose `hosts` fails as a bad hosts.yaml makes it fail."""

    def _answer(self, op: str, args: Args) -> Any:
        if op == "hosts":
            raise UsageError("~/.config/cockpit/hosts.yaml:3: hosts.build1.root: must be an absolute path on the host")
        return super()._answer(op, args)


async def test_the_hosts_view_says_why_it_has_no_hosts() -> None:
    base = sample_source()
    bad = RefusingSource(views=base.views, clock=base.clock, receipts=base.receipts)
    app = CockpitApp(bad, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.main is not None)
        await pilot.press("H")
        await wait_for_text(pilot, "hosts.yaml:3: hosts.build1.root: must be an absolute path on the host")
    none = sample_source()
    none.hosts = []
    app = CockpitApp(none, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.main is not None)
        await pilot.press("H")
        await wait_for_text(pilot, "no SSH hosts configured: add them to ~/.config/cockpit/hosts.yaml")


def test_host_rows_read_without_colour() -> None:
    build1, gpu_box, laptop = sample_hosts()
    assert [health_of(h)[:2] for h in (build1, gpu_box, laptop)] == [("✓", "usable"), ("!", "unusable"), ("⌁", "unreachable")]
    assert [fmt_workers(h) for h in (build1, gpu_box, laptop)] == ["2/4", "1/1", "-/2"]
    assert fmt_clis(build1) == "claude 2.1.197, fake 0.1.0" and fmt_clis(laptop) == "-"
    assert last_error(build1) is None
    assert last_error(gpu_box) == "root is not writable (cockpit must create it or write under it)"
    multi = laptop.model_copy(
        update={"error": "Warning: Permanently added 'x'\nssh: connect to host laptop port 22: timed out\n"}
    )
    assert last_error(multi) == "ssh: connect to host laptop port 22: timed out"  # ssh's last line, its own words
    assert [fmt_bytes(n) for n in (None, 512, 2048, 5 * 1024**3, 3 * 1024**4)] == ["-", "512B", "2K", "5.0G", "3.0T"]
    views = as_views(
        [
            view("a", "t", "working") | {"executor": "ssh:build1"},
            view("b", "t", "exited") | {"executor": "ssh:build1"},
            view("c", "t", "working") | {"executor": "local"},
        ]
    )
    assert workers_here(build1, views) == ["a"]
    lines = detail_lines(laptop, [])
    assert ("error", "ssh: connect to host laptop port 22: No route to host", "warning") in lines
    assert not any(text.startswith("unreachable: ") for _label, text, _colour in lines)  # said once, as ssh said it
    assert ("problem", "root is not writable (cockpit must create it or write under it)", "error") in detail_lines(gpu_box, [])


def test_the_hosts_reply_is_the_probe_and_the_static_source_answers_it() -> None:
    import asyncio

    source = sample_source()
    rows = asyncio.run(source.call("hosts"))
    assert [HostInfo.model_validate(r).name for r in rows] == ["build1", "gpu-box", "laptop"]
    assert rows[2]["usable"] is False and rows[2]["probed_ts"] == "2026-03-14T15:09:20.000000Z"
    with pytest.raises(UsageError):  # the op's own argument model checks what is sent
        asyncio.run(source.call("hosts", names=["build1"]))


def test_the_docs_show_the_hosts_view_as_it_is() -> None:
    import re
    from pathlib import Path

    from cockpit.ui.keys import hosts_markdown_table

    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "tui.md").read_text()
    found = re.search(r"<!-- hosts-keys-table -->\n(.*?)<!-- /hosts-keys-table -->", doc, re.S)
    assert found is not None and found.group(1) == hosts_markdown_table()
    snapshot = root / "tests/ui/__snapshots__/test_snapshots/test_the_hosts_view.svg"
    assert (root / "docs/screenshots/hosts.svg").read_text() == snapshot.read_text()
