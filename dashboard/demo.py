"""Demo-data hook: the demo district opens on a dashboard with values, a little history, targets and statuses.

It runs after the departments' builders (the enrollment demo has run its
lottery by then), computes the snapshots, and gives every KPI that has a
better direction a target and thresholds for the school years begun, each
with its reason. The goals are worked out from the district's figures, so
any KPI an app registers gets one: a little better than today's value,
rounded, which leaves some tiles on track and others to watch or off track.
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

from django.utils import timezone

from district.models import District, SchoolYear

from . import registry
from .choices import Direction, Scope, Unit
from .models import KpiSnapshot, KpiTarget
from .services import kpi_snapshots_backfill, kpi_snapshots_nightly


def build(*, options: dict, context: dict) -> str:
    today = timezone.localdate()
    if options["districts"] > 1:  # a state-sized set: today's values only; history is a backfill away
        summary = f"{kpi_snapshots_nightly(today=today)} snapshots for {today}"
    else:
        start = max(
            datetime.date(today.year if today.month >= 9 else today.year - 1, 9, 1),
            today - datetime.timedelta(days=90),
        )
        dates, rows = kpi_snapshots_backfill(start=start, end=today, every_days=14)
        summary = f"{rows} snapshots on {dates} dates since {start}"
    targets = demo_targets(today=today)
    return f"{summary}; {targets} KPI targets"


def goal(kpi: registry.Kpi, value: float | None) -> tuple[Decimal, Decimal, Decimal]:
    """(target, on track from, watch from) for a KPI whose latest district value is ``value``."""
    if kpi.direction == Direction.HIGHER:
        if value is None:
            target = 90.0 if kpi.unit == Unit.PERCENT else 10.0
        else:
            target = 5 * math.ceil((value + 3) / 5)
        if kpi.unit == Unit.PERCENT:
            target = min(100.0, target)
        on_track, watch = target - 5, target - 15
    else:
        target = 0.0 if not value else 5 * math.floor(0.75 * value / 5)
        on_track, watch = target, target + max(5, math.ceil(0.25 * target))
    return tuple(Decimal(str(v)).quantize(Decimal("0.01")) for v in (target, on_track, max(0, watch)))


def demo_targets(*, today: datetime.date) -> int:
    """A target for every KPI with a better direction, in every district, for each school year begun."""
    kpis = [k for k in registry.all_kpis() if k.direction != Direction.CONTEXT]
    latest = {}
    for row in KpiSnapshot.objects.filter(scope=Scope.DISTRICT, as_of__lte=today).order_by("as_of"):
        latest[(row.district_id, row.kpi_key)] = row.value
    rows = []
    for district in District.objects.order_by("pk"):
        years = SchoolYear.objects.filter(district=district, start_date__lte=today).order_by("end_year")
        for year in years:
            for kpi in kpis:
                target, on_track, watch = goal(kpi, latest.get((district.pk, kpi.key)))
                row = KpiTarget(
                    district=district,
                    kpi_key=kpi.key,
                    school_year=year,
                    target=target,
                    on_track_at=on_track,
                    watch_at=watch,
                    direction=kpi.direction,
                    reason=f"Board goal for {year} (demo data)",
                )
                row.full_clean()
                rows.append(row)
    KpiTarget.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
