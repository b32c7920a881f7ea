"""FS052 Membership: detail records by grade, race/ethnicity and sex, their subtotals and the total.

Input rows are counts of students at school level, as tuples or
:class:`MembershipRow`: ``(lea_id, school_id, grade, race, sex, count[, ref])``.
One row per student (count 1) works as well as one row per group; rows for
the same cell are added together. Codes are the EDFacts permitted values
(grade ``PK``..``AE``, race ``AM7``..``MU7``, sex ``M``/``F``, and ``X`` when
``sex_x`` is set).

For each education unit (each school at ``SCH`` level, each district at
``LEA`` level, the state at ``SEA`` level, rolled up from the rows below) the
builder writes, in this order:

* ``CSA`` detail records, grade x race x sex, total indicator ``N``;
* ``ST1`` grade x race, ``ST2`` grade x sex, ``ST3`` race x sex, ``ST4``
  grade, each the sum of the detail records, total indicator ``Y``;
* ``TOT``, the unit's total, with no categories, total indicator ``Y``.

Units are ordered by their identifiers; within a category set, categories
follow the order of the permitted values (``PK``, ``KG``, ``01``...).

A cell is written when the rows mention it, even with a count of 0; cells
no row mentions are not written as zeros (the reference notes do not say
whether EDFacts wants explicit zero records, so the caller decides by the
rows it passes).

Rows that cannot be reported are left out and become fatal findings (see
:class:`~reporting.edfacts.common.Build`): no state school id at school
level, no state LEA id at school or district level, a missing or unknown
grade, race or sex, a count that is not a non-negative integer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from .common import Build, Problems, check_state_codes, id_problem, order_index, text, unit_base
from .layouts import SCH, SEA, FileSpec, Level, get_spec, permitted

FILE = "052"
_UNSEEN: tuple = ("unseen",)


class MembershipRow(NamedTuple):
    """Students counted in one school, grade, race/ethnicity and sex."""

    lea_id: str
    school_id: str
    grade: str
    race: str
    sex: str
    count: int = 1
    ref: str = ""


def spec(level: Level) -> FileSpec:
    """The FS052 layout at ``level``."""
    return get_spec(FILE, level)


def _unit(spec_: FileSpec, lea: object, school: object, ref: object, problems: Problems) -> tuple[str, ...] | None:
    if spec_.level == SEA:
        return ()
    lea_id = text(lea)
    school_id = text(school)
    label = school_id or lea_id or None
    checks = [("lea_id", lea_id)] + ([("school_id", school_id)] if spec_.level == SCH else [])
    for key, value in checks:
        problem = id_problem(spec_, key, value)
        if problem:
            if key == "school_id" and not value:
                problem = f"a school in LEA {lea_id or '(none)'} has no State School Identifier"
            problems.add("required", key, label, problem + "; not counted", ref)
            return None
    return (lea_id, school_id) if spec_.level == SCH else (lea_id,)


def build(
    rows: Iterable[Sequence[object]],
    level: Level,
    *,
    fips_code: str = "09",
    agency_number: str = "01",
    sex_x: bool = False,
) -> Build:
    """FS052 records at ``level`` (``SEA``, ``LEA`` or ``SCH``) from school-level membership rows."""
    spec_ = spec(level)
    check_state_codes(fips_code, agency_number)
    grades, races, sexes = permitted("grade"), permitted("race"), permitted("sex", sex_x=sex_x)
    grade_set, race_set, sex_set = frozenset(grades), frozenset(races), frozenset(sexes)
    problems = Problems()
    units: dict[tuple[str, ...], dict[tuple[str, str, str], int]] = {}
    unit_cache: dict[tuple[object, object], tuple[str, ...] | None] = {}
    domains = (("grade", grade_set, "Grade Level"), ("race", race_set, "Race/Ethnicity"), ("sex", sex_set, "Sex"))

    for row in rows:
        lea, school, grade, race, sex, count = row[0], row[1], row[2], row[3], row[4], row[5]
        ref = row[6] if len(row) > 6 else ""
        ids = (lea, school)
        unit = unit_cache.get(ids, _UNSEEN)
        if unit is _UNSEEN or unit is None:
            # Unseen ids are checked once; bad ids are checked again so that every row is counted.
            unit = unit_cache[ids] = _unit(spec_, lea, school, ref, problems)
            if unit is None:
                continue
        label = unit[-1] if unit else None
        if not (grade in grade_set and race in race_set and sex in sex_set):
            for key, allowed, name in domains:
                value = {"grade": grade, "race": race, "sex": sex}[key]
                if value not in allowed:
                    shown = text(value)
                    message = f"unknown {name} {shown!r}" if shown else f"no {name}"
                    if key == "sex" and shown == "X" and not sex_x:
                        message += " (X is not permitted unless the spec version allows it: sex_x)"
                    problems.add("unknown_code" if shown else "required", key, label, message + "; not counted", ref)
                    break
            continue
        if type(count) is not int or count < 0:
            problems.add(
                "count", "student_count", label, f"count {count!r} is not a non-negative integer; not counted", ref
            )
            continue
        cells = units.get(unit)
        if cells is None:
            cells = units[unit] = defaultdict(int)
        cells[grade, race, sex] += count

    return Build(_records(spec_, units, fips_code, agency_number, grades, races, sexes), problems.findings())


def _records(spec_, units, fips_code, agency_number, grades, races, sexes) -> list[dict[str, object]]:
    gi, ri, si = order_index(grades), order_index(races), order_index(sexes)
    ti = {name: cs.total_indicator for name, cs in spec_.category_sets.items()}
    records: list[dict[str, object]] = []
    append = records.append
    for unit in sorted(units):
        cells = units[unit]
        lea_id = unit[0] if unit else ""
        school_id = unit[1] if len(unit) > 1 else ""
        base = unit_base(spec_, fips_code, agency_number, lea_id, school_id)
        st1: dict[tuple[str, str], int] = defaultdict(int)
        st2: dict[tuple[str, str], int] = defaultdict(int)
        st3: dict[tuple[str, str], int] = defaultdict(int)
        st4: dict[str, int] = defaultdict(int)
        total = 0
        ti_csa = ti["CSA"]
        for (g, r, s), n in sorted(cells.items(), key=lambda item: (gi[item[0][0]], ri[item[0][1]], si[item[0][2]])):
            append({**base, "grade": g, "race": r, "sex": s, "total_indicator": ti_csa, "student_count": n})
            st1[g, r] += n
            st2[g, s] += n
            st3[r, s] += n
            st4[g] += n
            total += n
        for (g, r), n in sorted(st1.items(), key=lambda item: (gi[item[0][0]], ri[item[0][1]])):
            append({**base, "grade": g, "race": r, "total_indicator": ti["ST1"], "student_count": n})
        for (g, s), n in sorted(st2.items(), key=lambda item: (gi[item[0][0]], si[item[0][1]])):
            append({**base, "grade": g, "sex": s, "total_indicator": ti["ST2"], "student_count": n})
        for (r, s), n in sorted(st3.items(), key=lambda item: (ri[item[0][0]], si[item[0][1]])):
            append({**base, "race": r, "sex": s, "total_indicator": ti["ST3"], "student_count": n})
        for g, n in sorted(st4.items(), key=lambda item: gi[item[0]]):
            append({**base, "grade": g, "total_indicator": ti["ST4"], "student_count": n})
        append({**base, "total_indicator": ti["TOT"], "student_count": total})
    return records
