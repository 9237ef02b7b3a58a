"""A row never goes back in time: the view the `dispatch` request answers with can reach the
TUI after the event stream already said the worker is working (the reply and the events
travel on two connections). Real supervisor, tmux and fake agent; the TUI's own Board."""

from __future__ import annotations

from cockpit.protocol.events import DispatchChanged, Hello
from cockpit.protocol.views import DispatchView
from cockpit.ui.board import Board


def test_a_late_dispatch_reply_does_not_show_a_streaming_worker_as_queued(cockpit) -> None:
    stream = cockpit.client.events()
    events = iter(stream)
    assert isinstance(next(events), Hello)  # subscribed: every later event arrives
    reply = cockpit.call("dispatch", prompt="@fake lines 400 40", actor="test")  # streams for ~10 s
    assert reply["state"] == "queued"
    board = Board()
    board.load([])
    for event in events:  # what the TUI's event stream delivers
        if isinstance(event, DispatchChanged) and event.dispatch.id == reply["id"]:
            board.apply(event.dispatch)  # as the TUI keeps it
            if event.dispatch.state == "working":
                break
    assert board.get(reply["id"]).state == "working"
    board.apply(DispatchView.model_validate(reply))  # the request's reply, arriving late (what the dispatch form applies)
    assert board.get(reply["id"]).state == "working"
    stream.close()
    cockpit.call("kill", id=reply["id"], actor="test")
