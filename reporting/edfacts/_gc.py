"""Pause the cyclic garbage collector around bulk work.

A state-scale FS052 file is some 200,000 records, each a dict or a tuple of
strings; building, writing and checking them allocates millions of small
acyclic containers, and the collector's repeated passes over them cost more
than the work. Reference counting still frees everything; the previous
collector state is restored on exit.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


def gc_paused(func: F) -> F:
    """Decorator: run ``func`` with the cyclic collector disabled."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper  # type: ignore[return-value]
