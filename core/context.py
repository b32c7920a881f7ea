"""Per-request context read by the audit and disclosure logs."""

from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager

from .choices import Source

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
source: contextvars.ContextVar[str] = contextvars.ContextVar("source", default=Source.SYSTEM)
# The API token a request authenticated with, as the audit log names it ("name (prefix…)").
token: contextvars.ContextVar[str] = contextvars.ContextVar("token", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_token() -> str:
    """The API token of the request being served ("" for none); the audit entry's default."""
    return token.get()


@contextmanager
def acting(*, via: str, rid: str | None = None):
    """Run a block as coming through door ``via``, with a request id (the token, if any, is kept)."""
    t1 = source.set(via)
    t2 = request_id.set(rid or request_id.get() or new_request_id())
    try:
        yield
    finally:
        source.reset(t1)
        request_id.reset(t2)


@contextmanager
def serving(*, via: str, rid: str):
    """Serve one request: its door and id, and no token until the request authenticates with one."""
    t = token.set("")
    try:
        with acting(via=via, rid=rid):
            yield
    finally:
        token.reset(t)


def token_used(label: str) -> None:
    """Record that the request being served authenticated with the API token ``label``."""
    token.set(label[:120])
