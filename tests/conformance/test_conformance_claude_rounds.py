"""claude 2.1.197 over more than one round, through the real supervisor and tmux, offline: a
headless run, review comments sent back, then `cockpit continue`. Each new round passes
`--resume <the session id>` and the scripted model service sees the earlier turns in the
request of the next one: the same conversation, not a fresh one."""

from __future__ import annotations

import json

from cockpit.modelservice.profile_base import Case
from cockpit.modelservice.scenario import Scenario, Turn, TurnUsage
from cockpit.service.conformance import Run

FIRST = "Please create hello.txt (cockpit rounds)"
SECOND_EDIT = "hello from round two\n"


def _scenario() -> Scenario:
    return Scenario(
        name="claude-rounds",
        turns=[
            Turn(
                kind="write_file",
                path="hello.txt",
                content="hello\n",
                text="Writing hello.txt.",
                usage=TurnUsage(input_tokens=1000, output_tokens=50),
            ),
            Turn(kind="text", text="Round one is done.", usage=TurnUsage(input_tokens=1100, output_tokens=10)),
            Turn(
                kind="write_file",
                path="hello.txt",
                content=SECOND_EDIT,
                text="Addressing the comment.",
                usage=TurnUsage(input_tokens=1200, output_tokens=40),
            ),
            Turn(kind="text", text="Round two is done.", usage=TurnUsage(input_tokens=1300, output_tokens=10)),
            Turn(kind="text", text="Round three: nothing to change.", usage=TurnUsage(input_tokens=1400, output_tokens=12)),
        ],
    )


def _texts(body: dict) -> str:
    """Every text of every message of an Anthropic request, joined."""
    out = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(part["text"])
    return "\n".join(out)


def test_claude_rounds_resume_its_own_session(cli_binaries) -> None:
    case = Case("happy", _scenario(), FIRST, "hello.txt", "hello\n")
    with Run("claude", "headless", case, cli_binaries.path("claude"), step_timeout=60) as run:
        out = run.cockpit("dispatch", FIRST, "--provider", "claude", "--risk", "low")
        assert out.returncode == 0, out.stderr
        did = out.stdout.strip()
        receipts = run.wait_for(
            lambda rs: [r for r in rs if r.kind == "review_changed" and r.data.get("to") == "awaiting_approval"], did, 90
        )
        assert receipts, [r.kind for r in run.receipts(did)]
        captured = [r for r in run.receipts(did) if r.kind == "session_captured"]
        assert captured and captured[-1].data["source"] == "output", [r.kind for r in run.receipts(did)]
        session_id = captured[-1].data["session_id"]

        comment = run.cockpit("comment", did, "hello.txt:1", "Say hello from round two instead.")
        assert comment.returncode == 0, comment.stderr
        sent = run.cockpit("comments", "send", did, "--json")
        assert sent.returncode == 0, sent.stderr
        assert json.loads(sent.stdout)["resumed_session"] == session_id
        assert run.wait_for(lambda rs: _after(rs, "comments_sent", "review_changed", to="awaiting_approval"), did, 90)
        launch = json.loads((run.state.dispatch_dir(did) / "launch.json").read_text())
        assert "--resume" in launch["argv"] and launch["argv"][launch["argv"].index("--resume") + 1] == session_id
        listed = json.loads(run.cockpit("comments", did, "--json").stdout)["comments"]
        assert [(c["sent"], c["resolved"]) for c in listed] == [(True, True)]  # its hunk changed

        more = run.cockpit("continue", did, "Anything else to change?")
        assert more.returncode == 0, more.stderr
        assert f"resuming session {session_id}" in more.stdout
        assert run.wait_for(lambda rs: _after(rs, "continued", "exited"), did, 90)

        main = run.service.service.main_requests()
        assert [r.turn for r in main] == [0, 1, 2, 3, 4], [(r.turn, r.user_text[:40]) for r in main]
        second_round = _texts(main[2].body)
        assert FIRST in second_round and "Round one is done." in second_round  # the same conversation
        assert "The reviewer left 1 comment on your change." in main[2].user_text
        third_round = _texts(main[4].body)
        assert FIRST in third_round and "The reviewer left 1 comment" in third_round and "Round two is done." in third_round
        assert main[4].user_text.strip() == "Anything else to change?"
        view = next(v for v in json.loads(run.cockpit("status", "--json").stdout) if v["id"] == did)
        assert (view["tokens_in"], view["tokens_out"]) == (6000, 122)  # every round's usage, summed
        worktree = view["worktree"]
        with open(f"{worktree}/hello.txt", encoding="utf-8") as handle:
            assert handle.read() == SECOND_EDIT
        kinds = [r.kind for r in run.receipts(did)]
        assert kinds.count("worker_resumed") == 2 and kinds.count("exited") == 3


def _after(receipts: list, after: str, kind: str, **data: object) -> bool:
    starts = [i for i, r in enumerate(receipts) if r.kind == after]
    return bool(starts) and any(
        r.kind == kind and all(r.data.get(k) == v for k, v in data.items()) for r in receipts[starts[-1] :]
    )


def test_interactive_claude_takes_comments_in_its_session_and_resumes_it_after_a_kill(cli_binaries) -> None:
    scenario = Scenario(
        name="claude-interactive-rounds",
        turns=[
            Turn(kind="write_file", path="hello.txt", content="hello\n", text="Writing hello.txt."),
            Turn(kind="text", text="Round one is done."),
            Turn(kind="write_file", path="hello.txt", content=SECOND_EDIT, text="Addressing the comment."),
            Turn(kind="text", text="Round two is done."),
            Turn(kind="text", text="Round three: nothing to change."),
        ],
    )
    case = Case("happy", scenario, FIRST, "hello.txt", "hello\n")
    with Run("claude", "interactive", case, cli_binaries.path("claude"), step_timeout=60) as run:
        out = run.cockpit("dispatch", FIRST, "--provider", "claude", "--interactive", "--risk", "low")
        assert out.returncode == 0, out.stderr
        did = out.stdout.strip()
        idle = lambda rs: [r for r in rs if r.kind == "status_changed" and r.data.get("to") == "idle"]  # noqa: E731
        assert run.wait_for(idle, did, 90), [r.kind for r in run.receipts(did)]
        assert run.cockpit("comment", did, "hello.txt:1", "Say hello from round two instead.").returncode == 0
        sent = run.cockpit("comments", "send", did, "--json")
        assert sent.returncode == 0, sent.stderr
        assert json.loads(sent.stdout)["how"] == "typed into the running agent"
        assert run.wait_for(lambda rs: _after(rs, "comments_sent", "status_changed", to="idle"), did, 90)

        assert run.cockpit("kill", did).returncode == 0
        more = run.cockpit("continue", did, "Anything else to change?", "--json")
        assert more.returncode == 0, more.stderr
        captured = [r for r in run.receipts(did) if r.kind == "session_captured"]
        assert captured and captured[-1].data["source"] == "hook"  # interactive: from its hook payloads
        assert json.loads(more.stdout)["resumed_session"] == captured[-1].data["session_id"]
        assert run.wait_for(lambda rs: _after(rs, "continued", "status_changed", to="idle"), did, 90)

        main = run.service.service.main_requests()
        assert [r.turn for r in main] == [0, 1, 2, 3, 4], [(r.turn, r.user_text[:40]) for r in main]
        assert "The reviewer left 1 comment" in main[2].user_text and FIRST in _texts(main[2].body)
        assert main[4].user_text.strip() == "Anything else to change?"
        history = _texts(main[4].body)
        assert FIRST in history and "Round two is done." in history  # the killed session, resumed
        run.cockpit("kill", did)
