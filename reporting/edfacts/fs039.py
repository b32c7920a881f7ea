"""FS039 Grades Offered: one record per grade offered, per school or per district.

Input rows are tuples or :class:`GradesOfferedRow`:
``(lea_id, school_id, grades[, explanation[, ref]])`` where ``grades`` is an
iterable of grade codes or one string of codes separated by spaces or commas
(``"KG 01 02"``).

At ``SCH`` level each school gets one record per grade it offers, in the
order of the permitted values; the row's explanation goes on each of them.
At ``LEA`` level each district gets one record per grade offered by any of
its schools (the union; inferred, since the reference notes give the layout
but not the rule) with no explanation. There is no state level.

Never invented: a school with no grades entered, an unknown grade code, a
missing identifier are fatal findings and the school (or the code) is left
out. Several rows for one school are merged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from .common import Build, Problems, check_state_codes, id_problem, order_index, text, unit_base, value_problem
from .layouts import SCH, FileSpec, Level, get_spec, permitted

FILE = "039"


class GradesOfferedRow(NamedTuple):
    """The grades one school offers."""

    lea_id: str
    school_id: str
    grades: Iterable[str] | str
    explanation: str = ""
    ref: str = ""


def spec(level: Level) -> FileSpec:
    """The FS039 layout at ``level`` (``LEA`` or ``SCH``)."""
    return get_spec(FILE, level)


def _codes(grades: Iterable[str] | str | None) -> list[str]:
    if grades is None:
        return []
    if isinstance(grades, str):
        return [g for g in re.split(r"[\s,]+", grades) if g]
    return [text(g) for g in grades if text(g)]


def build(
    rows: Iterable[Sequence[object]],
    level: Level,
    *,
    fips_code: str = "09",
    agency_number: str = "01",
) -> Build:
    """FS039 records at ``level`` from one row per school."""
    spec_ = spec(level)
    check_state_codes(fips_code, agency_number)
    grades = permitted("grade")
    allowed = frozenset(grades)
    problems = Problems()
    units: dict[tuple[str, ...], set[str]] = {}
    explanations: dict[tuple[str, ...], str] = {}
    for row in rows:
        lea_id, school_id = text(row[0]), text(row[1])
        codes = _codes(row[2])
        explanation = text(row[3]) if len(row) > 3 else ""
        ref = row[4] if len(row) > 4 else ""
        label = school_id or lea_id or None
        keys = [("lea_id", lea_id)] + ([("school_id", school_id)] if level == SCH else [])
        problem = next(((k, p) for k, v in keys if (p := id_problem(spec_, k, v))), None)
        if problem:
            key, message = problem
            if key == "school_id" and not school_id:
                message = f"a school in LEA {lea_id or '(none)'} has no State School Identifier"
            problems.add("required", key, label, message + "; the school is left out", ref)
            continue
        if explanation and (bad := value_problem(spec_, "explanation", explanation)):
            problems.add(bad[0], "explanation", label, bad[1] + "; the school is left out", ref)
            continue
        if not codes:
            problems.add(
                "not_entered", "grade", label, f"school {label} has no grades offered entered; it is left out", ref
            )
            continue
        unit = (lea_id, school_id) if level == SCH else (lea_id,)
        offered = units.setdefault(unit, set())
        for code in codes:
            if code in allowed:
                offered.add(code)
            else:
                problems.add(
                    "unknown_code", "grade", label, f"unknown Grade Level {code!r}; that grade is left out", ref
                )
        if level == SCH and explanation:
            explanations[unit] = explanation

    gi = order_index(grades)
    records: list[dict[str, object]] = []
    for unit in sorted(units):
        base = unit_base(spec_, fips_code, agency_number, unit[0], unit[1] if len(unit) > 1 else "")
        for grade in sorted(units[unit], key=gi.__getitem__):
            record = {**base, "grade": grade}
            if unit in explanations:
                record["explanation"] = explanations[unit]
            records.append(record)
    return Build(records, problems.findings())
