"""The KPI registry: each app declares its KPIs in ``kpis.py`` (autodiscovered).

    from dashboard.registry import Kpi, register

    register(Kpi(
        key="building_utilization", name=_("Building utilization"), department="enrollment",
        priority=Priority.OPERATIONAL, unit=Unit.PERCENT, direction=Direction.HIGHER,
        definition=_("..."), formula=_("enrolled ÷ seats × 100"), source=_("Enrollment, school capacity"),
        version=1, compute=compute_utilization, records=utilization_records,
    ))

``compute(ctx)`` runs in SQL and returns a :class:`KpiResult`: the district's
figure, each school's, and each student group's (district-wide), as raw
numerators and denominators. The snapshot service, not the KPI, applies
small-cell suppression, so every KPI is suppressed the same way and no raw
small cell is ever stored.

Snapshots are computed every night. A source whose data change during the day
in a way a KPI must show at once (a report run finishing with fatal findings)
calls :func:`kpis_changed`: those KPIs are recomputed for today after the
change commits, on Celery (in-process in the embedded default).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .choices import Direction, Priority, Unit


@dataclass
class Figure:
    """One value: a numerator over a denominator (percent), or a count (numerator only)."""

    numerator: float | None
    denominator: float | None = None
    # Set by the computation when a source already withheld the cell (a lottery
    # summary's suppressed group); the snapshot then stores no number.
    suppressed: bool = False

    def value(self, unit: str) -> float | None:
        if self.suppressed or self.numerator is None:
            return None
        if unit == Unit.PERCENT:
            if not self.denominator:
                return None
            return round(100.0 * self.numerator / self.denominator, 2)
        return float(self.numerator)


@dataclass
class KpiResult:
    district: Figure | None = None
    schools: dict[int, Figure] = field(default_factory=dict)
    groups: dict[tuple[str, str], Figure] = field(default_factory=dict)  # (dimension, value) -> figure
    notes: list[str] = field(default_factory=list)  # data quality: missing or stale inputs


@dataclass
class ComputeContext:
    """What a computation gets: the district, the as-of date and its school year (may be None)."""

    district: Any
    as_of: datetime.date
    school_year: Any = None
    small_cell: int = 10


@dataclass(frozen=True)
class Kpi:
    key: str
    name: str
    department: str  # a district.choices.DepartmentCode value
    priority: str  # a choices.Priority value
    unit: str  # a choices.Unit value
    direction: str  # a choices.Direction value
    definition: str  # plain language
    formula: str
    source: str
    version: int
    compute: Callable[[ComputeContext], KpiResult]
    # The list page behind the number: (district, as_of, school id or None) -> URL or None.
    records: Callable[[Any, datetime.date, int | None], str | None] | None = None
    # Counts of students: cells whose denominator is under the small-cell
    # threshold are suppressed (with a second cell when one alone would be).
    suppress: bool = True
    # The numerator counts a sensitive class (disability): small numerators
    # (and small complements) are suppressed as well.
    sensitive: bool = False
    has_groups: bool = False
    has_schools: bool = True

    def __post_init__(self):
        if self.priority not in Priority.values:
            raise ValueError(f"KPI {self.key}: unknown priority {self.priority!r}")
        if self.unit not in Unit.values:
            raise ValueError(f"KPI {self.key}: unknown unit {self.unit!r}")
        if self.direction not in Direction.values:
            raise ValueError(f"KPI {self.key}: unknown direction {self.direction!r}")
        if self.version < 1:
            raise ValueError(f"KPI {self.key}: versions start at 1")


_kpis: dict[str, Kpi] = {}


def register(kpi: Kpi) -> Kpi:
    existing = _kpis.get(kpi.key)
    if existing is not None and existing is not kpi and existing.compute is not kpi.compute:
        raise ValueError(f"A KPI with key {kpi.key!r} is already registered.")
    _kpis[kpi.key] = kpi
    return kpi


def unregister(key: str) -> None:
    """For tests that register a KPI of their own."""
    _kpis.pop(key, None)


def kpis_changed(*, district_id: int, keys) -> None:
    """The data behind these KPIs changed for the district: recompute them for today once this transaction commits."""
    from django.db import transaction

    wanted = sorted({k for k in keys if k in _kpis})
    if wanted:
        from .services import kpi_snapshots_refresh_enqueue

        transaction.on_commit(lambda: kpi_snapshots_refresh_enqueue(district_id, wanted))


def departments() -> set[str]:
    """The departments whose KPIs are registered (those whose managers read their snapshots)."""
    return {k.department for k in _kpis.values()}


def get(key: str) -> Kpi | None:
    return _kpis.get(key)


def all_kpis() -> list[Kpi]:
    order = {p: i for i, p in enumerate(Priority.values)}
    return sorted(_kpis.values(), key=lambda k: (order[k.priority], k.department, str(k.name)))


def by_priority(department: str | None = None) -> list[tuple[str, list[Kpi]]]:
    """Every priority in order with its KPIs (an empty list when none is registered)."""
    kpis = [k for k in all_kpis() if department in (None, "", k.department)]
    return [(p, [k for k in kpis if k.priority == p]) for p in Priority.values]


def suppress_cells(cells: dict[Any, Figure], small: int, *, sensitive: bool = False) -> set[Any]:
    """Keys of the cells to withhold, among cells that partition one population (a dimension's groups).

    A cell is withheld when its denominator (or, for a count, its number) is
    under ``small``; for a sensitive numerator, also when the numerator or
    its complement is between 1 and ``small`` - 1. When exactly one cell of
    the partition is withheld, the next smallest is withheld too, so it
    cannot be worked out from the total.
    """
    hidden = {key for key, f in cells.items() if _small(f, small, sensitive)}
    if len(hidden) == 1:
        rest = sorted(
            (key for key in cells if key not in hidden and not cells[key].suppressed),
            key=lambda k: (_size(cells[k]), str(k)),
        )
        if rest:
            hidden.add(rest[0])
    return hidden


def _size(f: Figure) -> float:
    return f.denominator if f.denominator is not None else (f.numerator or 0)


def _small(f: Figure, small: int, sensitive: bool) -> bool:
    if f.suppressed:
        return True
    size = _size(f)
    if size < small:
        return True
    if sensitive and f.denominator is not None and f.numerator is not None:
        complement = f.denominator - f.numerator
        return 0 < f.numerator < small or 0 < complement < small
    return False


def suppress_one(f: Figure, small: int, *, sensitive: bool = False) -> bool:
    """Whether a single cell (a school's value, the district's) is withheld."""
    return _small(f, small, sensitive)
