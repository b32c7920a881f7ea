"""The plain enrollment file (CSV or XLSX): one enrollment per row.

Columns, in any order (the first row names them):

- the student: ``state_id``, or ``source`` and ``external_id`` (an id the
  student carries from another system: sis, lottery, oneroster,
  other_district);
- ``school`` (state school id), ``school_year`` (ending year, 2027 for
  2026-2027), ``grade_level`` (EDFacts code), ``entry_date`` (YYYY-MM-DD);
- optional: ``entry_code`` (E1 when blank for a new enrollment), ``exit_date``
  and ``exit_code`` (together), ``is_primary`` (true or false; true when blank
  for a new enrollment).

Students are not created by this file: each row names a student the importer
may see.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.importing import RefusedRow, read_table

from .rows import EnrollmentRow, RosterBatch, RosterProblem

COLUMNS = [
    "state_id",
    "source",
    "external_id",
    "school",
    "school_year",
    "grade_level",
    "entry_date",
    "entry_code",
    "exit_date",
    "exit_code",
    "is_primary",
]
REQUIRED = ["school", "school_year", "grade_level", "entry_date"]
TRUE = {"true", "t", "yes", "y", "1"}
FALSE = {"false", "f", "no", "n", "0"}


def parse_flag(value) -> bool | str | None:
    """True or False; None when blank; the text itself when it is neither."""
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    return str(value)


def _date_text(value: str) -> str:
    # A spreadsheet date cell reads as "2026-08-27 00:00:00".
    return value[:10] if len(value) == 19 and value.endswith(" 00:00:00") else value


def read_enrollment_file(data: bytes, filename: str) -> RosterBatch:
    batch = RosterBatch(source_label=filename)

    def problem(line, column, message):
        batch.problems.append(RosterProblem(line=line, column=column, message=str(message), file=filename))

    try:
        header, rows = read_table(data, filename)
    except ValidationError as exc:
        problem(1, "", " ".join(exc.messages))
        return batch
    for name in header:
        if name not in COLUMNS:
            problem(1, name, _("Unknown column. Columns you may import: %(cols)s.") % {"cols": ", ".join(COLUMNS)})
    if len(set(header)) != len(header):
        problem(1, "", _("A column name appears twice."))
    for name in REQUIRED:
        if name not in header:
            problem(1, name, _("Required column is missing."))
    if "state_id" not in header and not {"source", "external_id"} <= set(header):
        problem(1, "state_id", _("Name students by state_id, or by source and external_id."))
    if batch.problems:
        return batch
    for index, row in enumerate(rows):
        if row is None:
            continue
        line = index + 2
        if isinstance(row, RefusedRow):
            problem(line, row.column, row.message)
            continue
        year = row.get("school_year", "").removesuffix(".0")
        if not (year.isdigit() and len(year) == 4):
            problem(line, "school_year", _("Give the ending year, such as 2027."))
            continue
        values = {
            "grade_level": row.get("grade_level", "").upper(),
            "entry_date": _date_text(row.get("entry_date", "")),
        }
        for name in ("entry_code", "exit_code"):
            if name in row:
                values[name] = row[name].upper()
        if "exit_date" in row:
            values["exit_date"] = _date_text(row["exit_date"]) or None
        if "is_primary" in row:
            flag = parse_flag(row["is_primary"])
            if isinstance(flag, str):
                problem(line, "is_primary", _("Use true or false."))
                continue
            if flag is not None:
                values["is_primary"] = flag
        batch.enrollments.append(
            EnrollmentRow(
                file=filename,
                line=line,
                values=values,
                state_id=row.get("state_id", ""),
                source=row.get("source", "").lower(),
                external_id=row.get("external_id", ""),
                school_key=row.get("school", ""),
                year_end=int(year),
            )
        )
    return batch
