"""Demo-data hook: the demo district opens on a dashboard with values and a little history."""

import datetime

from django.utils import timezone

from .services import kpi_snapshots_backfill, kpi_snapshots_nightly


def build(*, options: dict, context: dict) -> str:
    today = timezone.localdate()
    if options["districts"] > 1:  # a state-sized set: today's values only; history is a backfill away
        return f"{kpi_snapshots_nightly(today=today)} snapshots for {today}"
    start = max(
        datetime.date(today.year if today.month >= 9 else today.year - 1, 9, 1), today - datetime.timedelta(days=90)
    )
    dates, rows = kpi_snapshots_backfill(start=start, end=today, every_days=14)
    return f"{rows} snapshots on {dates} dates since {start}"
