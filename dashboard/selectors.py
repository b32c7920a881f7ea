"""Reads for the dashboard pages, the API and the board packet: snapshots only, a fixed number of queries.

Nothing here computes a KPI. Each read takes the user, goes through
``restrict()``, and costs the same number of queries for 3 schools as for
300 (one query per kind of row, never one per school or per KPI).
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from core import policy
from core.choices import Action, Role
from district.models import District, School, SchoolYear

from . import registry
from .choices import Direction, Scope, Status
from .models import KpiSnapshot, KpiTarget

CACHE_SECONDS = 60  # how long a rendered COO view is reused (each tile says when its value was computed)
HISTORY_DAYS = 90  # the sparklines' window
TREND_DAYS = 400  # the KPI page's trend chart
STALE_AFTER = datetime.timedelta(hours=36)


def generation(district_id: int) -> int:
    """A counter bumped whenever the district's snapshots or targets change: part of every cache key."""
    return cache.get(f"dashboard:generation:{district_id}", 0)


def bump_generation(district_id: int) -> None:
    key = f"dashboard:generation:{district_id}"
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)


def scope_signature(user) -> str:
    """Users with the same assignments see the same rows, so they may share a cached rendering."""
    scope = policy.scope_for(user)
    parts = sorted(
        (a.role, a.district_id or 0, a.department_code or "", tuple(sorted(a.school_ids))) for a in scope.assignments
    )
    return hashlib.sha256(repr((scope.is_superuser, parts)).encode()).hexdigest()[:16]


def status_of(value: float | None, target: KpiTarget | None, direction: str) -> str:
    """On track, watch or off track against the target's thresholds; a context measure, no target or no data."""
    if value is None:
        return Status.NO_DATA
    if direction == Direction.CONTEXT:
        return Status.CONTEXT
    if target is None:
        return Status.NO_TARGET
    v = Decimal(str(value))
    if target.direction == Direction.LOWER:
        if v <= target.on_track_at:
            return Status.ON_TRACK
        return Status.WATCH if v <= target.watch_at else Status.OFF_TRACK
    if v >= target.on_track_at:
        return Status.ON_TRACK
    return Status.WATCH if v >= target.watch_at else Status.OFF_TRACK


@dataclass
class Tile:
    kpi: registry.Kpi
    value: float | None = None
    as_of: datetime.date | None = None
    computed_at: datetime.datetime | None = None
    suppressed: bool = False
    target: KpiTarget | None = None
    status: str = Status.NO_DATA
    history: list[tuple[datetime.date, float | None]] = field(default_factory=list)
    note: str = ""

    @property
    def stale(self) -> bool:
        return self.computed_at is None or timezone.now() - self.computed_at > STALE_AFTER

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def target_value(self) -> float | None:
        return float(self.target.target) if self.target is not None else None


def dashboard_districts(user):
    """The districts whose dashboard the user may open (their own; every district for the state role)."""
    return District.objects.restrict(user).order_by("name")


def can_read(user) -> bool:
    return not getattr(user, "is_integration", False) and policy.can(user, KpiSnapshot, Action.VIEW)


def reads_kpi(user, kpi: registry.Kpi) -> bool:
    """Whether the user may read some snapshots of ``kpi`` (a department's managers: their department's)."""
    return policy.can(user, KpiSnapshot, Action.VIEW, department=kpi.department)


def reads_district_scope(user) -> bool:
    """Whether the user sees district-wide figures (executives, the state, the reporting department)."""
    scope = policy.scope_for(user)
    return scope.is_superuser or bool(scope.roles & {Role.EXECUTIVE, Role.STATE, Role.DEPT_MANAGER, Role.DEPT_STAFF})


def principal_school_ids(user) -> list[int]:
    ids = policy.scope_for(user).school_ids_for(Role.PRINCIPAL)
    return sorted(ids or [])


def snapshots(user):
    return KpiSnapshot.objects.restrict(user, Action.VIEW)


def latest_date(user, district: District, on: datetime.date) -> datetime.date | None:
    return snapshots(user).filter(district=district, as_of__lte=on).aggregate(d=Max("as_of"))["d"]


def school_year_on(district: District, day: datetime.date) -> SchoolYear | None:
    return SchoolYear.objects.filter(district=district, start_date__lte=day).order_by("-start_date").first()


def targets_for(user, district: District, year: SchoolYear | None) -> dict[str, KpiTarget]:
    if year is None:
        return {}
    rows = KpiTarget.objects.restrict(user).filter(district=district, school_year=year)
    return {t.kpi_key: t for t in rows}


def _tiles(kpis, rows, targets) -> list[Tile]:
    history: dict[str, list] = defaultdict(list)
    for r in rows:
        history[r.kpi_key].append(r)
    tiles = []
    for kpi in kpis:
        mine = sorted(history.get(kpi.key, []), key=lambda r: r.as_of)
        tile = Tile(kpi=kpi, target=targets.get(kpi.key))
        tile.history = [(r.as_of, r.value) for r in mine]
        if mine:
            last = mine[-1]
            tile.value, tile.as_of, tile.computed_at = last.value, last.as_of, last.computed_at
            tile.suppressed, tile.note = last.suppressed, last.note
        tile.status = status_of(tile.value, tile.target, kpi.direction)
        tiles.append(tile)
    return tiles


