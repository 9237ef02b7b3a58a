"""The keys of the main screen: one table that makes the bindings, the command palette
entries, the help screen and the table in docs/tui.md (a test keeps them equal)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    key: str  # Textual key name(s), comma-separated
    display: str  # as the operator types it
    action: str
    label: str  # short, for the footer
    help: str  # one line, for the palette, help screen and docs
    needs: str = ""  # "": always; "selected": a worker is selected; "live"/"waiting": it is in that state


MAIN_KEYS: tuple[Key, ...] = (
    Key("n", "n", "new_dispatch", "new", "New dispatch: prompt, provider, base, risk and gates"),
    Key("enter", "enter", "attach", "attach", "Attach to the worker's tmux session (detach with C-b d to come back)",
        "live"),
    Key("y", "y", "answer('y')", "yes", "Answer a waiting worker: yes", "waiting"),
    Key("Y", "shift+y", "answer('n')", "no", "Answer a waiting worker: no", "waiting"),
    Key("s", "s", "send_text", "send", "Send text (and Enter) to the worker", "live"),
    Key("g", "g", "run_gates", "gates", "Run the review gates on the worker's diff", "selected"),
    Key("a", "a", "approve", "approve", "Approve: shows gates, diff stat and what will happen, then merges",
        "selected"),
    Key("x", "x", "reject", "reject", "Reject with a reason; optionally send it back to the worker", "selected"),
    Key("k", "k", "kill", "kill", "Kill the worker (its worktree is kept)", "live"),
    Key("t", "t", "teardown", "teardown", "Tear down: shows the classification and what will be archived",
        "selected"),
    Key("d", "d", "diff", "diff", "Diff of the worker: file list and highlighted unified diff", "selected"),
    Key("r", "r", "receipts", "receipts", "Receipts: page through the whole ledger"),
    Key("slash", "/", "filter", "filter", "Filter the workers by id, title, provider or state"),
    Key("question_mark", "?", "help", "help", "Help: every key"),
    Key("q", "q", "quit", "quit", "Quit the TUI (the workers go on)"),
)


def bindings() -> list[Binding]:
    return [Binding(k.key, k.action, k.label, key_display=k.display) for k in MAIN_KEYS]


def markdown_table() -> str:
    rows = ["| Key | What it does |", "| --- | --- |"]
    for k in MAIN_KEYS:
        rows.append(f"| `{k.display}` | {k.help} |")
    return "\n".join(rows) + "\n"
