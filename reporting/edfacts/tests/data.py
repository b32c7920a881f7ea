"""The small hand-checked data set behind the golden files, and helpers to tamper with files.

Two districts: LEA 0640011 with schools 0646411 and 0646412, LEA 0650011
with school 0656511. Membership rows come in a scrambled order, some cells
split over several rows, so the golden files also test the adding up.
"""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

from reporting.edfacts import FileSpec, header_for
from reporting.edfacts.layouts import header_fields

GOLDEN = Path(__file__).with_name("golden")
CREATED = datetime.datetime(2025, 10, 2, 6, 15)
SCHOOL_YEAR = 2026

MEMBERSHIP = [
    # (lea_id, school_id, grade, race, sex, count, ref)
    ("0650011", "0656511", "12", "WH7", "M", 4, "r1"),
    ("0640011", "0646411", "01", "HI7", "F", 2, "r2"),
    ("0640011", "0646411", "KG", "HI7", "F", 1, "r3"),
    ("0640011", "0646412", "01", "HI7", "F", 5, "r4"),
    ("0640011", "0646411", "KG", "WH7", "F", 1, "r5"),
    ("0650011", "0656511", "PK", "MU7", "F", 2, "r6"),
    ("0640011", "0646411", "KG", "HI7", "M", 2, "r7"),
    ("0640011", "0646411", "01", "BL7", "M", 4, "r8"),
    ("0640011", "0646411", "KG", "HI7", "F", 2, "r9"),
    ("0640011", "0646412", "01", "AS7", "M", 1, "r10"),
    ("0650011", "0656511", "12", "WH7", "M", 3, "r11"),
]
"""Hand totals: school 0646411 has 12 students, 0646412 has 6, 0656511 has 9; LEA 0640011 18; state 27."""

GRADES_OFFERED = [
    # (lea_id, school_id, grades, explanation, ref)
    ("0650011", "0656511", ["12", "PK"], "", "s3"),
    ("0640011", "0646411", "KG 01 02", "", "s1"),
    ("0640011", "0646412", "01,02, 03", "Grade 03 added in 2025, by board vote", "s2"),
]

CCD_SCHOOLS = [
    # (lea_id, school_id, nslp_status, virtual_status, shared_time, explanation, ref)
    ("0640011", "0646412", "NSLPWOPRO", "FACEVIRTUAL", True, 'Shares staff with "Central" campus, part time', "s2"),
    ("0650011", "0656511", "NSLPNO", "FULLVIRTUAL", False, "", "s3"),
    ("0640011", "0646411", "NSLPCEO", "NOTVIRTUAL", False, "", "s1"),
]


def golden(name: str, fmt: str) -> bytes:
    return (GOLDEN / f"{name}.{fmt}").read_bytes()


def header(spec: FileSpec, fmt: str):
    return header_for(spec, fmt=fmt, school_year=SCHOOL_YEAR, created=CREATED)


def _split(line: str, fmt: str) -> list[str]:
    return next(csv.reader([line])) if fmt == "csv" else line.split("\t")


def _join(values: list[str], fmt: str) -> str:
    if fmt == "tab":
        return "\t".join(values)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()


def tamper(data: bytes, fmt: str, spec: FileSpec, record: int, key: str, value: str) -> bytes:
    """``data`` with field ``key`` of record ``record`` (0 = header) replaced by ``value``, byte-level.

    Bypasses the writer on purpose: the point is to make files the writer
    would refuse to make.
    """
    lines = data.decode("ascii").split("\r\n")
    line = lines[record]
    fields = header_fields() if record == 0 else spec.fields
    index = next(i for i, f in enumerate(fields) if f.key == key)
    if fmt == "txt":
        field = fields[index]
        padded = value.ljust(field.width)
        lines[record] = line[: field.start - 1] + padded + line[field.end :]
    else:
        values = _split(line, fmt)
        values[index] = value
        lines[record] = _join(values, fmt)
    return "\r\n".join(lines).encode("ascii")


def drop_record(data: bytes, record: int) -> bytes:
    lines = data.decode("ascii").split("\r\n")
    del lines[record]
    return "\r\n".join(lines).encode("ascii")
