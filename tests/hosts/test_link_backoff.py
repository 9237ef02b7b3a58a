"""Reconnecting to a silent host: exponential backoff, capped (cockpit/domain/hosts.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cockpit.domain.hosts import RETRY_CAP_S, LinkBackoff, retry_delay


@pytest.mark.parametrize(("failures", "delay"), [(0, 0.0), (1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (500, 30.0)])
def test_delays_double_from_one_second_up_to_the_cap(failures: int, delay: float) -> None:
    assert retry_delay(failures) == delay


def test_a_host_is_tried_only_when_due_and_recovery_says_how_long_it_took() -> None:
    backoff = LinkBackoff()
    assert backoff.due(0.0) and backoff.recovered(0.0) is None  # never down: nothing to report
    assert backoff.failed(100.0) == 1.0
    assert not backoff.due(100.5) and backoff.wait_s(100.5) == 0.5
    assert backoff.due(101.0)
    assert backoff.failed(101.0) == 2.0 and backoff.failed(103.0) == 4.0
    assert backoff.recovered(107.25) == (4, 7.2)  # three failed tries, the fourth answered
    assert backoff.due(107.25) and backoff.recovered(108.0) is None
    assert backoff.failed(200.0) == 1.0  # a new outage starts from the first delay


@given(st.lists(st.floats(0.0, 100.0), min_size=1, max_size=40))
def test_never_gives_up_never_waits_past_the_cap_and_tries_are_spaced(gaps: list[float]) -> None:
    backoff = LinkBackoff()
    now, tries = 0.0, []
    for gap in gaps:  # a caller asking at arbitrary moments tries only when due
        now += gap
        if backoff.due(now):
            tries.append(now)
            assert 0 < backoff.failed(now) <= RETRY_CAP_S
        assert backoff.wait_s(now) <= RETRY_CAP_S
    for n, (earlier, later) in enumerate(zip(tries, tries[1:], strict=False), start=1):
        assert later - earlier >= retry_delay(n) - 1e-9
    answered = now + backoff.wait_s(now)  # the next try, due at last, answers
    assert backoff.recovered(answered) == (len(tries) + 1, round(answered - tries[0], 1))


def test_two_callers_failing_the_same_moment_count_one_try() -> None:
    # Two sweeps both found the link up and both tried; both failed. That is one try at that
    # moment: a second count would double the next delay beyond the time actually waited.
    backoff = LinkBackoff()
    assert backoff.failed(10.2, started=10.0) == 1.0
    assert backoff.failed(10.3, started=10.1) == pytest.approx(0.9)  # begun before the failure
    assert backoff.failures == 1 and not backoff.due(10.5)
    assert backoff.failed(11.4, started=11.0) == 2.0  # the next real try, begun once due
    assert backoff.recovered(13.4) == (3, 3.2)
