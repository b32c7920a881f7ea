"""Findings: what the builders and validators report about data and files.

A finding is ``fatal`` (the file cannot be certified until it is fixed) or a
``warning`` (someone should look before certifying). ``code`` is a stable
identifier the Django side can translate or filter on; ``message`` is plain
English for logs and tests.

``record`` is the position of the record in the file: 0 for the header,
1 for the first data record. Builder findings have no record (the offending
input never became one); they name the input rows through ``refs``, the
references the caller passed in (a student or school id).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["fatal", "warning"]
FATAL: Severity = "fatal"
WARNING: Severity = "warning"

CODES = {
    "encoding": "Bytes outside ASCII.",
    "terminator": "A record does not end in CR LF.",
    "length": "A fixed-format record of the wrong length, or a delimited record with the wrong number of columns.",
    "header": "The header record is missing or malformed.",
    "header_count": "Total Records In File differs from the number of data records.",
    "record_number": "File Record Numbers are not 1, 2, 3... in order.",
    "width": "A value longer than its field.",
    "justification": "A fixed-format value that is not left-justified.",
    "required": "A mandatory field (an identifier, a count, a status) is empty.",
    "filler": "A Filler field holds something.",
    "unknown_code": "A value outside the permitted values of its field.",
    "category_set": "A record whose filled categories match no category set.",
    "total_indicator": "A Total Indicator that does not match the record's category set.",
    "count": "A count that is not a non-negative integer.",
    "duplicate": "Two records for the same unit, table and category combination.",
    "subtotal": "A subtotal or total that differs from the sum of its detail records.",
    "missing_subtotal": "Detail records without the subtotal or total that should sum them.",
    "rollup": "A lower level that does not add up to the level above.",
    "not_entered": "A value the district has not entered.",
    "year_over_year": "A unit's total changed more than the threshold since last year.",
    "truncated": "More findings than the limit; the rest were not listed.",
}
"""Every finding code, with what it means."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in input rows or in a file."""

    severity: Severity
    code: str
    message: str
    record: int | None = None
    field: str | None = None
    unit: str | None = None
    refs: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"record {self.record}: " if self.record is not None else ""
        return f"{self.severity} {self.code}: {where}{self.message}"

    @property
    def is_fatal(self) -> bool:
        return self.severity == FATAL

    def as_dict(self) -> dict:
        """A JSON-ready dict (for storing with a report run)."""
        data = asdict(self)
        data["refs"] = list(self.refs)
        return data


def has_fatal(findings: list[Finding]) -> bool:
    """True when any finding is fatal."""
    return any(f.severity == FATAL for f in findings)
