"""Errors on the wire: a stable machine `code` for clients to branch on, and the operator's words.

Clients decide by `code` (never by matching the English `message`); `exit_code` is what the
CLI exits with (2 bad usage or input, 1 a check failed or the service refused).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

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


class ErrorBody(BaseModel):
    """The `error` of a failed reply."""

    model_config = ConfigDict(extra="ignore")

    code: ErrorCode = ErrorCode.SERVICE  # a supervisor older than the protocol sends none
    message: str = "the supervisor refused"
    hint: str | None = None
    exit_code: int = 1


def default_code(exc: CockpitError) -> ErrorCode:
    if exc.code is not None:
        return ErrorCode(exc.code)
    if isinstance(exc, UsageError):
        return ErrorCode.USAGE
    if isinstance(exc, CheckFailed):
        return ErrorCode.CHECK_FAILED
    return ErrorCode.SERVICE


def error_body(exc: CockpitError) -> ErrorBody:
    return ErrorBody(code=default_code(exc), message=exc.message, hint=exc.hint, exit_code=exc.exit_code)


def raise_error(body: ErrorBody) -> None:
    """Raise the error a reply carries, as the exception class its exit code stands for."""
    cls = {2: UsageError, 1: CheckFailed}.get(body.exit_code, ServiceError)
    raise cls(body.message, hint=body.hint, code=str(body.code))


def is_unknown_op(exc: CockpitError) -> bool:
    """True when the supervisor said it has no such request."""
    return exc.code == ErrorCode.UNKNOWN_OP
