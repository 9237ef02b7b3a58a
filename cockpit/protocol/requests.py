"""Every request a client may send: one arguments model per op, and the table of them.

Adding an op: write its `Args` subclass here (with `op = "name"`), its reply model in
replies.py, and register one handler for it in the supervisor (docs/architecture.md).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from cockpit.errors import UsageError
from cockpit.protocol.errors import ErrorCode

ACTOR = "operator"


class Args(BaseModel):
    """A request's arguments. Unknown ones are refused, so a client and a supervisor that
    disagree about a request say so instead of silently ignoring a field."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)
    op: ClassVar[str]


class DispatchRef(Args):
    """Requests about one dispatch: its full id or a unique prefix of at least 4 characters."""

    id: str


class Acting(DispatchRef):
    actor: str = ACTOR  # who asked, for the receipt


# -- supervisor ---------------------------------------------------------------------------


class Ping(Args):
    op = "ping"


class Shutdown(Args):
    op = "shutdown"


class Subscribe(Args):
    """Turns the connection into a stream of events (events.py)."""

    op = "subscribe"
    terminal_notifications: bool = False  # a TUI: the supervisor's notifications go to its terminal


# -- workers ------------------------------------------------------------------------------


class Dispatch(Args):
    op = "dispatch"
    prompt: str | None = None
    provider: str | None = None
    mode: str | None = None
    base: str | None = None
    timeout_s: float | None = None
    priority: int = 0
    # A task packet's fields (docs/gates.md): validated by the task packet's own model, with
    # its own messages, when the dispatch is prepared; until then any values, as sent.
    task: dict[str, object] = {}
    task_source: str = "task"
    actor: str = ACTOR
    host: str | None = None  # an SSH host of hosts.yaml (docs/hosts.md), or
    label: str | None = None  # any host with this label


class Status(Args):
    op = "status"
    all: bool = False  # include torn-down dispatches


class Show(DispatchRef):
    op = "show"


class Wait(DispatchRef):
    op = "wait"
    until: str = "final"
    timeout: float | None = None


class Send(Acting):
    op = "send"
    text: str | None = None
    key: str | None = None
    enter: bool = True


class Kill(Acting):
    op = "kill"


class Teardown(Acting):
    op = "teardown"


class Restore(Acting):
    op = "restore"
    host: str | None = None  # an SSH host from hosts.yaml: the worktree comes back there (docs/hosts.md)


class PreviewTeardown(DispatchRef):
    op = "preview_teardown"


class Screen(DispatchRef):
    op = "screen"
    history: int = 0  # lines above the visible screen


class Diff(DispatchRef):
    op = "diff"
    patch: bool = True


class Providers(Args):
    op = "providers"
    refresh: bool = False


class Skills(Args):
    op = "skills"


class Hosts(Args):
    """The SSH hosts of hosts.yaml as last probed (docs/hosts.md): the supervisor keeps each
    probe a few seconds, so a screen asking again is cheap; `refresh` probes now."""

    op = "hosts"
    refresh: bool = False


# -- worker control and the review loop -------------------------------------------------


class Continue(DispatchRef):
    op = "continue"
    prompt: str = ""
    actor: str = ACTOR


class Comment(DispatchRef):
    op = "comment"
    anchor: str = ""  # FILE:LINE[-LINE]
    text: str = ""
    actor: str = ACTOR


class Comments(DispatchRef):
    op = "comments"


class CommentsSend(DispatchRef):
    op = "comments_send"
    actor: str = ACTOR


class Pause(Args):
    """One worker (`id`), a provider's (`provider`) or all (`all`): exactly one of them."""

    op = "pause"
    id: str | None = None
    provider: str | None = None
    all: bool = False
    actor: str = ACTOR


class Resume(Pause):
    op = "resume"


# -- gates and promotion ------------------------------------------------------------------


class Gates(DispatchRef):
    op = "gates"
    wait: bool = False


class Review(DispatchRef):
    op = "review"
    strategy: str = "merge"


class Identity(BaseModel):
    """Who the operator is (service/identity.py:operator_identity); `worker` is set when asked
    from inside a worker. Receipted as sent, so fields a newer client adds are kept."""

    model_config = ConfigDict(extra="allow", frozen=True)

    user: str = "unknown"
    host: str = "unknown"
    uid: int | None = None
    tty: str | None = None
    ssh_client: str | None = None
    pid: int | None = None
    worker: str | None = None
    web_client: dict[str, str] | None = None  # the browser behind a `cockpit serve` TUI


class Approve(DispatchRef):
    op = "approve"
    strategy: str = "merge"
    identity: Identity = Identity()


class Reject(Acting):
    op = "reject"
    reason: str = ""
    send_back: bool = False


class Replay(DispatchRef):
    op = "replay"
    review: bool = False  # also replay the review gates


# -- permissions --------------------------------------------------------------------------


class PermissionRequest(Args):
    op = "permission_request"
    dispatch: str
    # The CLI hook's own JSON (tool_name, tool_input, ...): another program's schema, read
    # field by field in service/permissions.py (the service's HookPayload).
    payload: dict[str, object] = {}
    source: str = "hook"
    timeout_s: float | None = None


class Permissions(Args):
    op = "permissions"


class PermissionDecide(Args):
    op = "permission_decide"
    request: str
    decision: str
    identity: Identity = Identity()
    always_for_dispatch: bool = False


REQUESTS: dict[str, type[Args]] = {
    cls.op: cls
    for cls in (
        Ping,
        Shutdown,
        Subscribe,
        Dispatch,
        Status,
        Show,
        Wait,
        Send,
        Kill,
        Teardown,
        Restore,
        PreviewTeardown,
        Screen,
        Diff,
        Providers,
        Skills,
        Hosts,
        Continue,
        Comment,
        Comments,
        CommentsSend,
        Pause,
        Resume,
        Gates,
        Review,
        Approve,
        Reject,
        Replay,
        PermissionRequest,
        Permissions,
        PermissionDecide,
    )
}


def parse_args(op: str, raw: object) -> Args:
    """The op's arguments, checked; bad ones are one clear usage error."""
    model = REQUESTS.get(op)
    if model is None:
        raise UsageError(
            f"the supervisor does not know the request {op!r}",
            hint="are the cockpit client and supervisor the same version?",
            code=ErrorCode.UNKNOWN_OP,
        )
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        raise UsageError(
            f"bad arguments for {op!r}: {describe(exc)}", hint="are the cockpit client and supervisor the same version?"
        ) from None


def describe(exc: ValidationError) -> str:
    """pydantic's errors on one line: `field: problem; field: problem`."""
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"]) or "arguments"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)