@dataclass
class Overview:
    district: District
    as_of: datetime.date | None
    year: SchoolYear | None
    priorities: list[tuple[str, list[Tile]]]


def district_overview(user, district: District, on: datetime.date, department: str | None = None) -> Overview:
    """The COO view: each priority with its KPI tiles (value, target, status, sparkline) as of ``on``."""
    as_of = latest_date(user, district, on)
    year = school_year_on(district, as_of or on)
    # A department's managers see their own department's KPIs, not tiles of others' left empty.
    groups = [(p, [k for k in ks if reads_kpi(user, k)]) for p, ks in registry.by_priority(department)]
    kpis = [k for _p, ks in groups for k in ks]
    rows = []
    if as_of is not None and kpis:
        rows = list(
            snapshots(user)
            .filter(
                district=district,
                scope=Scope.DISTRICT,
                kpi_key__in=[k.key for k in kpis],
                as_of__lte=as_of,
                as_of__gt=as_of - datetime.timedelta(days=HISTORY_DAYS),
            )
            .only("kpi_key", "as_of", "value", "suppressed", "computed_at", "note")
            .order_by()
        )
    tiles = {t.kpi.key: t for t in _tiles(kpis, rows, targets_for(user, district, year))}
    return Overview(district, as_of, year, [(p, [tiles[k.key] for k in ks]) for p, ks in groups])


@dataclass
class KpiDetail:
    kpi: registry.Kpi
    district: District
    as_of: datetime.date | None
    year: SchoolYear | None
    tile: Tile
    trend: list[tuple[datetime.date, float | None]]
    schools: list[dict]
    groups: list[tuple[str, list[KpiSnapshot]]]
    records_url: str | None


def kpi_detail(user, kpi: registry.Kpi, district: District, on: datetime.date) -> KpiDetail:
    """The KPI page: trend, each school's value (with status), the student groups, and the district tile."""
    as_of = latest_date(user, district, on)
    year = school_year_on(district, as_of or on)
    targets = targets_for(user, district, year)
    trend_rows, school_rows, group_rows = [], [], []
    if as_of is not None:
        base = snapshots(user).filter(district=district, kpi_key=kpi.key)
        trend_rows = list(
            base.filter(scope=Scope.DISTRICT, as_of__lte=as_of, as_of__gt=as_of - datetime.timedelta(days=TREND_DAYS))
            .only("kpi_key", "as_of", "value", "suppressed", "computed_at", "note")
            .order_by("as_of")
        )
        latest_school = base.filter(scope=Scope.SCHOOL, as_of__lte=as_of).aggregate(d=Max("as_of"))["d"]
        if latest_school is not None:
            school_rows = list(
                base.filter(scope=Scope.SCHOOL, as_of=latest_school).select_related("school").order_by("school__name")
            )
        group_rows = list(base.filter(scope=Scope.GROUP, as_of=as_of).order_by("dimension", "group"))
    tile = _tiles([kpi], trend_rows, targets)[0]
    target = targets.get(kpi.key)
    schools = [
        {
            "snapshot": r,
            "school": r.school,
            "status": status_of(r.value, target, kpi.direction),
        }
        for r in school_rows
    ]
    for s in schools:
        s["status_label"] = Status(s["status"]).label
    grouped: dict[str, list[KpiSnapshot]] = defaultdict(list)
    for r in group_rows:
        grouped[r.dimension].append(r)
    records = kpi.records(district, as_of or on, None) if kpi.records else None
    return KpiDetail(
        kpi=kpi,
        district=district,
        as_of=as_of,
        year=year,
        tile=tile,
        trend=[(r.as_of, r.value) for r in trend_rows],
        schools=schools,
        groups=list(grouped.items()),
        records_url=records,
    )


@dataclass
class SchoolView:
    school: School
    as_of: datetime.date | None
    year: SchoolYear | None
    priorities: list[tuple[str, list[Tile]]]


def school_overview(user, school: School, on: datetime.date) -> SchoolView:
    """A school's KPI tiles (the principal's view, and the COO's drill-down)."""
    district = school.district
    rows = list(
        snapshots(user)
        .filter(
            school=school,
            scope=Scope.SCHOOL,
            as_of__lte=on,
            as_of__gt=on - datetime.timedelta(days=HISTORY_DAYS),
        )
        .only("kpi_key", "as_of", "value", "suppressed", "computed_at", "note")
        .order_by()
    )
    as_of = max((r.as_of for r in rows), default=None)
    year = school_year_on(district, as_of or on)
    groups = [(p, [k for k in ks if k.has_schools]) for p, ks in registry.by_priority()]
    kpis = [k for _p, ks in groups for k in ks]
    tiles = {t.kpi.key: t for t in _tiles(kpis, rows, targets_for(user, district, year))}
    for tile in tiles.values():
        tile.note = ""  # the district's data-quality notes are not the school's
    return SchoolView(school, as_of, year, [(p, [tiles[k.key] for k in ks]) for p, ks in groups])
