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
    needs: str = ""  # "": always; else a check in format.APPLIES on the selected worker's view
    rank: int = 10  # who stays in a narrow footer: lower stays longer (the palette keeps them all)


MAIN_KEYS: tuple[Key, ...] = (
    Key("n", "n", "new_dispatch", "new", "New dispatch: prompt, skill, provider, base, risk, gates and budget", rank=6),
    Key(
        "enter",
        "enter",
        "attach",
        "attach",
        "Attach to the worker's tmux session (detach with C-b d to come back)",
        "live",
        rank=3,
    ),
    Key("y", "y", "answer('y')", "yes", "Answer a waiting worker: yes", "waiting", rank=1),
    Key("Y", "shift+y", "answer('n')", "no", "Answer a waiting worker: no", "waiting", rank=1),
    Key("s", "s", "send_text", "send", "Send text (and Enter) to the worker", "live", rank=7),
    Key(
        "C",
        "shift+c",
        "continue_dispatch",
        "continue",
        "Continue: a new round in the same worktree (typed into a live session, else resuming the CLI's own)",
        "selected",
        rank=11,
    ),
    Key("g", "g", "run_gates", "gates", "Run the review gates on the worker's diff", "unmerged", rank=5),
    Key("a", "a", "approve", "approve", "Approve: shows gates, diff stat and what will happen, then merges", "unmerged", rank=2),
    Key("x", "x", "reject", "reject", "Reject with a reason; optionally send it back to the worker", "undecided", rank=8),
    Key("k", "k", "kill", "kill", "Kill the worker (its worktree is kept)", "live", rank=9),
    Key(
        "p",
        "p",
        "pause_resume",
        "pause",
        "Pause the worker (its whole process tree stops where it is); on a paused worker: resume it",
        "live",
        rank=9,
    ),
    Key("t", "t", "teardown", "teardown", "Tear down: shows the classification and what will be archived", "selected", rank=9),
    Key("d", "d", "diff", "diff", "Diff of the worker: file list and highlighted unified diff", "selected", rank=4),
    Key("r", "r", "receipts", "receipts", "Receipts: the whole ledger, each record in full below its line", rank=8),
    Key(
        "R",
        "shift+r",
        "worker_receipts",
        "its receipts",
        "Receipts of the selected worker: the ledger at its first receipt; [ and ] step through them",
        "selected",
        rank=11,
    ),
    Key(
        "i",
        "i",
        "inbox",
        "inbox",
        "Permission requests of every worker, its screen beside: y allow, n deny, shift+a allow the tool for the dispatch",
        rank=7,
    ),
    Key(
        "H",
        "shift+h",
        "hosts",
        "hosts",
        "Hosts: each SSH host's workers and capacity, and its health (reachable, latency, the last error)",
        rank=12,
    ),
    Key("slash", "/", "filter", "filter", "Filter the workers by id, title, provider, host, state or review", rank=8),
    Key("question_mark", "?", "help", "help", "Help: every key", rank=0),
    Key("q", "q", "quit", "quit", "Quit the TUI (the workers go on)", rank=0),
)
CLOSING = {"app.pop_screen", "cancel", "close", "back"}  # leaving a screen always stays in the footer


def rank_of(action: str) -> int:
    for key in MAIN_KEYS:
        if key.action == action:
            return key.rank
    return 0 if action in CLOSING else 10


def bindings() -> list[Binding]:
    return [Binding(k.key, k.action, k.label, key_display=k.display) for k in MAIN_KEYS]


def markdown_table() -> str:
    rows = ["| Key | What it does |", "| --- | --- |"]
    for k in MAIN_KEYS:
        rows.append(f"| `{k.display}` | {k.help} |")
    return "\n".join(rows) + "\n"


# The diff view's keys (cockpit/ui/screens/diff.py): in its help, its palette and docs/tui.md.
DIFF_KEYS: tuple[Key, ...] = (
    Key("down,j", "↓ ↑ / j k", "move(1)", "line", "Move the line cursor in the diff (shift+↓ ↑ or J K selects a range)"),
    Key("c", "c", "comment", "comment", "Comment on the selected line or range (kept on the dispatch)", rank=2),
    Key("S", "shift+s", "send_comments", "send comments", "Send the open comments back to the agent as one message", rank=3),
    Key("tab", "tab", "switch", "files/diff", "Switch between the file list and the diff", rank=5),
)


def diff_bindings() -> list[Binding]:
    return [
        Binding(k.key, k.action, k.label, key_display=k.display) for k in DIFF_KEYS if k.action in ("comment", "send_comments")
    ]


def diff_markdown_table() -> str:
    rows = ["| Key (diff view) | What it does |", "| --- | --- |"]
    for k in DIFF_KEYS:
        rows.append(f"| `{k.display}` | {k.help} |")
    return "\n".join(rows) + "\n"


# The hosts view's keys (cockpit/ui/screens/hosts.py): its footer, its palette and docs/tui.md.
HOSTS_KEYS: tuple[Key, ...] = (
    Key(
        "r", "r", "refresh", "probe again", "Probe every host again now (else the supervisor's probe of the last seconds)", rank=2
    ),
    Key("escape,q,H", "esc", "app.pop_screen", "back", "Back to the workers", rank=0),
)


def hosts_bindings() -> list[Binding]:
    return [Binding(k.key, k.action, k.label, key_display=k.display) for k in HOSTS_KEYS]


def hosts_markdown_table() -> str:
    rows = ["| Key (hosts view) | What it does |", "| --- | --- |"]
    for k in HOSTS_KEYS:
        rows.append(f"| `{k.display}` | {k.help} |")
    return "\n".join(rows) + "\n"
