"""The machine codes of errors on the wire. Free of pydantic, so the CLI's blocking client
(which starts on every command) can raise and recognise them without loading it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from cockpit.errors import CheckFailed, CockpitError, ServiceError, UsageError


class ErrorCode(StrEnum):
    USAGE = "usage"  # bad arguments or input: nothing was written
    UNKNOWN_OP = "unknown_op"  # the supervisor has no such request (an older or partial one)
    MALFORMED = "malformed"  # the line was not a request at all
    NOT_FOUND = "not_found"  # no such dispatch (or permission request) in this repository
    CONFLICT = "conflict"  # the request contradicts the current state (already promoted, ...)
    CHECK_FAILED = "check_failed"  # a check ran and said no (gates, refusals, ...)
    SERVICE = "service"  # the service could not do it (a connection, a vanished process)
    INTERNAL = "internal"  # a bug in the supervisor; see its log


def default_code(exc: CockpitError) -> ErrorCode:
    """The exception's own code, else the one its class stands for."""
    if exc.code is not None:
        return ErrorCode(exc.code)
    if isinstance(exc, UsageError):
        return ErrorCode.USAGE
    if isinstance(exc, CheckFailed):
        return ErrorCode.CHECK_FAILED
    return ErrorCode.SERVICE


def raise_error_fields(code: Any, message: Any, hint: Any, exit_code: Any) -> None:
    """Raise a failed reply's error as the exception class its exit code stands for.
    A supervisor older than the protocol sends no code: `service`."""
    exit_code = exit_code if isinstance(exit_code, int) else 1
    cls = {2: UsageError, 1: CheckFailed}.get(exit_code, ServiceError)
    known = code if isinstance(code, str) and code in ErrorCode._value2member_map_ else ErrorCode.SERVICE
    raise cls(
        str(message) if message is not None else "the supervisor refused",
        hint=str(hint) if hint is not None else None,
        code=str(known),
    )


def is_unknown_op(exc: CockpitError) -> bool:
    """True when the supervisor said it has no such request."""
    return exc.code == ErrorCode.UNKNOWN_OP
