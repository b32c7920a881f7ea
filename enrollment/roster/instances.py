"""Building many model instances quickly.

A keyword constructor (``Student(district=d, ...)``) goes through each
relation's descriptor and costs tens of microseconds; at half a million rows
that is most of an import. ``InstanceMaker`` uses the positional constructor
(the one Django uses for rows read from the database) and ``attach`` sets a
relation's id and cached object directly. The instances are ordinary model
instances: ``clean()``, ``str()`` and the audit read them as usual.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import TypeVar

from django.db import models
from django.db.models import signals
from django.db.models.base import ModelState

F = TypeVar("F", bound=Callable)


def gc_paused(func: F) -> F:
    """Run ``func`` with the cyclic garbage collector paused.

    Reading and checking a state-sized roster allocates millions of small
    acyclic objects; the collector's repeated passes over them would cost as
    much as the work. Reference counting still frees them.
    """

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


_FIELDS: dict[tuple[type, str], models.Field] = {}


def attach(obj: models.Model, name: str, target: models.Model | None) -> None:
    """Point relation ``name`` of ``obj`` at ``target`` (id and cached object)."""
    key = (type(obj), name)
    field = _FIELDS.get(key)
    if field is None:
        field = _FIELDS[key] = obj._meta.get_field(name)
    if target is None:
        obj.__dict__[field.attname] = None
        obj._state.fields_cache.pop(field.cache_name, None)
    else:
        obj.__dict__[field.attname] = target.pk
        obj._state.fields_cache[field.cache_name] = target


class InstanceMaker:
    """New instances and working copies of one model, built without the keyword constructor.

    With no ``post_init`` receivers for the model (none of ours has one),
    ``__init__`` would only set each field's value and a fresh state; this
    does the same directly on the instance's ``__dict__``. With receivers it
    falls back to the positional constructor, which sends the signal.
    """

    def __init__(self, model: type[models.Model]):
        self.model = model
        fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in fields]
        self.callable_defaults = [f for f in fields if f.has_default() and callable(f.default)]
        self.defaults = {f.attname: (None if f in self.callable_defaults else f.get_default()) for f in fields}
        self.direct = not signals.post_init.has_listeners(model)

    def new(self, values: dict, relations: dict[str, models.Model | None] | None = None) -> models.Model:
        """A new instance with these field values (by attribute name) and related objects."""
        if self.direct:
            obj = self.model.__new__(self.model)
            obj._state = ModelState()
            state = obj.__dict__
            state.update(self.defaults)
            for f in self.callable_defaults:
                state[f.attname] = f.get_default()
            state.update(values)
        else:
            merged = {**self.defaults, **{f.attname: f.get_default() for f in self.callable_defaults}, **values}
            obj = self.model(*[merged[name] for name in self.attnames])
        for name, target in (relations or {}).items():
            attach(obj, name, target)
        return obj

    def copy(self, obj: models.Model) -> models.Model:
        """A separate instance with ``obj``'s values and cached relations, to change and compare."""
        if self.direct:
            clone = self.model.__new__(self.model)
            clone.__dict__.update(obj.__dict__)
            clone._state = ModelState()
        else:
            clone = self.model(*[obj.__dict__[name] for name in self.attnames])
        clone._state.adding = False
        clone._state.db = obj._state.db
        clone._state.fields_cache = dict(obj._state.fields_cache)
        return clone
