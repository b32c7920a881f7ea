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

from collections.abc import Iterable, Sequence
from itertools import product
from typing import NamedTuple

from ._gc import gc_paused
from .common import MAX_REFS, Build, Problems, check_state_codes, id_problem, order_index, text, unit_base
from .layouts import LEA, SCH, SEA, FileSpec, Level, get_spec, permitted

FILE = "052"


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


def _id_problem(spec_: FileSpec, key: str, value: str, lea_id: str) -> str | None:
    problem = id_problem(spec_, key, value)
    if problem and key == "school_id" and not value:
        problem = f"a school in LEA {lea_id or '(none)'} has no State School Identifier"
    return problem


def _clean_ids(lea: object, school: object) -> bool:
    """True when both ids are usable as they are at every level (the common case, checked once per pair)."""
    return (
        isinstance(lea, str)
        and isinstance(school, str)
        and 0 < len(lea) <= 14
        and 0 < len(school) <= 20
        and lea.strip() == lea
        and school.strip() == school
        and (lea + school).isascii()
        and (lea + school).isprintable()
    )


def build(
    rows: Iterable[Sequence[object]],
    level: Level,
    *,
    fips_code: str = "09",
    agency_number: str = "01",
    sex_x: bool = False,
) -> Build:
    """FS052 records at ``level`` (``SEA``, ``LEA`` or ``SCH``) from school-level membership rows."""
    return build_levels(rows, (level,), fips_code=fips_code, agency_number=agency_number, sex_x=sex_x)[level]


@gc_paused
def build_levels(
    rows: Iterable[Sequence[object]],
    levels: Iterable[Level] = (SEA, LEA, SCH),
    *,
    fips_code: str = "09",
    agency_number: str = "01",
    sex_x: bool = False,
) -> dict[Level, Build]:
    """FS052 records for several levels from one pass over the rows; the same as :func:`build` per level."""
    specs = {level: spec(level) for level in levels}
    check_state_codes(fips_code, agency_number)
    grades, races, sexes = permitted("grade"), permitted("race"), permitted("sex", sex_x=sex_x)
    combos = frozenset(product(grades, races, sexes))
    code_problems = Problems()
    schools: dict[tuple[object, object], dict[tuple[str, str, str], int]] = {}
    clean: dict[tuple[object, object], bool] = {}
    suspects: dict[tuple[object, object], list] = {}

    for row in rows:
        lea, school, combo, count = row[0], row[1], (row[2], row[3], row[4]), row[5]
        pair = (lea, school)
        ok = clean.get(pair)
        if ok is None:
            ok = clean[pair] = _clean_ids(lea, school)
        if not ok:
            entry = suspects.setdefault(pair, [0, []])
            entry[0] += 1
            if len(row) > 6 and row[6] not in ("", None) and len(entry[1]) < MAX_REFS:
                entry[1].append(str(row[6]))
        if combo not in combos:
            _code_problem(code_problems, combo, grades, races, sexes, sex_x, text(school) or text(lea) or None, row)
            continue
        if count.__class__ is not int or count < 0:
            message = f"count {count!r} is not a non-negative integer; not counted"
            code_problems.add("count", "student_count", text(school) or None, message, _ref(row))
            continue
        cells = schools.get(pair)
        if cells is None:
            cells = schools[pair] = {}
        cells[combo] = cells.get(combo, 0) + count

    code_findings = code_problems.findings()
    result = {}
    for level, spec_ in specs.items():
        id_problems = Problems()
        units: dict[tuple[str, ...], dict[tuple[str, str, str], int]] = {}
        for pair in {**schools, **suspects}:
            lea_id, school_id = text(pair[0]), text(pair[1])
            if not clean[pair]:
                keys = [("lea_id", lea_id)] if level != SEA else []
                keys += [("school_id", school_id)] if level == SCH else []
                problem = next(((k, p) for k, v in keys if (p := _id_problem(spec_, k, v, lea_id))), None)
                if problem:
                    rows_, refs = suspects[pair]
                    label = school_id or lea_id or None
                    id_problems.add_many("required", problem[0], label, problem[1] + "; not counted", rows_, refs)
                    continue
            cells = schools.get(pair)
            if not cells:
                continue
            unit = (lea_id, school_id) if level == SCH else (lea_id,) if level == LEA else ()
            into = units.get(unit)
            if into is None:
                units[unit] = dict(cells)
            else:
                for combo, n in cells.items():
                    into[combo] = into.get(combo, 0) + n
        records = _records(spec_, units, fips_code, agency_number, grades, races, sexes)
        result[level] = Build(records, id_problems.findings() + code_findings)
    return result


