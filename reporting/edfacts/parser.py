"""Read an EDFacts file back into a header and records, in any of the three formats.

The parser never raises on bad input: what it cannot read cleanly becomes a
:class:`~reporting.edfacts.findings.Finding` (wrong terminator, wrong record
length or column count, characters outside ASCII, a value not
left-justified) and it carries on, so the validators can report everything
at once. Values come back as strings; fixed-format values lose their
trailing blanks.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cached_property
from operator import methodcaller

from ._gc import gc_paused
from .findings import FATAL, WARNING, Finding
from .layouts import FORMATS, FileSpec, Format, header_fields, header_length

_rstrip_blanks = methodcaller("rstrip", " ")
_starts_blank = methodcaller("startswith", " ")


@dataclass
class ParsedFile:
    """A file read back: header values (``None`` if there was no header), data by column, findings.

    ``columns`` maps each field key to its values, one per data record, in
    file order; :attr:`records` gives the same data as one dict per record.
    """

    header: dict[str, str] | None
    columns: dict[str, list[str]]
    findings: list[Finding] = field(default_factory=list)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    @cached_property
    def records(self) -> list[dict[str, str]]:
        keys = list(self.columns)
        return [dict(zip(keys, row)) for row in zip(*self.columns.values())]


def _lines(data: bytes, findings: list[Finding]) -> list[str]:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        record = data[: exc.start].count(b"\n")
        findings.append(
            Finding(FATAL, "encoding", f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not ASCII", record)
        )
        text = data.decode("ascii", errors="replace")
    if not text:
        return []
    breaks = text.count("\n")
    if text.endswith("\r\n") and text.count("\r\n") == breaks and text.count("\r") == breaks:
        return text[:-2].split("\r\n")
    pieces = text.split("\n")
    last = pieces.pop()
    if last:
        findings.append(Finding(FATAL, "terminator", "the last record does not end in CR LF", len(pieces)))
        pieces.append(last + "\r")
    lines = []
    for number, piece in enumerate(pieces):
        if piece.endswith("\r"):
            piece = piece[:-1]
        else:
            findings.append(Finding(FATAL, "terminator", "the record ends in LF without CR", number))
        if "\r" in piece:
            findings.append(Finding(FATAL, "terminator", "a CR inside the record", number))
        lines.append(piece)
    return lines


def _split(lines: list[str], fmt: Format) -> list[list[str]]:
    if fmt == "csv":
        return list(csv.reader(lines))
    return [line.split("\t") for line in lines]


def _fixed_column(lines: list[str], key: str, start: int, end: int, first: int, findings: list[Finding]) -> list[str]:
    values = list(map(_rstrip_blanks, [line[start - 1 : end] for line in lines]))
    if any(map(_starts_blank, values)):
        for number, value in enumerate(values, start=first):
            if value.startswith(" "):
                raw = lines[number - first][start - 1 : end]
                findings.append(Finding(FATAL, "justification", f"{raw!r} is not left-justified", number, key))
                values[number - first] = value.lstrip(" ")
    return values


def _header(line: str, spec: FileSpec, fmt: Format, findings: list[Finding]) -> dict[str, str]:
    fields = header_fields()
    if fmt == "txt":
        if len(line) < header_length():
            findings.append(
                Finding(FATAL, "length", f"header is {len(line)} characters, at least {header_length()} expected", 0)
            )
        elif len(line) > max(spec.record_length, header_length()):
            findings.append(Finding(FATAL, "length", f"header is {len(line)} characters, longer than a data record", 0))
        elif len(line) != spec.record_length:
            findings.append(
                Finding(
                    WARNING,
                    "length",
                    f"header is {len(line)} characters, not padded to the data-record length {spec.record_length}",
                    0,
                )
            )
        if line[header_length() :].strip(" "):
            findings.append(Finding(FATAL, "filler", "the header's filler after the reporting period is not blank", 0))
        return {f.key: _fixed_column([line], f.key, f.start, f.end, 0, findings)[0] for f in fields}
    values = _split([line], fmt)[0]
    if len(values) < len(fields) or any(values[len(fields) :]):
        findings.append(Finding(FATAL, "length", f"header has {len(values)} values, {len(fields)} expected", 0))
    values += [""] * (len(fields) - len(values))
    return {f.key: v for f, v in zip(fields, values)}


@gc_paused
def parse(spec: FileSpec, data: bytes, fmt: Format) -> ParsedFile:
    """Read ``data`` written in ``fmt`` by ``spec``'s layout into a :class:`ParsedFile`."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    findings: list[Finding] = []
    lines = _lines(data, findings)
    keys = spec.keys
    if not lines:
        findings.append(Finding(FATAL, "header", "the file is empty: no header record", 0))
        return ParsedFile(None, {k: [] for k in keys}, findings)
    header = _header(lines[0], spec, fmt, findings)
    body = lines[1:]
    if fmt == "txt":
        length = spec.record_length
        if body and set(map(len, body)) != {length}:
            for number, line in enumerate(body, start=1):
                if len(line) != length:
                    findings.append(
                        Finding(FATAL, "length", f"record is {len(line)} characters, {length} expected", number)
                    )
        columns = {f.key: _fixed_column(body, f.key, f.start, f.end, 1, findings) for f in spec.fields}
    else:
        rows = _split(body, fmt)
        width = len(keys)
        if rows and set(map(len, rows)) != {width}:
            for number, values in enumerate(rows, start=1):
                if len(values) != width:
                    findings.append(
                        Finding(FATAL, "length", f"record has {len(values)} values, {width} expected", number)
                    )
                    rows[number - 1] = (values + [""] * width)[:width]
        columns = dict(zip(keys, map(list, zip(*rows)))) if rows else {k: [] for k in keys}
    return ParsedFile(header, columns, findings)
