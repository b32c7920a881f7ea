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
from django.db.models import Count, Q

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


@functools.cache
def row_class_field(model: type[models.Model]) -> str | None:
    """The field naming each record's sensitive data class (its access rule's ``row_class_field``), or None."""
    rule = getattr(model, "access", None)
    return rule.row_class_field if rule is not None else None


def join_classes(classes: Iterable[str]) -> str:
    """One audit entry's data class: blank, one class, or several joined with "+" (hidden from every role)."""
    return "+".join(sorted({c for c in classes if c}))


def row_class_of(instance: models.Model, changes: dict | None = None) -> str:
    """The data class an audit entry about ``instance`` carries: the record's row class, and any it had before.

    Blank for records whose existence discloses no class (their sensitive
    fields are masked when read instead, see :func:`visible_changes`).
    """
    name = row_class_field(type(instance))
    if name is None:
        return ""
    before_after = (changes or {}).get(name) or ()
    return join_classes([getattr(instance, name) or "", *(v or "" for v in before_after)])


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
        data_class=row_class_of(instance, changes),
        token=context.token.get(),
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


def class_filter(user) -> Q:
    """Audit entries whose data class the user administers (or that carry none)."""
    return Q(data_class__in=["", *sorted(policy.scope_for(user).data_classes())])


def history(
    user, model: type[models.Model], pk, limit: int = 20, leave_out: Iterable[str] = ()
) -> list[tuple[AuditEntry, dict]]:
    """The latest entries about one record the user has reached, as (entry, visible values).

    The record's history is shown to those who may see the record (and
    change it, or read the audit log), so the district scope is the
    record's; but an entry of a data class the user does not administer
    stays hidden (a spell's program may have changed), and hidden fields are
    masked. Fields named in ``leave_out`` (those the record's page does not
    show, such as a student's coordinates) are left out of the values.
    """
    leave_out = set(leave_out)
    entries = (
        AuditEntry.objects.filter(
            content_type__app_label=model._meta.app_label,
            content_type__model=model._meta.model_name,
            object_id=str(pk),
        )
        .filter(class_filter(user))
        .select_related("content_type")[:limit]
    )
    shown = []
    for e in entries:
        changes = {k: v for k, v in visible_changes(user, e).items() if k not in leave_out}
        shown.append((e, changes))
    return shown


def readable(model: type[models.Model], changes: dict) -> dict:
    """An entry's values as a record's page shows them: fields by their names, codes by their labels.

    Related records stay as stored (their ids); a value the reader may not
    see is already masked and stays so.
    """
    from django.core.exceptions import FieldDoesNotExist
    from django.utils.text import capfirst

    from .display import display

    shown = {}
    for name, pair in changes.items():
        try:
            f = model._meta.get_field(name)
        except FieldDoesNotExist:
            shown[name] = pair
            continue
        if f.concrete and not f.is_relation and callable(getattr(model, f"get_{name}_display", None)):
            values = []
            for value in pair:
                if value in (None, ""):
                    values.append(value)
                    continue
                bare = model()
                setattr(bare, f.attname, value)
                values.append(display(bare, name))
            pair = values
        shown[capfirst(f.verbose_name)] = pair
    return shown


def district_counts(queryset) -> dict:
    """{district id: number of records} of ``queryset``, grouped in one query along its model's access rule.

    A model with no district path counts all its records under None.
    """
    rule = getattr(queryset.model, "access", None)
    path = rule.district_path if rule is not None else None
    if not path:
        count = queryset.count()
        return {None: count} if count else {}
    rows = queryset.order_by().values_list(path).annotate(n=Count("pk", distinct=True))
    return {district: n for district, n in rows if n}


def log_disclosures(
    *,
    actor,
    channel: str,
    what: str,
    categories: Iterable[str],
    counts: dict,
    recipient: str = "",
    basis: str = "",
) -> list[Disclosure]:
    """One disclosure row per district of the records disclosed (``counts``: {district id: students})."""
    categories = list(categories)
    return [
        log_disclosure(
            actor=actor,
            channel=channel,
            what=what,
            categories=categories,
            student_count=count,
            recipient=recipient,
            basis=basis,
            district_id=district,
        )
        for district, count in sorted(counts.items(), key=lambda item: (item[0] is None, item[0] or 0))
        if count
    ]


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
    """One disclosure row, filed under the district of the records disclosed (so its readers see it)."""
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