def _ref(row: Sequence[object]) -> object:
    return row[6] if len(row) > 6 else ""


def _code_problem(problems: Problems, combo, grades, races, sexes, sex_x, label, row) -> None:
    for key, value, allowed, name in zip(
        ("grade", "race", "sex"), combo, (grades, races, sexes), ("Grade Level", "Race/Ethnicity", "Sex")
    ):
        if value not in allowed:
            shown = text(value)
            message = f"unknown {name} {shown!r}" if shown else f"no {name}"
            if key == "sex" and shown == "X" and not sex_x:
                message += " (X is not permitted unless the spec version allows it: sex_x)"
            problems.add("unknown_code" if shown else "required", key, label, message + "; not counted", _ref(row))
            return


def _records(spec_, units, fips_code, agency_number, grades, races, sexes) -> list[dict[str, object]]:
    rank = {combo: i for i, combo in enumerate(product(grades, races, sexes))}
    rank_gr = {pair: i for i, pair in enumerate(product(grades, races))}
    rank_gs = {pair: i for i, pair in enumerate(product(grades, sexes))}
    rank_rs = {pair: i for i, pair in enumerate(product(races, sexes))}
    rank_g = order_index(grades)
    ti = {name: cs.total_indicator for name, cs in spec_.category_sets.items()}
    ti_csa, ti_st1, ti_st2, ti_st3, ti_st4, ti_tot = (ti[n] for n in ("CSA", "ST1", "ST2", "ST3", "ST4", "TOT"))
    records: list[dict[str, object]] = []
    append = records.append
    for unit in sorted(units):
        cells = units[unit]
        base = unit_base(spec_, fips_code, agency_number, unit[0] if unit else "", unit[1] if len(unit) > 1 else "")
        st1: dict[tuple[str, str], int] = {}
        st2: dict[tuple[str, str], int] = {}
        st3: dict[tuple[str, str], int] = {}
        st4: dict[str, int] = {}
        total = 0
        for combo in sorted(cells, key=rank.__getitem__):
            n = cells[combo]
            g, r, s = combo
            append({**base, "grade": g, "race": r, "sex": s, "total_indicator": ti_csa, "student_count": n})
            st1[g, r] = st1.get((g, r), 0) + n
            st2[g, s] = st2.get((g, s), 0) + n
            st3[r, s] = st3.get((r, s), 0) + n
            st4[g] = st4.get(g, 0) + n
            total += n
        for g, r in sorted(st1, key=rank_gr.__getitem__):
            append({**base, "grade": g, "race": r, "total_indicator": ti_st1, "student_count": st1[g, r]})
        for g, s in sorted(st2, key=rank_gs.__getitem__):
            append({**base, "grade": g, "sex": s, "total_indicator": ti_st2, "student_count": st2[g, s]})
        for r, s in sorted(st3, key=rank_rs.__getitem__):
            append({**base, "race": r, "sex": s, "total_indicator": ti_st3, "student_count": st3[r, s]})
        for g in sorted(st4, key=rank_g.__getitem__):
            append({**base, "grade": g, "total_indicator": ti_st4, "student_count": st4[g]})
        append({**base, "total_indicator": ti_tot, "student_count": total})
    return records
