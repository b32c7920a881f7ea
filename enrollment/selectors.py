"""Reads with rules of their own: utilization and projected capacity conflicts."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count

from core import policy
from core.choices import Action
from district.models import School

from .models import Enrollment, SchoolCapacity
from .projection import GRADES, project_next_year


@dataclass
class UtilizationRow:
    school_id: int
    school: str
    grade: str
    seats: int | None
    enrolled: int
    projected: int | None

    @property
    def utilization(self) -> float | None:
        return self.enrolled / self.seats if self.seats else None

    @property
    def conflict(self) -> bool:
        return self.seats is not None and self.projected is not None and self.projected > self.seats


def _membership(queryset, day: datetime.date) -> dict[tuple[int, str], int]:
    rows = queryset.active_on(day).filter(is_primary=True).values("school_id", "grade_level").annotate(n=Count("id"))
    return {(r["school_id"], r["grade_level"]): r["n"] for r in rows}


def utilization(*, user, school_year, on: datetime.date) -> list[UtilizationRow]:
    """Seats, membership on ``on`` and next year's projection, per school and grade in the user's scope.

    The projection uses membership on the same date a year earlier for the
    survival ratios. Four aggregate queries whatever the number of schools.
    """
    capacities = SchoolCapacity.objects.restrict(user, Action.VIEW).filter(school_year=school_year)
    seats = {
        (c["school_id"], c["grade_level"]): c["seats"] for c in capacities.values("school_id", "grade_level", "seats")
    }
    # Membership is a count: taken at the schools where the user reads enrollments, students who
    # have since left included (the policy's district and school conditions, not the served-student one).
    counted = Enrollment.objects.all()
    condition = policy.filter_for(user, Enrollment, Action.VIEW, served=False)
    if condition is not None:
        counted = counted.filter(condition)
    counts = _membership(counted, on)
    previous = _membership(counted, on.replace(year=on.year - 1))
    schools = {s for s, _g in seats} | {s for s, _g in counts}
    names = dict(School.objects.filter(pk__in=schools).values_list("pk", "name"))
    rows = []
    for school_id in sorted(schools, key=lambda s: names.get(s, "")):
        grades = sorted(
            {g for s, g in seats if s == school_id} | {g for s, g in counts if s == school_id},
            key=lambda g: GRADES.index(g) if g in GRADES else 99,
        )
        history = [
            {g: previous.get((school_id, g), 0) for g in grades},
            {g: counts.get((school_id, g), 0) for g in grades},
        ]
        if not any(history[0].values()):
            history = history[1:]
        projected = project_next_year(history, grades)
        for grade in grades:
            rows.append(
                UtilizationRow(
                    school_id,
                    names.get(school_id, ""),
                    grade,
                    seats.get((school_id, grade)),
                    counts.get((school_id, grade), 0),
                    projected.get(grade),
                )
            )
    return rows
