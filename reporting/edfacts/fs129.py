"""FS129 CCD School: one record per school with its NSLP status, virtual status and shared-time indicator.

Input rows are tuples or :class:`CcdSchoolRow`:
``(lea_id, school_id, nslp_status, virtual_status, shared_time[, explanation[, ref]])``.
``shared_time`` is ``True``/``False`` (written ``YES``/``NO``), or already
``"YES"``/``"NO"``; ``None`` means not entered.

Only the school level exists. Values are written as given: a status the
district has not entered is written blank and an unknown code is written as
it is, so the validator reports them as fatal findings naming the school;
nothing is filled in. A row without a usable state school or LEA id cannot
become a record: it is left out with a fatal finding. Two rows for one school
keep the first and report the second.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from .common import Build, Problems, check_state_codes, id_problem, text, unit_base, value_problem
from .layouts import SCH, FileSpec, get_spec

FILE = "129"


class CcdSchoolRow(NamedTuple):
    """Directory facts about one school."""

    lea_id: str
    school_id: str
    nslp_status: str | None
    virtual_status: str | None
    shared_time: bool | str | None
    explanation: str = ""
    ref: str = ""


def spec() -> FileSpec:
    """The FS129 layout (school level only)."""
    return get_spec(FILE, SCH)


def _yes_no(value: object) -> str:
    if value is True:
        return "YES"
    if value is False:
        return "NO"
    return text(value)


def build(
    rows: Iterable[Sequence[object]],
    level: str = SCH,
    *,
    fips_code: str = "09",
    agency_number: str = "01",
) -> Build:
    """FS129 records from one row per school; ``level`` must be ``SCH``."""
    if level != SCH:
        raise ValueError(f"FS129 has only a school level, not {level!r}")
    spec_ = spec()
    check_state_codes(fips_code, agency_number)
    problems = Problems()
    units: dict[tuple[str, str], dict[str, object]] = {}
    for row in rows:
        lea_id, school_id = text(row[0]), text(row[1])
        ref = row[6] if len(row) > 6 else ""
        label = school_id or lea_id or None
        problem = next(
            ((k, p) for k, v in (("lea_id", lea_id), ("school_id", school_id)) if (p := id_problem(spec_, k, v))),
            None,
        )
        if problem:
            key, message = problem
            if key == "school_id" and not school_id:
                message = f"a school in LEA {lea_id or '(none)'} has no State School Identifier"
            problems.add("required", key, label, message + "; the school is left out", ref)
            continue
        unit = (lea_id, school_id)
        if unit in units:
            problems.add(
                "duplicate",
                "school_id",
                school_id,
                f"school {school_id} appears more than once; the later row is left out",
                ref,
            )
            continue
        values = {
            "shared_time": _yes_no(row[4]),
            "nslp_status": text(row[2]),
            "virtual_status": text(row[3]),
            "explanation": text(row[5]) if len(row) > 5 else "",
        }
        bad = next(((k, p) for k, v in values.items() if (p := value_problem(spec_, k, v))), None)
        if bad:
            key, (code, message) = bad
            problems.add(code, key, school_id, message + "; the school is left out", ref)
            continue
        units[unit] = unit_base(spec_, fips_code, agency_number, lea_id, school_id) | values
    return Build([units[u] for u in sorted(units)], problems.findings())
