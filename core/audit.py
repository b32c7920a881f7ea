"""Writing the audit and disclosure logs."""

from __future__ import annotations

import datetime
import decimal
import functools
import operator
import uuid
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from . import context, policy
from .models import AuditEntry, Disclosure

SKIPPED_FIELDS = {"created_at", "updated_at", "version"}


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model) -> dict:
    """The instance's stored values, by field name, in JSON-safe form."""
    values = {}
    skipped = SKIPPED_FIELDS | set(getattr(instance, "audit_exclude", ()))
    for f in instance._meta.concrete_fields:
        if f.name in skipped or f.primary_key:
            continue
        values[f.name] = _plain(getattr(instance, f.attname))
    return values


def snapshot_m2m(instance: models.Model) -> dict:
    return {
        f.name: sorted(getattr(instance, f.name).values_list("pk", flat=True))
        for f in instance._meta.many_to_many
        if instance.pk
    }


def diff(before: dict, after: dict) -> dict:
    keys = before.keys() | after.keys()
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


@functools.cache
def _district_getter(model: type[models.Model]):
    """An attribute getter for the district id of ``model``'s records, along its access rule's path.

    None when the records have no one district: no path, or a path that
    crosses a to-many relation.
    """
    rule = getattr(model, "access", None)
    if rule is None or not rule.district_path:
        return None
    opts, names = model._meta, []
    *hops, last = rule.district_path.split("__")
    for hop in hops:
        field = opts.get_field(hop)
        if field.many_to_many or field.one_to_many:
            return None
        names.append(field.name)
        opts = field.related_model._meta
    if last == "pk":
        names.append("pk")
    else:
        field = opts.get_field(last)
        if field.many_to_many or field.one_to_many:
            return None
        names.append(field.attname)  # the id of a relation, or the value of a plain field
    return operator.attrgetter(".".join(names))


def has_row_district(model: type[models.Model]) -> bool:
    """Whether each record of ``model`` has one district: its access rule's path crosses no to-many relation."""
    return _district_getter(model) is not None


def district_of(instance: models.Model):
    """The district id of a record along its access rule's path (None when it has no one district)."""
    getter = _district_getter(type(instance))
    if getter is None:
        return None
    try:
        return getter(instance)
    except AttributeError:  # an empty relation on the way (a related object that does not exist is one too)
        return None


def _entry(actor, change: str, instance: models.Model, changes: dict, ct: ContentType | None = None) -> AuditEntry:
    return AuditEntry(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor.get_username() if actor is not None and actor.pk else "system",
        change=change,
        content_type=ct or ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        changes=changes,
        request_id=context.request_id.get(),
        source=context.source.get(),
        district_key=district_of(instance),
    )


def log_change(*, actor, change: str, instance: models.Model, before: dict | None, after: dict | None) -> AuditEntry:
    entry = _entry(actor, change, instance, diff(before or {}, after or {}))
    entry.save()
    return entry


def log_bulk(*, actor, rows: Iterable[tuple[str, models.Model, dict | None, dict | None]]) -> int:
    """Write many audit rows in one statement: (change, instance, before, after)."""
    entries = []
    ct = None
    for change, instance, before, after in rows:
        ct = ct or ContentType.objects.get_for_model(type(instance))
        entries.append(_entry(actor, change, instance, diff(before or {}, after or {}), ct))
    AuditEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


def visible_changes(user, entry: AuditEntry) -> dict:
    """An entry's values with the fields the user may not see hidden."""
    model = entry.content_type.model_class()
    hidden = policy.hidden_fields(user, model) if model else set()
    return {k: (["•••", "•••"] if k in hidden else v) for k, v in entry.changes.items()}


def log_disclosure(
    *,
    actor,
    channel: str,
    what: str,
    categories: Iterable[str],
    student_count: int,
    recipient: str = "",
    basis: str = "",
    district_id=None,
) -> Disclosure:
    name = actor.get_username() if actor is not None and actor.pk else "anonymous"
    return Disclosure.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=name,
        channel=channel,
        what=what[:200],
        categories=sorted(set(categories)),
        student_count=student_count,
        recipient=(recipient or name)[:200],
        basis=(basis or "legitimate educational interest (school official)")[:300],
        request_id=context.request_id.get(),
        district_key=district_id,
    )
