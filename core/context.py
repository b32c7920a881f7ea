"""Per-request context read by the audit and disclosure logs."""

from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager

from .choices import Source

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
source: contextvars.ContextVar[str] = contextvars.ContextVar("source", default=Source.SYSTEM)


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def acting(*, via: str, rid: str | None = None):
    """Run a block as coming through door ``via``, with a request id."""
    t1 = source.set(via)
    t2 = request_id.set(rid or request_id.get() or new_request_id())
    try:
        yield
    finally:
        source.reset(t1)
        request_id.reset(t2)
