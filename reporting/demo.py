"""Demo-data hook: the submission calendar's collections, and this year's membership file run once.

It runs after the enrollment demo (and before the dashboard's, so the KPIs
computed from report runs count this run). The federal membership collections
of the current collection year get due dates, two of them within the coming
month, so the reporting workspace shows what is due; FS052 is run as the
scheduler would, and its findings (students whose sex the file may not carry,
records the roster left incomplete) are there to work through.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from district.models import District

from . import registry, selectors, services
from .models import Collection

# (report, days from today to the due date)
DUE = (("fs052", 12), ("fs039", 26), ("fs129", 60))


def build(*, options: dict, context: dict) -> str:
    today = timezone.localdate()
    collections = runs = 0
    for district in District.objects.order_by("pk")[:1]:  # the demo district (the first of a state-sized set)
        for key, days in DUE:
            report = registry.get(key)
            year = selectors.current_collection_year(report, district, today) if report else None
            if year is None:
                continue
            row = Collection(
                district=district,
                name=str(report.title),
                report_key=key,
                school_year=year,
                due_date=today + datetime.timedelta(days=days),
                notes="Demo due date",
            )
            row.full_clean()
            row.save()
            collections += 1
        report = registry.get("fs052")
        year = selectors.current_collection_year(report, district, today) if report else None
        if year is not None:
            run, _reused = services.report_request(
                actor=None, report_key=report.key, district=district, raw_params={"school_year": year.pk}
            )
            services.report_run_execute(run.pk)
            runs += 1
    return f"{collections} collections on the calendar, {runs} report run"
