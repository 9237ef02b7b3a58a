"""Screenshots of the TUI on fixed data (a fixed clock, fixed ids, no blinking), compared with
the accepted ones in __snapshots__/. After an intended change to the look, review and run
`pytest tests/ui/test_snapshots.py --snapshot-update`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from cockpit.ui.app import CockpitApp
from cockpit.ui.widgets.footer import CockpitFooter

from .helpers import screen_text, select_worker, wait_for
from .sample_data import sample_source, views_on_hosts

WAITING, READY, FAILING = "1qf9a2b3d5", "1qf9a2b3e6", "1qf9a2b3f7"


def make_app(*, empty: bool = False, theme: str = "cockpit", on_hosts: bool = False) -> CockpitApp:
    source = sample_source(views=[]) if empty else sample_source(views=views_on_hosts() if on_hosts else None)
    if empty:
        source.receipts = source.receipts[:2]
    return CockpitApp(source, theme=theme, remember_theme=False)


def settled(app: CockpitApp) -> bool:
    """Nothing is still on its way: the board and the receipt stream (at its end) are drawn."""
    main = app.main
    if main is None or not main.query_one("#workers")._order and app.board.views:
        return False
    stream = main.query_one("#stream")
    footer = main.query_one(CockpitFooter)
    current = app.screen is not main or footer.shown == footer.wanted()  # drawn for the keys that apply now
    return stream.scroll_y >= stream.max_scroll_y and current


def then(
    *keys: str,
    select: str | None = None,
    until: Callable[[CockpitApp], bool] = settled,
) -> Callable[[Pilot], Awaitable[None]]:
    """Before the screenshot: select a worker (and wait for what that fetches), press keys, and
    wait until `until` holds, so the picture never depends on timing."""

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: settled(app), what="the board and the stream", timeout=90)
        if select is not None:
            await select_worker(pilot, select)
            main = app.main
            await wait_for(
                pilot,
                lambda: (
                    main.review is not None
                    and len(main.query_one("#pane").strips) > 0
                    and "…" not in str(main.query_one("#pane").strips[0].text)
                ),
                what="the selection's data",
                timeout=90,
            )
        for key in keys:
            await pilot.press(key)
        if select is not None:
            await wait_for(pilot, lambda: settled(app), what="the footer to follow the selection", timeout=90)
        await wait_for(pilot, lambda: until(app), what="the screen to settle", timeout=90)
        await pilot.pause(0.1)

    return run_before


def on_screen(name: str) -> Callable[[CockpitApp], bool]:
    def shown(app: CockpitApp) -> bool:
        footers = app.screen.query(CockpitFooter)  # a dialog has none: the main screen's shows through
        return type(app.screen).__name__ == name and app.screen.is_mounted and all(f.shown == f.wanted() for f in footers)

    return shown


def test_empty_state(snap_compare: Any) -> None:
    assert snap_compare(make_app(empty=True), terminal_size=(100, 30), run_before=then())


def test_several_workers_in_different_states(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=then())


def test_several_workers_at_80x24(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=then())


def test_several_workers_light_theme(snap_compare: Any) -> None:
    assert snap_compare(make_app(theme="cockpit-light"), terminal_size=(120, 36), run_before=then())


def test_a_waiting_worker_selected(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=then(select=WAITING))


def test_the_approve_confirmation(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=then("a", select=READY, until=on_screen("ApproveScreen")))


def test_the_approve_confirmation_at_80x24(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=then("a", select=READY, until=on_screen("ApproveScreen")))


def test_an_approve_refusal_shows_the_reason(snap_compare: Any) -> None:
    assert snap_compare(
        make_app(), terminal_size=(100, 30), run_before=then("a", select=WAITING, until=on_screen("ApproveScreen"))
    )


def test_the_teardown_confirmation(snap_compare: Any) -> None:
    assert snap_compare(
        make_app(), terminal_size=(120, 36), run_before=then("t", select=FAILING, until=on_screen("TeardownScreen"))
    )


def test_the_diff_view(snap_compare: Any) -> None:
    assert snap_compare(
        make_app(),
        terminal_size=(120, 36),
        run_before=then(
            "d", select=WAITING, until=lambda app: "tests/test_dates.py" in screen_text(app) and on_screen("DiffScreen")(app)
        ),
    )


def test_the_receipts_view(snap_compare: Any) -> None:
    assert snap_compare(
        make_app(), terminal_size=(120, 36), run_before=then("r", until=lambda app: "record #40" in screen_text(app))
    )


def test_the_dispatch_form(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=then("n", until=on_screen("DispatchForm")))


@pytest.mark.parametrize("size", [(80, 24), (300, 80)])
def test_help_fits(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=then("question_mark", until=on_screen("HelpScreen")))


def hosts_shown(app: CockpitApp) -> bool:
    return on_screen("HostsScreen")(app) and app.screen.answered > 0 and "probed at" in screen_text(app)


def test_workers_on_hosts(snap_compare: Any) -> None:
    assert snap_compare(make_app(on_hosts=True), terminal_size=(120, 36), run_before=then(select=WAITING))


def test_workers_on_hosts_at_80x24(snap_compare: Any) -> None:
    assert snap_compare(make_app(on_hosts=True), terminal_size=(80, 24), run_before=then())


def test_the_hosts_view(snap_compare: Any) -> None:
    assert snap_compare(make_app(on_hosts=True), terminal_size=(120, 36), run_before=then("H", until=hosts_shown))


def test_the_hosts_view_an_unreachable_host_at_80x24(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot) -> None:
        await then("H", until=hosts_shown)(pilot)
        await pilot.press("down", "down")  # the third host: down, with ssh's error
        await wait_for(pilot, lambda: pilot.app.screen.selected == "laptop", what="laptop selected")
        await pilot.pause(0.1)

    assert snap_compare(make_app(on_hosts=True), terminal_size=(80, 24), run_before=run_before)
