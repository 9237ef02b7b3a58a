"""The command claude's PreToolUse hook runs: ask the supervisor, print claude's answer.

`python -m cockpit.service.permission_hook` reads the hook's JSON on stdin (tool_name,
tool_input, ...), asks the supervisor on $COCKPIT_SOCKET (`permission_request` for
$COCKPIT_DISPATCH_ID), waits for the decision (a rule at once, else the operator, else the
timeout) and prints claude's PreToolUse answer:
`{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow"|"deny", ...}}`.
Only the standard library: it runs on the CLI's hot path. If the supervisor cannot be
asked, it prints nothing and exits 0: claude then asks on its own screen (cockpit's
screen patterns still see that), so a missing supervisor never grants anything.
"""

from __future__ import annotations

import json
import os
import socket
import sys


def ask(socket_path: str, dispatch: str, payload: dict, source: str = "hook") -> dict:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(socket_path)
        request = {"id": 1, "op": "permission_request", "args": {"dispatch": dispatch, "payload": payload, "source": source}}
        sock.sendall((json.dumps(request) + "\n").encode())
        with sock.makefile("rb") as replies:
            for line in replies:
                reply = json.loads(line)
                if reply.get("id") == 1:
                    if not reply.get("ok"):
                        raise RuntimeError((reply.get("error") or {}).get("message", "refused"))
                    return reply["result"]
    finally:
        sock.close()
    raise RuntimeError("the supervisor closed the connection")


def answer(result: dict) -> dict:
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": result["decision"],
            "permissionDecisionReason": f"cockpit {result.get('request', '')}: {result.get('reason', '')}".strip(),
        }
    }


def main() -> int:
    socket_path = os.environ.get("COCKPIT_SOCKET")
    dispatch = os.environ.get("COCKPIT_DISPATCH_ID")
    try:
        payload = json.loads(sys.stdin.buffer.read() or b"{}")
    except ValueError:
        return 0
    if not socket_path or not dispatch or not isinstance(payload, dict):
        return 0
    try:
        result = ask(socket_path, dispatch, payload)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        print(f"cockpit permission hook: {exc}; leaving the decision to the CLI", file=sys.stderr)
        return 0
    if result.get("decision") in ("allow", "deny"):  # else no policy here: claude decides as before
        sys.stdout.write(json.dumps(answer(result)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
