"""Workflows on district reference data."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from core import audit
from core.choices import Action
from core.models import AuditEntry
from core.services import ensure_in_scope

from .models import SchoolDay, SchoolYear


def instructional_dates(
    start: datetime.date, end: datetime.date, closed: Iterable[datetime.date] = ()
) -> list[datetime.date]:
    """Weekdays from ``start`` to ``end`` inclusive, less the closed dates."""
    closed_set = set(closed)
    days = []
    day = start
    while day <= end:
        if day.weekday() < 5 and day not in closed_set:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


@transaction.atomic
def school_year_calendar_build(*, actor, school_year: SchoolYear, closed_dates: Iterable[datetime.date] = ()) -> int:
    """Add every instructional day of the year not yet on its calendar; returns how many.

    Running it twice adds nothing the second time. Closed dates outside the
    year are refused.
    """
    closed = sorted(set(closed_dates))
    outside = [d for d in closed if not (school_year.start_date <= d <= school_year.end_date)]
    if outside:
        raise ValidationError(
            {
                "closed_dates": _("Dates outside the school year: %(dates)s.")
                % {"dates": ", ".join(formats.date_format(d, "SHORT_DATE_FORMAT") for d in outside)}
            }
        )
    if actor is not None:
        ensure_in_scope(actor, school_year, Action.CHANGE)
    existing = set(SchoolDay.objects.filter(school_year=school_year).values_list("date", flat=True))
    new_days = [
        SchoolDay(
            school_year=school_year, date=d, is_instructional=True, created_by=actor if actor and actor.pk else None
        )
        for d in instructional_dates(school_year.start_date, school_year.end_date, closed)
        if d not in existing
    ]
    SchoolDay.objects.bulk_create(new_days, batch_size=500)
    created = list(SchoolDay.objects.filter(school_year=school_year, date__in=[d.date for d in new_days]))
    audit.log_bulk(actor=actor, rows=[(AuditEntry.Change.CREATE, day, None, audit.snapshot(day)) for day in created])
    return len(created)
