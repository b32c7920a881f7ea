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

from .findings import FATAL, WARNING, Finding
from .layouts import FORMATS, FileSpec, Format, header_fields, header_length


@dataclass(slots=True)
class ParsedFile:
    """A file read back: header values (``None`` if there was no header), data records, findings."""

    header: dict[str, str] | None
    records: list[dict[str, str]]
    findings: list[Finding] = field(default_factory=list)


def _lines(data: bytes, findings: list[Finding]) -> list[str]:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        record = data[: exc.start].count(b"\n")
        findings.append(
            Finding(FATAL, "encoding", f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not ASCII", record)
        )
        text = data.decode("ascii", errors="replace")
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


def _fixed(line: str, bounds: list[tuple[str, int, int]], number: int, findings: list[Finding]) -> dict[str, str]:
    values = {}
    for key, start, end in bounds:
        raw = line[start - 1 : end]
        value = raw.rstrip(" ")
        if value[:1] == " ":
            findings.append(Finding(FATAL, "justification", f"{raw!r} is not left-justified", number, key))
            value = value.lstrip(" ")
        values[key] = value
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
        return _fixed(line, [(f.key, f.start, f.end) for f in fields], 0, findings)
    values = _split([line], fmt)[0]
    if len(values) < len(fields) or any(values[len(fields) :]):
        findings.append(Finding(FATAL, "length", f"header has {len(values)} values, {len(fields)} expected", 0))
    values += [""] * (len(fields) - len(values))
    return {f.key: v for f, v in zip(fields, values)}


def parse(spec: FileSpec, data: bytes, fmt: Format) -> ParsedFile:
    """Read ``data`` written in ``fmt`` by ``spec``'s layout into a :class:`ParsedFile`."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    findings: list[Finding] = []
    lines = _lines(data, findings)
    if not lines:
        findings.append(Finding(FATAL, "header", "the file is empty: no header record", 0))
        return ParsedFile(None, [], findings)
    header = _header(lines[0], spec, fmt, findings)
    records = []
    keys = spec.keys
    length = spec.record_length
    bounds = [(f.key, f.start, f.end) for f in spec.fields]
    if fmt == "txt":
        for number, line in enumerate(lines[1:], start=1):
            if len(line) != length:
                findings.append(
                    Finding(FATAL, "length", f"record is {len(line)} characters, {length} expected", number)
                )
            records.append(_fixed(line, bounds, number, findings))
    else:
        for number, values in enumerate(_split(lines[1:], fmt), start=1):
            if len(values) != len(keys):
                findings.append(
                    Finding(FATAL, "length", f"record has {len(values)} values, {len(keys)} expected", number)
                )
                values = (values + [""] * len(keys))[: len(keys)]
            records.append(dict(zip(keys, values)))
    return ParsedFile(header, records, findings)
