"""A prompt answered on the screen is not a new prompt while the CLI still draws it
(cockpit/domain/answered_prompt.py): opencode reports the answer (`permission.replied`, to
working) before it takes its dialog down, and the screen check must not record `waiting` again."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import yaml
from workerkit import agent_processes, wait_for

from cockpit.domain.answered_prompt import FOLLOW_S, AnsweredPrompt
from cockpit.domain.dispatch import WorkerState
from cockpit.domain.screen_text import waiting_excerpt
from cockpit.runtime.providers import load_catalog
from cockpit.runtime.usage import parser_for
from cockpit.service.context import LiveWorker
from cockpit.service.signals import note_signal_state

SCREENS = Path(__file__).resolve().parents[1] / "providers" / "screens" / "opencode"
QUESTION = "△ Permission required\n# Shell command\n$ echo hi > shell.txt"
OTHER = "△ Permission required\n# Shell command\n$ rm -rf build"


def test_the_answered_dialog_still_drawn_is_not_a_new_prompt() -> None:
    answered = AnsweredPrompt()
    answered.answer(QUESTION, at=10.0)
    assert answered.still_shown("waiting", QUESTION, captured_at=10.5)
    assert answered.still_shown("waiting", QUESTION, captured_at=11.0)  # as often as it is drawn


def test_a_screen_without_it_after_the_answer_makes_the_next_prompt_new() -> None:
    answered = AnsweredPrompt()
    answered.answer(QUESTION, at=10.0)
    assert not answered.still_shown(None, "", captured_at=10.5)  # working: the dialog is gone
    assert not answered.still_shown("waiting", QUESTION, captured_at=12.0)  # the same question, asked again
    assert answered.question is None


def test_a_different_question_is_a_new_prompt_at_once() -> None:
    answered = AnsweredPrompt()
    answered.answer(QUESTION, at=10.0)
    assert not answered.still_shown("waiting", OTHER, captured_at=10.5)
    assert answered.question is None


def test_a_screen_captured_before_the_answer_does_not_end_it() -> None:
    answered = AnsweredPrompt()
    answered.answer(QUESTION, at=10.0)
    assert not answered.still_shown(None, "", captured_at=9.9)  # from before the dialog was drawn
    assert answered.still_shown("waiting", QUESTION, captured_at=10.2)


def test_nothing_answered_hides_nothing() -> None:
    assert not AnsweredPrompt().still_shown("waiting", QUESTION, captured_at=1.0)


def test_an_answer_is_followed_until_its_dialog_goes_or_for_a_moment_at_most() -> None:
    answered = AnsweredPrompt()
    assert not answered.following(now=1.0)  # nothing answered: checks wait for output
    answered.answer(QUESTION, at=10.0)
    assert answered.following(now=10.2)
    assert not answered.following(now=10.0 + FOLLOW_S)  # a CLI that ignored the keys is not polled on
    answered.still_shown(None, "", captured_at=10.3)  # the dialog is gone
    assert not answered.following(now=10.3)


def test_the_captured_opencode_dialog_gives_the_same_question_each_time() -> None:
    """The question compared is the waiting excerpt, which names the command, not only the header."""
    opencode = load_catalog(None).get("opencode")
    screen = (SCREENS / "opencode-1.18.33-permission.txt").read_text()
    patterns = opencode.patterns.compiled("waiting")
    assert opencode.patterns.classify(screen) == "waiting"
    question = waiting_excerpt(screen, patterns)
    assert "Permission required" in question and "echo hi > shell.txt" in question, question
    answered = AnsweredPrompt()
    answered.answer(question, at=0.0)
    assert answered.still_shown("waiting", waiting_excerpt(screen, patterns), captured_at=1.0)


def test_a_signal_that_reports_a_new_prompt_forgets_the_answered_one() -> None:
    opencode = load_catalog(None).get("opencode")
    worker = LiveWorker("w1", opencode, "interactive", Path("/dev/null"), parser_for(opencode.usage_parser))
    worker.answered.answer(QUESTION, at=0.0)
    note_signal_state(worker, WorkerState.WORKING, changed=True)  # permission.replied: still drawn
    assert worker.answered.question == QUESTION
    note_signal_state(worker, WorkerState.WAITING, changed=True)  # permission.asked: a new prompt
    assert worker.answered.question is None


# -- with the real supervisor, tmux and the fake agent ------------------------------------------


def test_an_answered_prompt_still_drawn_after_a_signal_said_working_records_no_second_waiting(cockpit) -> None:
    """opencode's order, made deterministic: the CLI has not taken the dialog down (the fake agent
    is stopped, so it cannot read the key yet) while its signal already says working."""
    with_signals(cockpit)  # Busy -> working, no signal for waiting: `waiting` comes from the screen
    dispatch_id = cockpit.dispatch("@fake ask Continue?\n@fake say continued", "--interactive")
    cockpit.wait(dispatch_id, until="waiting")
    agent = agent_processes(cockpit, dispatch_id)[0]
    terminal = os.readlink(f"/proc/{agent}/fd/1")  # the pane's terminal, written as the CLI draws
    os.kill(agent, signal.SIGSTOP)
    try:
        hook(cockpit, dispatch_id, "Busy")
        wait_for(lambda: statuses(cockpit, dispatch_id)[-1] == ("working", "hook"), "working from the signal")
        answered = cockpit.run("send", dispatch_id, "--key", "y", check=True)
        assert "answered yes" in answered.stdout
        # The send looks at the screen once more: it still shows the answered question. Then a
        # different question is drawn: that one is new, and is recorded.
        with open(terminal, "w") as pane:
            pane.write("\r\nAnother? [y/n] ")
        wait_for(lambda: waiting_screens(cockpit, dispatch_id)[1:], "the second question's waiting")
    finally:
        os.kill(agent, signal.SIGCONT)
    assert waiting_screens(cockpit, dispatch_id) == ["Continue? [y/n]", "Another? [y/n]"], statuses(cockpit, dispatch_id)
    cockpit.run("kill", dispatch_id, check=True)


def with_signals(cockpit) -> None:
    path = cockpit.repo / ".cockpit" / "providers.yaml"
    path.parent.mkdir(exist_ok=True)
    rules = [{"event": "Busy", "state": "working"}, {"event": "Done", "state": "idle"}]
    path.write_text(yaml.safe_dump({"providers": {"fake": {"signals": {"rules": rules}}}}))


def hook(cockpit, dispatch_id: str, event: str) -> None:
    """One line as cockpit's signal hook writes it for the CLI."""
    with open(cockpit.ws.state.signal_file(dispatch_id), "a") as handle:
        handle.write(json.dumps({"source": "hook", "event": event, "payload": {}}) + "\n")


def statuses(cockpit, dispatch_id: str) -> list[tuple[str, str | None]]:
    return [(r.data["to"], r.data.get("source")) for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed"]


def waiting_screens(cockpit, dispatch_id: str) -> list[str]:
    return [
        str(r.data.get("screen"))
        for r in cockpit.receipts(dispatch_id)
        if r.kind == "status_changed" and r.data["to"] == "waiting" and r.data.get("source") == "screen"
    ]
