"""Write an EDFacts file: a header record, then the data records, each ending in CR LF.

Three formats, the same fields in the same order:

* ``txt`` (fixed width): every value left-justified and padded with blanks to
  its field width. A value that exactly fills its field gets no extra padding
  (the reference implementation adds two blanks there; that is a bug).
* ``csv``: comma-separated, quoted only where a value needs it (a comma or a
  double quote in it), Filler fields written as empty values.
* ``tab``: tab-separated, Filler fields as empty values.

A value longer than its field is an error in every format; nothing is ever
truncated. So are control characters (CR, LF, tab) inside values, characters
outside ASCII, and keys the layout does not have. Errors are collected for the whole file and raised
together as :class:`WriteError`.

The header record holds the file-type description, the count of data
records, the file name, a file identifier and the reporting period. In the
fixed format it is padded with blanks to the length of a data record; that
padding rule is marked *inferred* in the reference notes (specs.md 1.3), so
it is an assumption to check against the current specification. In the
delimited formats the header holds the five values only, as in the
reference's CSV example.

File Record Numbers are assigned here, 1, 2, 3... in the order given;
any ``record_number`` in the input is ignored.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .layouts import FORMATS, FileSpec, Format, file_name_rule, header_fields, header_length

Record = Mapping[str, object]
"""A data record: field key to value (``str``, ``int`` or ``None`` for empty)."""

TERMINATOR = "\r\n"


class WriteError(ValueError):
    """The records cannot be written as given. ``problems`` lists each as (record, field, message)."""

    def __init__(self, problems: list[tuple[int, str | None, str]]):
        self.problems = problems
        shown = "; ".join(f"record {r}, {f}: {m}" if f else f"record {r}: {m}" for r, f, m in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} problem(s): {shown}{more}")


@dataclass(frozen=True, slots=True)
class Header:
    """What the header record says besides the file type and the record count."""

    file_name: str
    file_identifier: str
    reporting_period: str


_STATE = re.compile(r"^[A-Z]{2}$")
_VERSION = re.compile(r"^[A-Za-z0-9]+$")


def file_name(spec: FileSpec, *, fmt: Format, state: str = "CT", version: str = "v0001") -> str:
    """The file name by the EDFacts convention: state, level, file abbreviation, version, extension.

    ``CTSCHMEMBERv0001.csv``: ``CT`` the USPS state code, ``SCH`` the level
    (``SEA``, ``LEA`` or ``SCH``), ``MEMBER`` the file's abbreviation,
    ``v0001`` a version of up to seven letters or digits chosen by the state,
    ``.csv`` the format. The name must fit the 25-character File Name field.

    The convention is marked *inferred* in the reference notes (specs.md 1.3,
    recalled from the specifications' "File Naming Convention" section); the
    abbreviations for FS039 and FS129 are placeholders (see ``layouts.json``).
    """
    rule = file_name_rule()
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not _STATE.match(state):
        raise ValueError(f"State code {state!r} is not two capital letters")
    if not _VERSION.match(version) or len(version) > rule["version_max_length"]:
        raise ValueError(f"Version {version!r} must be 1 to {rule['version_max_length']} letters or digits")
    name = f"{state}{spec.level}{spec.abbreviation}{version}.{fmt}"
    if len(name) > rule["max_length"]:
        raise ValueError(f"File name {name!r} is longer than {rule['max_length']} characters")
    return name


def reporting_period(school_year: int) -> str:
    """``2025-2026`` for the school year ending in 2026."""
    return f"{school_year - 1}-{school_year}"


def header_for(
    spec: FileSpec,
    *,
    fmt: Format,
    school_year: int,
    created: datetime.datetime,
    state: str = "CT",
    version: str = "v0001",
) -> Header:
    """The usual header: conventional file name, identifier ``c052-MMDDYYYY-HHMM``, period ``YYYY-YYYY``.

    ``school_year`` is the ending year (2026 for 2025-2026); ``created`` the
    moment the file is made (in local time), which goes into the identifier.
    """
    return Header(
        file_name=file_name(spec, fmt=fmt, state=state, version=version),
        file_identifier=f"{spec.report_code}-{created:%m%d%Y-%H%M}",
        reporting_period=reporting_period(school_year),
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise TypeError("a bool is not a field value; write YES/NO or Y/N")
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a field value")


def _values(spec: FileSpec, records: Iterable[Record], problems: list) -> list[list[str]]:
    """Every record as a list of strings in field order, with record numbers assigned."""
    keys = spec.keys[1:]
    known = frozenset(spec.keys)
    rows = []
    for number, record in enumerate(records, start=1):
        try:
            row = [str(number)] + [_text(record.get(k)) for k in keys]
        except TypeError as exc:
            problems.append((number, None, str(exc)))
            continue
        extra = record.keys() - known
        if extra:
            problems.append((number, None, f"fields not in the {spec.level} layout: {', '.join(sorted(extra))}"))
        rows.append(row)
    return rows


def _check(spec: FileSpec, rows: list[list[str]], problems: list) -> None:
    widths = [f.width for f in spec.fields]
    keys = spec.keys
    for number, row in enumerate(rows, start=1):
        for value, width, key in zip(row, widths, keys):
            if len(value) > width:
                problems.append((number, key, f"{value!r} is {len(value)} characters, the field holds {width}"))
            if value and not (value.isascii() and value.isprintable()):
                problems.append((number, key, f"{value!r} holds a control character (CR, LF, tab) or non-ASCII"))


def _header_values(spec: FileSpec, header: Header, count: int, problems: list) -> list[str]:
    values = [spec.file_type, str(count), header.file_name, header.file_identifier, header.reporting_period]
    for value, field in zip(values, header_fields()):
        if len(value) > field.width:
            problems.append((0, field.key, f"{value!r} is {len(value)} characters, the field holds {field.width}"))
        if not (value.isascii() and value.isprintable()):
            problems.append((0, field.key, f"{value!r} holds a control character or a character outside ASCII"))
    return values


def write(spec: FileSpec, records: Iterable[Record], fmt: Format, header: Header) -> bytes:
    """The whole file as bytes: header record, then ``records`` in order, CR LF after each.

    Raises :class:`WriteError` listing every value that does not fit, and
    ``ValueError`` for an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    problems: list[tuple[int, str | None, str]] = []
    rows = _values(spec, records, problems)
    _check(spec, rows, problems)
    head = _header_values(spec, header, len(rows), problems)
    if problems:
        raise WriteError(problems)

    if fmt == "txt":
        widths = [f.width for f in spec.fields]
        hwidths = [f.width for f in header_fields()]
        pad = " " * max(spec.record_length - header_length(), 0)
        lines = ["".join(v.ljust(w) for v, w in zip(head, hwidths)) + pad]
        lines.extend("".join(v.ljust(w) for v, w in zip(row, widths)) for row in rows)
        text = TERMINATOR.join(lines) + TERMINATOR
    elif fmt == "tab":
        text = TERMINATOR.join("\t".join(row) for row in [head, *rows]) + TERMINATOR
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=TERMINATOR, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(head)
        writer.writerows(rows)
        text = buffer.getvalue()
    return text.encode("ascii")
