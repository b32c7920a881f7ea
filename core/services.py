"""Generic writes for plain records: one transaction, validation, scope, audit.

Pages, API views, imports and the admin all save plain records through these
two functions, so every door checks the same scope and writes the same audit.
Workflows with rules of their own live in each app's ``services.py`` and call
these for the records they touch.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from . import audit, policy
from .choices import Action
from .models import AuditEntry


class StaleVersion(Exception):
    """The record changed since the caller read it (optimistic concurrency)."""

    def __init__(self, current: int):
        super().__init__(f"The record is at version {current}.")
        self.current = current


def out_of_reach(action: str) -> PermissionDenied:
    """The one refusal of a record outside what the user may ``action``, whatever the reason."""
    return PermissionDenied(
        _("That record would fall outside what you may %(action)s.") % {"action": Action(action).label}
    )


def ensure_in_scope(actor, instance: models.Model, action: str) -> None:
    """Refuse unless the saved ``instance`` is one ``actor`` may ``action``, by ``restrict()``.

    A change may end the reason the actor reaches a record (an enrollment
    closed with a date past the grace period), so after a change the record
    must stay within the actor's districts and schools, but its student need
    not still be served there (see ``core.policy``).
    """
    model = type(instance)
    if action == Action.CHANGE:
        condition = policy.filter_for(actor, model, action, served=False)
        rows = model.objects.filter(pk=instance.pk)
        in_scope = (rows if condition is None else rows.filter(condition)).exists()
    else:
        in_scope = model.objects.restrict(actor, action).filter(pk=instance.pk).exists()
    if not in_scope:
        raise out_of_reach(action)


@transaction.atomic
def record_save(*, actor, instance: models.Model, expected_version: int | None = None, m2m: dict | None = None):
    """Create or update ``instance`` as ``actor``; returns the saved instance.

    The caller has fetched an existing instance through ``restrict(actor,
    "change")``; this checks that the saved record is still within the actor's
    scope (a record cannot be moved to a school the actor does not reach),
    checks the version when one is expected, and writes the audit entry.
    """
    model = type(instance)
    creating = instance._state.adding
    if actor is not None and not policy.may_hold(actor, instance):
        # Before validation reads other rows: the answer must not depend on rows the actor cannot see.
        raise out_of_reach(Action.ADD if creating else Action.CHANGE)
    before = None
    if not creating:
        current = model.objects.select_for_update().get(pk=instance.pk)
        versioned = hasattr(current, "version")
        if versioned and expected_version is not None and current.version != expected_version:
            raise StaleVersion(current.version)
        before = {**audit.snapshot(current), **audit.snapshot_m2m(current)}
        if versioned:
            instance.version = current.version + 1
    elif actor is not None and actor.pk and hasattr(instance, "created_by_id"):
        instance.created_by = actor
    instance.full_clean()
    instance.save()
    for name, values in (m2m or {}).items():
        getattr(instance, name).set(values)
    ensure_in_scope(actor, instance, Action.ADD if creating else Action.CHANGE)
    after = {**audit.snapshot(instance), **audit.snapshot_m2m(instance)}
    audit.log_change(
        actor=actor,
        change=AuditEntry.Change.CREATE if creating else AuditEntry.Change.UPDATE,
        instance=instance,
        before=before,
        after=after,
    )
    return instance


@transaction.atomic
def record_delete(*, actor, instance: models.Model) -> None:
    """Delete ``instance`` as ``actor`` and audit it; refuse if it is still referenced."""
    ensure_in_scope(actor, instance, Action.DELETE)
    before = {**audit.snapshot(instance), **audit.snapshot_m2m(instance)}
    entry = audit._entry(actor, AuditEntry.Change.DELETE, instance, audit.diff(before, {}))
    try:
        instance.delete()
    except models.ProtectedError as exc:
        names = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
        raise ValidationError(
            _("%(object)s is still used by: %(uses)s.") % {"object": instance, "uses": ", ".join(names)}
        ) from exc
    entry.save()
