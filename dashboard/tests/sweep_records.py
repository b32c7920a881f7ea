"""Dashboard records for the sweeps (``core.testing.sweeps``): one per model at a given school."""

import datetime
import itertools

from django.utils import timezone

from dashboard.models import KpiRefresh, KpiSnapshot, KpiTarget

_keys = itertools.count(1)


def _year(world, school):
    return world.year if school.district_id == world.district.pk else world.other_year


def kpi_snapshot(world, school):
    return KpiSnapshot.objects.create(
        kpi_key=f"sweep_{next(_keys)}",
        version=1,
        district=school.district,
        scope="school",
        school=school,
        value=0.5,
        as_of=datetime.date(2026, 10, 1),
        computed_at=timezone.now(),
    )


def kpi_target(world, school):
    return KpiTarget.objects.create(
        district=school.district,
        kpi_key=f"sweep_{next(_keys)}",
        school_year=_year(world, school),
        target=90,
        on_track_at=90,
        watch_at=80,
        direction="higher",
        reason="sweep",
    )


def kpi_refresh(world, school):
    return KpiRefresh.objects.create(district=school.district, as_of=datetime.date(2026, 10, 1))


BUILDERS = {KpiSnapshot: kpi_snapshot, KpiTarget: kpi_target, KpiRefresh: kpi_refresh}
