"""Cohort-survival enrollment projection: plain arithmetic, no Django.

For each school and grade, next year's enrollment is this year's enrollment
in the grade below times the survival ratio observed at that school (how many
of last year's grade-below students appeared in this grade this year). Entry
grades (the school's lowest grade) carry this year's count forward. Ratios are
averaged over the years given and clipped to a sane band so one odd year does
not swamp a small school.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

GRADES = ["PK", "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]
MIN_RATIO, MAX_RATIO = 0.5, 1.5


def survival_ratios(history: Sequence[Mapping[str, int]]) -> dict[str, float]:
    """Grade -> average ratio of count(grade, year) / count(grade below, year before).

    ``history`` is a list of {grade: count} for consecutive years, oldest first.
    """
    ratios: dict[str, list[float]] = {}
    for before, after in itertools.pairwise(history):
        for i, grade in enumerate(GRADES[1:], start=1):
            below = before.get(GRADES[i - 1], 0)
            if below and grade in after:
                ratios.setdefault(grade, []).append(after[grade] / below)
    return {g: min(MAX_RATIO, max(MIN_RATIO, sum(r) / len(r))) for g, r in ratios.items()}


def project_next_year(history: Sequence[Mapping[str, int]], grades_offered: Sequence[str]) -> dict[str, int]:
    """Projected count per offered grade next year, from a school's history."""
    if not history:
        return {}
    current = history[-1]
    ratios = survival_ratios(history)
    offered = [g for g in GRADES if g in grades_offered]
    projection = {}
    for grade in offered:
        index = GRADES.index(grade)
        below = GRADES[index - 1] if index else None
        if below is None or below not in offered:
            projection[grade] = current.get(grade, 0)  # entry grade: carry forward
        else:
            projection[grade] = round(current.get(below, 0) * ratios.get(grade, 1.0))
    return projection
