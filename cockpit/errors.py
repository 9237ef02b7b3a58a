"""Errors that carry their exit code, so every layer can fail with one clear line.

Exit codes are the same everywhere: 0 success, 1 a check failed, 2 bad usage or
bad input. The CLI prints `str(error)` as one line; tracebacks only with --debug.
"""


class CockpitError(Exception):
    """Base class: a message meant for the operator, and the exit code to use."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None) -> None:
        self.message = message
        self.hint = hint
        self.code = code  # a machine code for clients (cockpit.protocol.errors.ErrorCode); None: by class
        super().__init__(f"{message}; {hint}" if hint else message)


class UsageError(CockpitError):
    """Bad usage or bad input: nothing was written anywhere."""

    exit_code = 2


class CheckFailed(CockpitError):
    """A check ran and said no (verify found a break, a gate is missing, ...)."""

    exit_code = 1


class LedgerError(CockpitError):
    """The ledger cannot be appended to safely (truncated, locked out, unwritable)."""

    exit_code = 1


class ServiceError(CockpitError):
    """The supervisor could not be reached or refused a request."""

    exit_code = 1
