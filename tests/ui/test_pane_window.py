"""How far a capture's window moved between two captures: what keeps a held pane still."""

from __future__ import annotations

from cockpit.ui.widgets.pane import LIVE_ROWS, scrolled_by


def lines(first: int, last: int) -> list[str]:
    return [f"line {n}" for n in range(first, last + 1)]


def test_a_growing_capture_did_not_move() -> None:
    assert scrolled_by(lines(1, 50), lines(1, 80)) == 0


def test_a_full_window_moves_by_the_lines_pushed_out() -> None:
    assert scrolled_by(lines(1, 1000), lines(38, 1037)) == 37


def test_repeated_lines_do_not_fool_it() -> None:
    old = ["same"] * 300 + lines(1, 900)
    new = old[120:] + lines(901, 1020)
    assert scrolled_by(old, new) == 120


def test_the_live_rows_at_the_bottom_may_change_in_place() -> None:
    old = lines(1, 1000) + ["> typing"]
    new = lines(11, 1000) + ["> typing more", "next"]
    assert LIVE_ROWS < 1000 and scrolled_by(old, new) == 10


def test_nothing_in_common_means_everything_is_new() -> None:
    assert scrolled_by(lines(1, 10), lines(500, 520)) == 10


def test_an_exited_workers_capture_ends_at_its_last_output() -> None:
    from cockpit.ui.widgets.pane import capture_lines

    dead = "hello\n\x1b[32mgreen\x1b[0m\n" + "\x1b[39m\n" * 40 + "\x1b[39mPane is dead (status 0, Sat Nov 28 07:25:24 2026)\n\n"
    assert capture_lines(dead) == ["hello", "\x1b[32mgreen\x1b[0m"]
    assert capture_lines("a\n\nb\n\x1b[0m   \n\n") == ["a", "", "b"]  # blank rows inside output stay
