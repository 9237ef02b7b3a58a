"""One receipt on one line, saying what matters for its kind (pure: no Textual).

A `key=value` dump of the data cuts off exactly what the operator looks for (which gate,
what result, who approved), so each kind names its own fields first; anything else in
the data follows as `key=value`, and the detail pane shows the whole record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from pydantic import JsonValue

from cockpit.domain.receipt import Receipt

# A receipt's data as the ledger holds it: JSON whose keys depend on the kind and on the
# cockpit version that wrote it (docs/receipts.md), so it is read as JSON, key by key, with
# a default for what is missing: a gist never refuses a record, however old or new.
Data = Mapping[str, JsonValue]
Gist = Callable[[Data], tuple[str, tuple[str, ...]]]


def _list(value: JsonValue) -> list[JsonValue]:
    return value if isinstance(value, list) else []


def _who(data: Data) -> str:
    identity = found if isinstance(found := data.get("identity"), dict) else {}
    who = str(data.get("actor") or identity.get("user") or "?")
    if identity.get("host") and "@" not in who:
        who += f"@{identity['host']}"
    if identity.get("ssh_client"):
        who += f" over ssh from {str(identity['ssh_client']).split()[0]}"
    return who


def _gate_result(d: Data) -> tuple[str, tuple[str, ...]]:
    text = f"{d.get('gate', '?')}: {d.get('status', '?')}"
    if d.get("summary"):
        text += f" — {d['summary']}"
    findings = d.get("findings")
    if isinstance(findings, list) and findings:
        blocking = sum(1 for f in findings if isinstance(f, dict) and f.get("severity") == "blocking")
        text += f" ({len(findings)} finding{'s' if len(findings) != 1 else ''}, {blocking} blocking)"
    return text, ("gate", "status", "summary", "findings")


def _review(d: Data) -> tuple[str, tuple[str, ...]]:
    text = f"review → {d.get('to', '?')}"
    blockers = _list(d.get("blockers"))
    if blockers:
        text += f": {blockers[0]}" + (f" (+{len(blockers) - 1} more)" if len(blockers) > 1 else "")
    if gates := _list(d.get("gates")):
        text += f" gates: {', '.join(map(str, gates))}"
    return text, ("to", "blockers", "gates")


GISTS: dict[str, Gist] = {
    "gate_result": _gate_result,
    "gate_started": lambda d: (f"{d.get('gate', '?')}: started ({d.get('kind', '?')})", ("gate", "kind")),
    "status_changed": lambda d: (f"{d.get('from', '?')} → {d.get('to', '?')}", ("from", "to")),
    "review_changed": _review,
    "approved": lambda d: (f"approved by {_who(d)}", ("actor", "identity")),
    "approval_refused": lambda d: (
        f"refused for {_who(d)}: {'; '.join(map(str, _list(d.get('blockers'))))}",
        ("actor", "identity", "blockers"),
    ),
    "promoted": lambda d: (
        f"merged {str(d.get('commit') or '?')[:12]} into {d.get('target', '?')} by {_who(d)}",
        ("commit", "target", "actor"),
    ),
    "promotion_failed": lambda d: (f"promotion failed: {d.get('reason', '?')}", ("reason",)),
    "rejected": lambda d: (
        f"rejected by {_who(d)}: {d.get('reason', '')}" + (" (sent back)" if d.get("send_back") else ""),
        ("actor", "reason", "send_back"),
    ),
    "dispatch_created": lambda d: (f"{d.get('title', '')} → {d.get('provider', '?')}", ("title", "provider")),
    "exited": lambda d: (f"exit code {d.get('code', d.get('exit_code', '?'))}", ("code", "exit_code")),
    "killed": lambda d: (f"killed by {_who(d)}", ("actor",)),
    "lost": lambda d: (f"lost: {d.get('reason', '?')}", ("reason",)),
    "placement": lambda d: (
        f"placed on {d.get('chosen', '?')}"
        + "".join(
            f"; not {r.get('executor', '?')}: {r.get('reason', '?')}" for r in _list(d.get("rejected")) if isinstance(r, dict)
        ),
        ("chosen", "rejected"),
    ),
    "timed_out": lambda d: (f"timed out after {d.get('after_s', '?')} s", ("after_s",)),
    "torn_down": lambda d: (
        f"{d.get('classification', '?')}" + (f", archived at {d['archive_ref']}" if d.get("archive_ref") else ""),
        ("classification", "archive_ref"),
    ),
    "diff_stat": lambda d: (
        f"{d.get('files', 0)} file(s) +{d.get('added', 0)} -{d.get('removed', 0)}",
        ("files", "added", "removed"),
    ),
    "input_sent": lambda d: (
        (f"key {d['keypress']!r}" if "keypress" in d else f"{d.get('bytes', '?')} bytes typed") + f" by {_who(d)}",
        ("keypress", "bytes", "actor"),
    ),
    "usage": lambda d: (
        f"tokens in {d.get('input_tokens', 0)} out {d.get('output_tokens', 0)}",
        ("input_tokens", "output_tokens"),
    ),
}


def _value(value: JsonValue) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def gist(receipt: Receipt) -> str:
    """The kind's own summary, then the rest of the data as `key=value` (one line, never cut;
    absent values (null) are left out: the record below shows them)."""
    data = receipt.data
    make = GISTS.get(receipt.kind)
    head, used = make({"actor": receipt.actor, **data}) if make else ("", ())
    rest = " ".join(f"{k}={_value(v)}" for k, v in data.items() if k not in used and v is not None)
    return " ".join(part for part in (head, rest) if part).replace("\n", "\\n")


def pretty(receipt: Receipt) -> str:
    """The whole record, pretty-printed, for the detail pane."""
    return json.dumps(receipt.model_dump(mode="json"), indent=2, ensure_ascii=False, sort_keys=False)
