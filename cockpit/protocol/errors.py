"""Errors on the wire: a stable machine `code` for clients to branch on, and the operator's words.

Clients decide by `code` (never by matching the English `message`); `exit_code` is what the
CLI exits with (2 bad usage or input, 1 a check failed or the service refused).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from cockpit.errors import CockpitError
from cockpit.protocol.codes import ErrorCode, default_code, is_unknown_op, raise_error_fields


class ErrorBody(BaseModel):
    """The `error` of a failed reply."""

    model_config = ConfigDict(extra="ignore")

    code: ErrorCode = ErrorCode.SERVICE  # a supervisor older than the protocol sends none
    message: str = "the supervisor refused"
    hint: str | None = None
    exit_code: int = 1


def error_body(exc: CockpitError) -> ErrorBody:
    return ErrorBody(code=default_code(exc), message=exc.message, hint=exc.hint, exit_code=exc.exit_code)


def raise_error(body: ErrorBody) -> None:
    """Raise the error a reply carries, as the exception class its exit code stands for."""
    raise_error_fields(body.code, body.message, body.hint, body.exit_code)


__all__ = ["ErrorBody", "ErrorCode", "error_body", "is_unknown_op", "raise_error"]
