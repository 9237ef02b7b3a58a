"""The protocol between the supervisor and its clients (the CLI, the TUI, the MCP server).

One module, below the service layer, so the supervisor and every client read the same
definitions and cannot drift:

- requests.py: one arguments model per op, and `REQUESTS`, the table of them;
- replies.py: what each op answers (`REPLIES`); views.py: the dispatch view;
- codes.py, errors.py: the error body, with a stable machine `code` (`ErrorCode`);
- events.py: what a subscription streams, one model per event `type`;
- envelope.py: the JSON lines as models; wire.py: the same lines without pydantic, for
  the CLI's client, which starts on every command.

It imports only the domain and pydantic (tests/test_layers.py).
"""
