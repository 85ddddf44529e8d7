"""Who is acting, for audit events written where no actor is passed (signals on
configuration models). Set by the web middleware from the logged-in user and by the CLI
from --user / $WUYE_USER; "system" otherwise (migrations, the worker's own steps)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextvars import ContextVar

SYSTEM = "system"
_actor: ContextVar[str | Callable[[], str | None] | None] = ContextVar(
    "wuye_audit_actor", default=None
)


def current_actor() -> str:
    actor = _actor.get()
    if callable(actor):  # a request's user, known only once the view authenticated it
        actor = actor()
    return actor or SYSTEM


@contextlib.contextmanager
def acting_as(actor: str | Callable[[], str | None] | None):
    token = _actor.set(actor or None)
    try:
        yield
    finally:
        _actor.reset(token)
