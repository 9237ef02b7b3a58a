"""The bad-input corpus: each case is a command line, the files it reads, and a word its message must hold.

Placeholders: {D1} an exited dispatch of this repository, {D2} a live idle interactive one,
{E1} a dispatch of another repository, {TMP} a scratch folder outside the repository.
Files go to "repo:<path>" (the repository), "user:<path>" (XDG_CONFIG_HOME) or "tmp:<path>".
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    files: dict[str, bytes] = field(default_factory=dict)
    stdin: bytes | None = None
    says: str = ""  # a word (case-insensitive) the one-line message must contain
    bug: str = ""  # set while the case is a known bug: the test is then a strict xfail


def task(text: str | bytes) -> dict[str, bytes]:
    return {"tmp:task.yaml": text if isinstance(text, bytes) else text.encode()}


def catalog(text: str) -> dict[str, bytes]:
    return {"repo:.cockpit/providers.yaml": text.encode()}


def gates(text: str) -> dict[str, bytes]:
    return {"repo:.cockpit/gates.yaml": text.encode()}


TASK = ("dispatch", "--task", "{TMP}/task.yaml")
MIB = 1024 * 1024

CLI = [
    Case("unknown-command", ("frobnicate",), says="invalid choice"),
    Case("dispatch-without-prompt", ("dispatch",), says="prompt"),
    Case("dispatch-empty-prompt", ("dispatch", ""), says="empty"),
    Case("dispatch-blank-prompt", ("dispatch", " \n\t "), says="empty"),
    Case("dispatch-binary-stdin", ("dispatch", "-"), stdin=b"\xff\xfe\x00\x81binary", says="utf-8"),
    Case("dispatch-nul-in-prompt", ("dispatch", "-"), stdin=b"text with a \x00 inside", says="nul"),
    Case("dispatch-enormous-prompt", ("dispatch", "-"), stdin=b"x" * (MIB + 1), says="limit"),
    Case("unknown-provider", ("dispatch", "x", "--provider", "nosuch"), says="unknown provider"),
    Case("base-does-not-exist", ("dispatch", "x", "--base", "no-such-branch"), says="no-such-branch"),
    Case("base-invalid-ref", ("dispatch", "x", "--base", "foo..bar"), says="foo..bar"),
    Case("base-traversing-path", ("dispatch", "x", "--base", "../../etc/passwd"), says="passwd"),
    Case("base-looks-like-an-option", ("dispatch", "x", "--base=--output=/tmp/owned"), says="--output"),
    Case("timeout-negative", ("dispatch", "x", "--timeout", "-5"), says="timeout"),
    Case("timeout-not-a-number", ("dispatch", "x", "--timeout", "soon"), says="soon"),
    Case("timeout-nan", ("dispatch", "x", "--timeout", "nan"), says="nan"),
    Case("priority-out-of-range", ("dispatch", "x", "--priority", "5000"), says="priority"),
    Case("priority-not-a-number", ("dispatch", "x", "--priority", "high"), says="high"),
    Case("risk-unknown", ("dispatch", "x", "--risk", "extreme"), says="extreme"),
    Case("allow-absolute-path", ("dispatch", "x", "--allow", "/etc/passwd"), says="relative"),
    Case("allow-traversing-path", ("dispatch", "x", "--allow", "src/../../secrets"), says=".."),
    Case("gate-name-invalid", ("dispatch", "x", "--gate", "Not A Gate!"), says="gate name"),
    Case("acceptance-command-blank", ("dispatch", "x", "--accept", "  "), says="acceptance"),
    Case("target-branch-missing", ("dispatch", "x", "--target", "no-such-branch"), says="target"),
    Case("two-modes", ("dispatch", "x", "--headless", "--interactive"), says="not allowed"),
    Case("task-file-missing", ("dispatch", "--task", "{TMP}/nope.yaml"), says="does not exist"),
    Case("wait-unknown-id", ("wait", "zzzzzzzzzz"), says="no dispatch"),
    Case("wait-id-of-another-repository", ("wait", "{E1}"), says="no dispatch"),
    Case("kill-id-of-another-repository", ("kill", "{E1}"), says="no dispatch"),
    Case("teardown-id-of-another-repository", ("teardown", "{E1}"), says="no dispatch"),
    Case("logs-id-of-another-repository", ("logs", "{E1}"), says="no dispatch"),
    Case("logs-traversing-id", ("logs", "../../etc/passwd"), says="no dispatch"),
    Case("id-prefix-too-short", ("wait", "1q"), says="no dispatch"),
    Case("restore-not-torn-down", ("restore", "{D1}"), says="not torn down"),
    Case("wait-for-unknown-state", ("wait", "{D1}", "--until", "sleeping"), says="sleeping"),
    Case("send-neither-text-nor-key", ("send", "{D2}"), says="--key"),
    Case("send-unknown-key", ("send", "{D2}", "--key", "F13"), says="F13"),
    Case("send-to-an-exited-worker", ("send", "{D1}", "hello"), says="not running"),
    Case("tail-zero", ("receipts", "tail", "-n", "0"), says="above 0"),
    Case("tail-not-a-number", ("receipts", "tail", "-n", "many"), says="many"),
    Case("note-blank", ("note", " "), says="empty"),
    Case("note-too-long", ("note", "x" * 70_000), says="bytes"),
    Case("approve-unknown-strategy", ("approve", "{D1}", "--strategy", "yolo"), says="yolo"),
    Case("reject-blank-reason", ("reject", "{D1}", "--reason", "  "), says="reason"),
    Case("comment-file-not-in-the-diff", ("comment", "{D1}", "nosuch.txt:1", "why?"), says="not in the diff"),
    Case("comment-malformed-anchor", ("comment", "{D1}", "a.txt", "why?"), says="FILE:LINE"),
    Case("comment-backwards-range", ("comment", "{D1}", "a.txt:5-2", "why?"), says="backwards"),
    Case("comment-blank-text", ("comment", "{D1}", "a.txt:1", "  "), says="empty"),
    Case("comments-send-extra-words", ("comments", "send", "{D1}", "more"), says="expected"),
    Case("continue-blank-prompt", ("continue", "{D1}", " \n "), says="empty"),
    Case("idle-exit-not-a-number", ("supervise", "--idle-exit", "soon"), says="soon"),
    Case("max-tokens-zero", ("dispatch", "x", "--max-tokens", "0"), says="--max-tokens"),
    Case("max-tokens-not-a-number", ("dispatch", "x", "--max-tokens", "lots"), says="lots"),
    Case("max-tokens-fraction", ("dispatch", "x", "--max-tokens", "1.5"), says="whole number"),
    Case("max-cost-negative", ("dispatch", "x", "--max-cost", "-1"), says="--max-cost"),
    Case("max-cost-not-a-number", ("dispatch", "x", "--max-cost", "cheap"), says="cheap"),
    Case("max-cost-nan", ("dispatch", "x", "--max-cost", "nan"), says="positive number"),
    Case("max-cost-below-a-micro-dollar", ("dispatch", "x", "--max-cost", "0.0000001"), says="micro-dollar"),
    Case("on-budget-unknown", ("dispatch", "x", "--on-budget", "explode"), says="explode"),
    Case("pause-id-and-all", ("pause", "{D2}", "--all"), says="--all"),
    Case("pause-nothing-named", ("pause",), says="--provider"),
    Case("resume-unknown-provider", ("resume", "--provider", "nosuch"), says="unknown provider"),
    Case("pause-id-of-another-repository", ("pause", "{E1}"), says="no dispatch"),
]

TASKS = [
    Case("task-malformed-yaml", TASK, task("prompt: [unclosed\n"), says="yaml"),
    Case("task-not-a-mapping", TASK, task("- a\n- b\n"), says="mapping"),
    Case("task-unknown-field", TASK, task("prompt: hi\npromt: typo\n"), says="unknown"),
    Case("task-timeout-wrong-type", TASK, task("prompt: hi\nmax_run_seconds: soon\n"), says="max_run_seconds"),
    Case("task-timeout-negative", TASK, task("prompt: hi\nmax_run_seconds: -1\n"), says="max_run_seconds"),
    Case("task-paths-wrong-type", TASK, task("prompt: hi\nallowed_paths: 5\n"), says="allowed_paths"),
    Case("task-risk-unknown", TASK, task("prompt: hi\nrisk: extreme\n"), says="risk"),
    Case("task-binary-file", TASK, task(b"\xff\xfe\x00\x81\x00"), says="task file"),
    Case("task-absolute-path", TASK, task("prompt: hi\nallowed_paths: [/etc]\n"), says="relative"),
    Case("task-traversing-path", TASK, task("prompt: hi\nallowed_paths: ['a/../../b']\n"), says=".."),
    Case("task-empty-prompt", TASK, task("prompt: ''\n"), says="empty"),
    Case("task-prompt-wrong-type", TASK, task("prompt: [1, 2]\n"), says="prompt"),
    Case("task-without-prompt", TASK, task("provider: fake\n"), says="prompt"),
    Case("task-enormous-prompt", TASK, task("prompt: " + "x" * (MIB + 10) + "\n"), says="limit"),
    Case("task-gate-name-invalid", TASK, task("prompt: hi\ngates: [UPPER]\n"), says="gate name"),
    Case("task-gates-not-a-list-with-flag", (*TASK, "--gate", "lint"), task("prompt: hi\ngates: lint\n"), says="must be a list"),
    Case("task-target-missing", TASK, task("prompt: hi\ntarget: nowhere\n"), says="nowhere"),
    Case("task-max-tokens-negative", TASK, task("prompt: hi\nmax_tokens: -5\n"), says="max_tokens"),
    Case("task-max-cost-not-a-number", TASK, task("prompt: hi\nmax_cost_usd: free\n"), says="max_cost_usd"),
    Case("task-max-cost-zero", TASK, task("prompt: hi\nmax_cost_usd: 0\n"), says="positive number"),
    Case("task-on-budget-unknown", TASK, task("prompt: hi\non_budget: explode\n"), says="on_budget"),
]

CATALOG = [
    Case("catalog-malformed-yaml", ("providers",), catalog("providers: {fake: [\n"), says="yaml"),
    Case("catalog-not-a-mapping", ("providers",), catalog("- fake\n"), says="providers.yaml"),
    Case("catalog-unknown-field", ("providers",), catalog("providers:\n  fake:\n    binnary: x\n"), says="binnary"),
    Case("catalog-wrong-type", ("providers",), catalog("providers:\n  fake:\n    binary: [a, b]\n"), says="binary"),
    Case(
        "catalog-bad-regex",
        ("providers",),
        catalog("providers:\n  fake:\n    patterns:\n      waiting: ['([']\n"),
        says="waiting",
    ),
    Case(
        "catalog-bad-default-mode",
        ("providers",),
        catalog("providers:\n  fake:\n    default_mode: telepathic\n"),
        says="default_mode",
    ),
    Case("catalog-malformed-when-dispatching", ("dispatch", "x"), catalog("providers: {fake: [\n"), says="yaml"),
    Case(
        "catalog-binary-not-installed",
        ("dispatch", "x", "--provider", "ghost"),
        catalog("providers:\n  ghost:\n    binary: cockpit-no-such-agent\n    headless: {args: [], prompt_via: stdin}\n"),
        says="cockpit-no-such-agent",
    ),
    Case("user-catalog-malformed", ("providers",), {"user:cockpit/providers.yaml": b"providers: [\n"}, says="yaml"),
]

GATES = [
    Case("gates-malformed-yaml", ("gates", "{D1}"), gates("gates: [\n"), says="yaml"),
    Case(
        "gates-unknown-field",
        ("gates", "{D1}"),
        gates("gates:\n  tests:\n    kind: command\n    run: 'true'\n    tiemout: 5\n"),
        says="tiemout",
    ),
    Case(
        "gates-timeout-wrong-type",
        ("gates", "{D1}"),
        gates("gates:\n  tests:\n    kind: command\n    run: 'true'\n    timeout: soon\n"),
        says="timeout",
    ),
    Case("gates-kind-unknown", ("gates", "{D1}"), gates("gates:\n  tests:\n    kind: magic\n"), says="kind"),
    Case("gates-command-without-run", ("gates", "{D1}"), gates("gates:\n  tests:\n    kind: command\n"), says="run"),
    Case(
        "gates-reserved-name", ("gates", "{D1}"), gates("gates:\n  scope:\n    kind: command\n    run: 'true'\n"), says="reserved"
    ),
    Case("gates-review-without-provider", ("gates", "{D1}"), gates("gates:\n  rev:\n    kind: review\n"), says="provider"),
    Case("gates-malformed-when-dispatching", ("dispatch", "x"), gates("gates: [\n"), says="yaml"),
]

ALL = CLI + TASKS + CATALOG + GATES
