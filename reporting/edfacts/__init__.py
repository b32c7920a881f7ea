"""EDFacts files: layouts, builders, writers, a parser and validators, with no Django import.

The Django reporting app turns its querysets into plain rows and calls:

* ``fs052.build(rows, level)`` (or ``fs052.build_levels(rows)`` for all
  three levels in one pass), ``fs039.build(rows, level)``,
  ``fs129.build(rows)``: the records to write and the findings about rows
  that could not be reported (a :class:`Build`);
* :func:`get_spec` for the layout of a file at a level (``SEA``, ``LEA``,
  ``SCH``);
* :func:`header_for` and :func:`write` for the bytes of the file in ``txt``,
  ``csv`` or ``tab`` format;
* :func:`validate` on those bytes for the findings that decide whether the
  file can be certified (plus :func:`check_rollup` across levels and
  :func:`unit_totals` to keep this year's totals for next year's
  comparison);
* :func:`parse` to read a file back.

Example::

    from reporting.edfacts import fs052, get_spec, header_for, validate, write

    built = fs052.build(rows, "SCH")
    spec = get_spec("052", "SCH")
    header = header_for(spec, fmt="csv", school_year=2026, created=now)
    data = write(spec, built.records, "csv", header)
    findings = built.findings + validate(spec, data, "csv", previous_totals=last_year)

The facts come from ``layouts.json`` (copied from the shared EDFacts
reference for SY 2022-23; see its ``about`` entry). ``README.md`` next to
this module lists the assumptions to check against the current
specifications.
"""

from . import fs039, fs052, fs129
from .common import Build
from .findings import CODES, FATAL, WARNING, Finding, has_fatal
from .layouts import (
    FORMATS,
    LEA,
    LEVELS,
    SCH,
    SEA,
    FileSpec,
    available_specs,
    get_spec,
    permitted,
    spec_levels,
    spec_version,
)
from .parser import ParsedFile, parse
from .validate import DEFAULT_THRESHOLD, check_records, check_rollup, unit_id, unit_totals, validate, year_over_year
from .writer import Header, WriteError, file_name, header_for, reporting_period, write

__all__ = [
    "CODES",
    "DEFAULT_THRESHOLD",
    "FATAL",
    "FORMATS",
    "LEA",
    "LEVELS",
    "SCH",
    "SEA",
    "WARNING",
    "Build",
    "FileSpec",
    "Finding",
    "Header",
    "ParsedFile",
    "WriteError",
    "available_specs",
    "check_records",
    "check_rollup",
    "file_name",
    "fs039",
    "fs052",
    "fs129",
    "get_spec",
    "has_fatal",
    "header_for",
    "parse",
    "permitted",
    "reporting_period",
    "spec_levels",
    "spec_version",
    "unit_id",
    "unit_totals",
    "validate",
    "write",
    "year_over_year",
]
