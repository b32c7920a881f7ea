"""What every roster door hands the planner: student and enrollment rows, problems and findings.

A door (the OneRoster package, the enrollment CSV, the API) turns its input
into ``StudentRow`` and ``EnrollmentRow`` objects carrying raw values by model
field name, and says where each row came from (file and line, or the index in
an API body), so the planner can report every problem where the user can find
it. Fields a door does not carry are simply absent from ``values`` and left as
they are on existing records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.importing import Problem


@dataclass
class RosterProblem(Problem):
    """A problem with one row: file, line, column and reason (an error: nothing is written)."""

    file: str = ""

    def __str__(self) -> str:
        where = f"{self.file}, " if self.file else ""
        return f"{where}line {self.line}, {self.column or '-'}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "message": str(self.message)}


@dataclass
class Finding:
    """A warning shared by one or more rows: the import goes ahead and says what it did."""

    file: str
    column: str
    message: str
    lines: list[int]

    @property
    def count(self) -> int:
        return len(self.lines)

    def as_dict(self, max_lines: int = 50) -> dict:
        return {
            "file": self.file,
            "column": self.column,
            "message": str(self.message),
            "count": self.count,
            "lines": self.lines[:max_lines],
        }


class Findings:
    """Warnings grouped by file, column and message, so a common one is listed once with its lines."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, str, str], list[int]] = {}

    def add(self, file: str, line: int, column: str, message: str) -> None:
        self._groups.setdefault((file, column, str(message)), []).append(line)

    def __iter__(self):
        for (file, column, message), lines in self._groups.items():
            yield Finding(file=file, column=column, message=message, lines=lines)

    def __len__(self) -> int:
        return sum(len(lines) for lines in self._groups.values())

    def as_list(self) -> list[dict]:
        return [f.as_dict() for f in self]


@dataclass(eq=False, slots=True)
class StudentRow:
    """One student as a door gives it.

    ``values`` holds raw values by ``Student`` field name. ``external_ids``
    are (source, id) pairs to match on and record; ``fallback_ids`` are only
    matched on, and recorded for a new student that has no other id (so
    re-sending the same row finds it). A new student's district comes from
    ``district_key`` (state LEA id) or from the school named by ``school_key``.
    """

    file: str
    line: int
    values: dict[str, Any]
    external_ids: list[tuple[str, str]] = field(default_factory=list)
    fallback_ids: list[tuple[str, str]] = field(default_factory=list)
    ref: str = ""
    district_key: str = ""
    school_key: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    # Field name -> (file, line) when a value came from another file than the row's.
    origins: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Fields the door says are not known (OneRoster sex "unspecified"), with
    # the reason: an existing record keeps its value, a new one cannot be made.
    unspecified: dict[str, str] = field(default_factory=dict)
    # Fields whose value the door refused and reported: the planner does not ask for them again.
    refused: set[str] = field(default_factory=set)

    def where(self, name: str) -> tuple[str, int, str]:
        file, line = self.origins.get(name, (self.file, self.line))
        return file, line, self.columns.get(name, name)


@dataclass(eq=False, slots=True)
class EnrollmentRow:
    """One enrollment as a door gives it.

    The student is named by ``student_ref`` (a ``StudentRow.ref`` in the same
    batch), or else by ``state_id`` or (``source``, ``external_id``). The
    school is named by its state school id, the school year by its ending
    year. ``values`` holds raw values by ``Enrollment`` field name.
    """

    file: str
    line: int
    values: dict[str, Any]
    student_ref: str = ""
    state_id: str = ""
    source: str = ""
    external_id: str = ""
    school_key: str = ""
    year_end: int | None = None
    columns: dict[str, str] = field(default_factory=dict)
    # Where to report an unknown school or year when that is not this row
    # (in a OneRoster package: the orgs.csv or academicSessions.csv line).
    school_where: tuple[str, int, str] | None = None
    year_where: tuple[str, int, str] | None = None
    # The door does not carry entry dates or exit codes (OneRoster): the
    # planner supplies them and says so in a finding.
    entry_defaults_to_year_start: bool = False
    exit_code_not_carried: bool = False

    def where(self, name: str) -> tuple[str, int, str]:
        return self.file, self.line, self.columns.get(name, name)


@dataclass
class RosterBatch:
    """What a door read: rows, plus the problems and findings of reading them."""

    students: list[StudentRow] = field(default_factory=list)
    enrollments: list[EnrollmentRow] = field(default_factory=list)
    problems: list[RosterProblem] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)
    source_label: str = ""
