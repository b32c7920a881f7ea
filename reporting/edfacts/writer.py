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
outside ASCII, and keys the layout does not have. Errors are collected for
the whole file and raised together as :class:`WriteError`.

The header record holds the file-type description, the count of data
records, the file name, a file identifier and the reporting period. In the
fixed format it is padded with blanks to the length of a data record; that
padding rule is marked *inferred* in the reference notes (specs.md 1.3), so
it is an assumption to check against the current specification. In the
delimited formats the header holds the five values only, as in the
reference's CSV example.

File Record Numbers are assigned here, 1, 2, 3... in the order given;
any ``record_number`` in the input is ignored.

Records are read column by column, so a state-scale file (about 200,000
records) costs a few C-level passes per field rather than a Python loop per
value; records that carry every key of the layout (as the builders make
them) are read fastest.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter, methodcaller

from ._gc import gc_paused
from .layouts import FORMATS, Field, FileSpec, Format, file_name_rule, header_fields

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


_BAD_CHARACTER = re.compile(r"[^\x20-\x7e]")
"""Anything but printable ASCII: control characters (CR, LF, tab) and non-ASCII."""


def _column(field: Field, values: list[object], problems: list) -> list[str]:
    """One field's values as strings, checked; problems are appended, never raised."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        pass
    elif kinds <= {int}:
        values = list(map(str, values))
    elif kinds <= {str, int, type(None)}:
        values = ["" if v is None else v if v.__class__ is str else str(v) for v in values]
    else:
        converted = []
        for number, value in enumerate(values, start=1):
            try:
                converted.append(_text(value))
            except TypeError as exc:
                problems.append((number, field.key, str(exc)))
                converted.append("")
        values = converted
    # Whole-column checks run in C; only a column that fails is searched value by value.
    if values and max(map(len, values)) > field.width:
        for number, value in enumerate(values, start=1):
            if len(value) > field.width:
                problems.append(
                    (number, field.key, f"{value!r} is {len(value)} characters, the field holds {field.width}")
                )
    if _BAD_CHARACTER.search("".join(values)):
        for number, value in enumerate(values, start=1):
            if _BAD_CHARACTER.search(value):
                problems.append((number, field.key, f"{value!r} holds a control character (CR, LF, tab) or non-ASCII"))
    return values


def _columns(spec: FileSpec, records: list[Record], problems: list) -> list[list[str]]:
    """Every field as a column of strings, File Record Numbers first."""
    fields = spec.fields[1:]
    known = frozenset(spec.keys)
    if records and not known.issuperset(set().union(*records)):
        for number, record in enumerate(records, start=1):
            extra = set(record) - known
            if extra:
                problems.append((number, None, f"fields not in the {spec.level} layout: {', '.join(sorted(extra))}"))
    try:
        # Records carrying every key (as the builders make them) are read in one C-level step each.
        raw = list(zip(*map(itemgetter(*(f.key for f in fields)), records))) or [[] for _ in fields]
    except KeyError:
        raw = [list(map(methodcaller("get", f.key), records)) for f in fields]
    columns = [list(map(str, range(1, len(records) + 1)))]
    columns += [_column(field, list(values), problems) for field, values in zip(fields, raw)]
    return columns


def _header_values(spec: FileSpec, header: Header, count: int, problems: list) -> list[str]:
    values = [spec.file_type, str(count), header.file_name, header.file_identifier, header.reporting_period]
    for value, field in zip(values, header_fields()):
        if len(value) > field.width:
            problems.append((0, field.key, f"{value!r} is {len(value)} characters, the field holds {field.width}"))
        if not (value.isascii() and value.isprintable()):
            problems.append((0, field.key, f"{value!r} holds a control character or a character outside ASCII"))
    return values


@gc_paused
def write(spec: FileSpec, records: Iterable[Record], fmt: Format, header: Header) -> bytes:
    """The whole file as bytes: header record, then ``records`` in order, CR LF after each.

    Raises :class:`WriteError` listing every value that does not fit, and
    ``ValueError`` for an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    records = records if isinstance(records, list) else list(records)
    problems: list[tuple[int, str | None, str]] = []
    columns = _columns(spec, records, problems)
    head = _header_values(spec, header, len(records), problems)
    if problems:
        problems.sort(key=lambda p: p[0])
        raise WriteError(problems)

    rows = zip(*columns)
    if fmt == "txt":
        pattern = "".join(f"%-{f.width}s" for f in spec.fields)
        head_pattern = "".join(f"%-{f.width}s" for f in header_fields())
        lines = [(head_pattern % tuple(head)).ljust(spec.record_length)]
        lines += map(pattern.__mod__, rows)
        text = TERMINATOR.join(lines) + TERMINATOR
    elif fmt == "tab":
        lines = ["\t".join(head)]
        lines += map("\t".join, rows)
        text = TERMINATOR.join(lines) + TERMINATOR
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=TERMINATOR, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(head)
        writer.writerows(rows)
        text = buffer.getvalue()
    return text.encode("ascii")
