"""The placement decision (cockpit/domain/placement.py): a pure function over probed candidates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cockpit.domain.hosts import HostProbe, ProviderOnHost
from cockpit.domain.placement import Candidate, place, rejection


def local(running: int = 0, capacity: int = 2, has_provider: bool = True) -> Candidate:
    return Candidate.local(has_provider=has_provider, running=running, capacity=capacity)


def host(name: str, *, running: int = 0, capacity: int = 2, reachable: bool = True, **kw: object) -> Candidate:
    return Candidate(
        executor=f"ssh:{name}",
        host=name,
        reachable=reachable,
        error=None if reachable else "Connection to 10.0.0.2 port 22 timed out",
        running=running,
        capacity=capacity,
        **kw,  # type: ignore[arg-type]
    )


def outcome(p) -> tuple[str | None, list[tuple[str, str]], str | None]:
    return (p.chosen.executor if p.chosen else None, p.rejected, p.waiting)


FULL_HERE = "full (2/2 workers)"
DOWN = "unreachable: Connection to 10.0.0.2 port 22 timed out"


@pytest.mark.parametrize(
    ("candidates", "prefer", "expected"),
    [
        # This machine has room: it runs here, nothing else is considered.
        ([local(), host("a")], "local", ("local", [], None)),
        # Full here: the first host with room and the provider.
        (
            [local(running=2), host("a", reachable=False), host("b", has_provider=False), host("c", running=1)],
            "local",
            ("ssh:c", [("local", FULL_HERE), ("ssh:a", DOWN), ("ssh:b", "provider fake missing")], None),
        ),
        # No provider here: a host, even with room here.
        ([local(has_provider=False), host("a")], "local", ("ssh:a", [("local", "provider fake missing")], None)),
        # Hosts preferred: this machine only when no host fits.
        ([local(), host("a", running=2)], "hosts", ("local", [("ssh:a", FULL_HERE)], None)),
        ([local(), host("a")], "hosts", ("ssh:a", [], None)),
        # Everything full: it waits in the queue of the first that is only full, said as `waiting`.
        (
            [local(running=2), host("a", running=2)],
            "local",
            ("local", [("ssh:a", FULL_HERE)], FULL_HERE),
        ),
        (
            [local(running=3), host("a", reachable=False), host("b", running=5, capacity=2)],
            "hosts",
            ("ssh:b", [("ssh:a", DOWN), ("local", "full (3/2 workers)")], "full (5/2 workers)"),
        ),
        # A host whose only fault is being full waits rather than one that is unusable.
        (
            [local(has_provider=False), host("a", problems=("tmux is not installed",)), host("b", running=2)],
            "local",
            (
                "ssh:b",
                [("local", "provider fake missing"), ("ssh:a", "unusable: tmux is not installed")],
                FULL_HERE,
            ),
        ),
        # Nowhere has the provider: refused (the caller says so, exit 2).
        (
            [local(has_provider=False), host("a", has_provider=False), host("b", reachable=False)],
            "local",
            (None, [("local", "provider fake missing"), ("ssh:a", "provider fake missing"), ("ssh:b", DOWN)], None),
        ),
    ],
)
def test_automatic_placement(candidates: list[Candidate], prefer, expected) -> None:
    assert outcome(place(candidates, provider="fake", prefer=prefer)) == expected


def test_an_explicit_host_or_label_never_waits_it_is_refused() -> None:
    full = [local(running=2), host("a", running=2, labels=("gpu",))]
    assert outcome(place(full, provider="fake", host="a")) == (None, [("ssh:a", FULL_HERE)], None)
    assert outcome(place(full, provider="fake", label="gpu")) == (
        None,
        [("local", "label mismatch (no gpu)"), ("ssh:a", FULL_HERE)],
        None,
    )


def test_receipt_names_waiting_only_when_it_waits() -> None:
    waits = place([local(running=2)], provider="fake")
    assert waits.receipt_data("fake", {"prefer": "local"}) == {
        "provider": "fake",
        "asked": {"prefer": "local"},
        "chosen": "local",
        "rejected": [],
        "waiting": FULL_HERE,
    }
    assert "waiting" not in place([local()], provider="fake").receipt_data("fake", {"prefer": "local"})


def test_candidate_from_a_probe_counts_queued_work_and_ignores_the_unreachable_problem() -> None:
    probe = HostProbe(
        name="a",
        ssh="a",
        reachable=False,
        error="No route to host",
        capacity=3,
        running_workers=None,
        problems=["unreachable: No route to host"],
        providers=[ProviderOnHost(name="fake", binary="cockpit-fake-agent", path="/bin/fake")],
    )
    candidate = Candidate.for_host(probe, "fake", running=2)
    assert (candidate.problems, candidate.running, candidate.has_provider) == ((), 2, True)
    assert rejection(candidate, "fake", None) == "unreachable: No route to host"


candidates_st = st.lists(
    st.builds(
        lambda i, reachable, has_provider, running, capacity, problem: host(
            f"h{i}",
            reachable=reachable,
            has_provider=has_provider,
            running=running,
            capacity=capacity,
            problems=("no git",) if problem else (),
        ),
        st.integers(0, 50),
        st.booleans(),
        st.booleans(),
        st.integers(0, 4),
        st.integers(1, 4),
        st.booleans(),
    ),
    max_size=5,
    unique_by=lambda c: c.executor,
)


@given(
    here=st.builds(local, st.integers(0, 4), st.integers(1, 4), st.booleans()),
    hosts=candidates_st,
    prefer=st.sampled_from(["local", "hosts"]),
)
def test_automatic_placement_properties(here: Candidate, hosts: list[Candidate], prefer) -> None:
    candidates = [here, *hosts]
    p = place(candidates, provider="fake", prefer=prefer)
    order = [here, *hosts] if prefer == "local" else [*hosts, here]
    fits = [c for c in order if rejection(c, "fake", None) is None]
    could_wait = [c for c in order if c.reachable and not c.problems and c.has_provider]
    rejected_names = [name for name, _ in p.rejected]
    if fits:  # the first that fits, every one before it rejected with its own reason, none after
        assert (p.chosen, p.waiting) == (fits[0], None)
        before = order[: order.index(fits[0])]
        assert p.rejected == [(c.executor, rejection(c, "fake", None)) for c in before]
    elif could_wait:  # nothing has room: it waits on the first that could run it, and says why
        assert p.chosen == could_wait[0] and p.waiting == rejection(could_wait[0], "fake", None)
        assert p.waiting is not None and p.waiting.startswith("full (")
        assert sorted(rejected_names) == sorted(c.executor for c in order if c is not could_wait[0])
    else:  # nobody can ever run it: refused, and every executor is named
        assert p.chosen is None and rejected_names == [c.executor for c in order]
    assert p.chosen is None or p.chosen.executor not in rejected_names
