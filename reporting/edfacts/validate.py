"""Validate an EDFacts file before certification.

:func:`validate` reads a written file back with the parser and returns every
finding: fatal ones block certification, warnings ask for a look.

Checks (finding codes in brackets, all fatal unless marked):

* the file reads cleanly: ASCII, CR LF after every record, each fixed record
  as long as the layout, each delimited record with the layout's columns
  [``encoding``, ``terminator``, ``length``, ``justification``];
* the header names this file type, its record count equals the data records,
  its reporting period is ``YYYY-YYYY`` with consecutive years
  [``header``, ``header_count``]; a file name that does not follow the
  naming convention or the format is a warning;
* File Record Numbers run 1, 2, 3... [``record_number``];
* every value fits its field, fillers are blank, mandatory fields are
  filled (a school with no state id) [``width``, ``filler``, ``required``];
* every code is a permitted value: grade, race, sex, total indicator, table
  name, shared time, NSLP and virtual status; FIPS and agency are two digits
  [``unknown_code``];
* counts are non-negative integers [``count``];
* FS052: the filled categories make up one of the category sets and the total
  indicator matches it [``category_set``, ``total_indicator``]; every ST1-ST4
  subtotal and the TOT total equal the sum of the unit's CSA detail records,
  and detail records are not left without them [``subtotal``,
  ``missing_subtotal``];
* no two records for the same unit, table and categories [``duplicate``];
* with last year's totals, a unit whose total changed by more than the
  threshold (20% by default) is a warning [``year_over_year``].

:func:`check_rollup` compares two levels of FS052 (school to district,
district to state). The checks run on strings as read back, independently of
the builders, so they also catch a file edited by hand.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence

from .findings import FATAL, WARNING, Finding
from .layouts import CATEGORY_KEYS, FileSpec, Format, header_fields, permitted
from .parser import parse

DEFAULT_THRESHOLD = 0.20
"""Year-over-year change (as a fraction of last year's total) above which a unit is a warning."""

MAX_FINDINGS = 1000
"""Findings listed by :func:`validate` before the rest are summed up in one."""

_PERIOD = re.compile(r"^(\d{4})-(\d{4})$")

_LABELS = {"grade": "Grade Level", "race": "Race/Ethnicity", "sex": "Sex"}


def validate(
    spec: FileSpec,
    data: bytes,
    fmt: Format,
    *,
    sex_x: bool = False,
    previous_totals: Mapping[str, int] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    max_findings: int | None = MAX_FINDINGS,
) -> list[Finding]:
    """Every finding about ``data``, a file in format ``fmt`` written by ``spec``'s layout.

    ``previous_totals`` maps a unit id (see :func:`unit_totals`) to last
    year's total; give it to get the year-over-year warnings. ``max_findings``
    caps the list (the last finding then says how many more there were);
    ``None`` lists all.
    """
    parsed = parse(spec, data, fmt)
    findings = list(parsed.findings)
    if parsed.header is not None:
        findings += check_header(spec, parsed.header, len(parsed.records), fmt)
    findings += check_records(spec, parsed.records, sex_x=sex_x)
    if previous_totals is not None and spec.has_counts:
        findings += year_over_year(spec, parsed.records, previous_totals, threshold=threshold)
    return limit(findings, max_findings)


def limit(findings: list[Finding], max_findings: int | None) -> list[Finding]:
    """The first ``max_findings`` findings and, if some are left out, one finding counting them."""
    if max_findings is None or len(findings) <= max_findings:
        return findings
    rest = findings[max_findings:]
    fatal = sum(1 for f in rest if f.severity == FATAL)
    summary = Finding(
        FATAL if fatal else WARNING,
        "truncated",
        f"{len(rest)} more findings not listed ({fatal} fatal)",
    )
    return [*findings[:max_findings], summary]


def check_header(spec: FileSpec, header: Mapping[str, str], count: int, fmt: Format) -> list[Finding]:
    """Findings about the header record of a file with ``count`` data records."""
    findings = []
    for field in header_fields():
        value = header.get(field.key, "")
        if len(value) > field.width:
            findings.append(
                Finding(
                    FATAL, "width", f"{field.label} is {len(value)} characters, at most {field.width}", 0, field.key
                )
            )
    if header.get("file_type") != spec.file_type:
        findings.append(
            Finding(
                FATAL,
                "header",
                f"File Type is {header.get('file_type')!r}, expected {spec.file_type!r}",
                0,
                "file_type",
            )
        )
    total = header.get("total_records", "")
    if not (total.isascii() and total.isdigit()):
        findings.append(
            Finding(FATAL, "header_count", f"Total Records In File {total!r} is not a number", 0, "total_records")
        )
    elif int(total) != count:
        findings.append(
            Finding(
                FATAL,
                "header_count",
                f"Total Records In File says {int(total)}, the file has {count} data records",
                0,
                "total_records",
            )
        )
    name = header.get("file_name", "")
    if not name:
        findings.append(Finding(FATAL, "header", "File Name is empty", 0, "file_name"))
    elif not re.fullmatch(rf"[A-Z]{{2}}{spec.level}{re.escape(spec.abbreviation)}[A-Za-z0-9]{{1,7}}\.{fmt}", name):
        findings.append(
            Finding(
                WARNING,
                "header",
                f"File Name {name!r} does not follow the convention "
                f"(state, {spec.level}, {spec.abbreviation}, version, .{fmt})",
                0,
                "file_name",
            )
        )
    if not header.get("file_identifier"):
        findings.append(Finding(FATAL, "header", "File Identifier is empty", 0, "file_identifier"))
    period = header.get("reporting_period", "")
    match = _PERIOD.match(period)
    if not match or int(match[2]) != int(match[1]) + 1:
        findings.append(
            Finding(
                FATAL,
                "header",
                f"File Reporting Period {period!r} is not two consecutive years as YYYY-YYYY",
                0,
                "reporting_period",
            )
        )
    return findings


def unit_id(spec: FileSpec, record: Mapping[str, object]) -> str:
    """The id naming a record's unit: the school id (SCH), the LEA id (LEA) or the FIPS code (SEA)."""
    key = spec.unit_keys[-1] if spec.unit_keys else "fips_code"
    return str(record.get(key) or "")


def _domain_values(spec: FileSpec, sex_x: bool) -> dict[str, frozenset[str]]:
    values = {d: frozenset(permitted(d, sex_x=sex_x)) for d in ("grade", "race", "sex", "yes_no")}
    values |= {d: frozenset(permitted(d)) for d in ("nslp_status", "virtual_status", "total_indicator")}
    if spec.table_name:
        values["table_name"] = frozenset([spec.table_name])
    return values


def _field_problem(field, value: str, allowed: Mapping[str, frozenset[str]]) -> tuple[str, str] | None:
    """(code, message) for a non-empty value of ``field`` that breaks its domain, or ``None``."""
    if len(value) > field.width:
        return "width", f"{field.label} {value[:40]!r} is {len(value)} characters, the field holds {field.width}"
    if field.filler:
        return "filler", f"Filler holds {value[:40]!r}"
    domain = field.domain
    if domain == "digits":
        if not (len(value) == field.width and value.isascii() and value.isdigit()):
            return "unknown_code", f"{field.label} {value!r} is not {field.width} digits"
    elif domain == "count":
        if not (value.isascii() and value.isdigit()):
            return "count", f"{field.label} {value!r} is not a non-negative integer"
    elif domain in allowed:
        if value not in allowed[domain]:
            hint = " (X is permitted only when the spec version allows it)" if domain == "sex" and value == "X" else ""
            return "unknown_code", f"{field.label} {value!r} is not a permitted value{hint}"
    elif not (value.isascii() and value.isprintable()):
        return "encoding", f"{field.label} {value[:40]!r} holds control characters or characters outside ASCII"
    return None


def check_records(spec: FileSpec, records: Sequence[Mapping[str, str]], *, sex_x: bool = False) -> list[Finding]:
    """Findings about the data records (as read back: every value a string)."""
    findings: list[Finding] = []
    allowed = _domain_values(spec, sex_x)
    checked = [f for f in spec.fields if f.key != "record_number"]
    ok: dict[str, set[str]] = {f.key: set() for f in checked}
    counts = spec.has_counts
    seen: dict[tuple, int] = {}
    details: dict[tuple, dict[tuple[str, str, str], int]] = defaultdict(lambda: defaultdict(int))
    totals: list[tuple[int, tuple, str, tuple[str, ...], int]] = []
    units_with_details: set[tuple] = set()
    broken_numbers: list[int] = []

    for number, record in enumerate(records, start=1):
        if record.get("record_number") != str(number):
            broken_numbers.append(number)
        label = unit_id(spec, record) or None
        for field in checked:
            value = record.get(field.key) or ""
            if not value:
                if field.required:
                    findings.append(_missing(spec, field, number, record, label))
                continue
            if value in ok[field.key]:
                continue
            problem = _field_problem(field, value, allowed)
            if problem:
                findings.append(Finding(FATAL, problem[0], problem[1], number, field.key, label))
            else:
                ok[field.key].add(value)

        unit = (label or "",)
        if counts:
            filled = tuple(k for k in CATEGORY_KEYS if record.get(k))
            cs = spec.category_set_for(filled)
            cats = tuple(record.get(k, "") for k in CATEGORY_KEYS)
            key = (unit, record.get("table_name"), cats)
            if cs is None:
                names = ", ".join(_LABELS[k] for k in filled) or "none"
                findings.append(
                    Finding(
                        FATAL, "category_set", f"no category set has these categories: {names}", number, None, label
                    )
                )
            else:
                ti = record.get("total_indicator", "")
                if ti in allowed["total_indicator"] and ti != cs.total_indicator:
                    findings.append(
                        Finding(
                            FATAL,
                            "total_indicator",
                            f"Total Indicator is {ti!r}, a {cs.name} record has {cs.total_indicator!r}",
                            number,
                            "total_indicator",
                            label,
                        )
                    )
                count = record.get("student_count", "")
                if count.isascii() and count.isdigit():
                    if cs.name == "CSA":
                        details[unit][cats] += int(count)
                        units_with_details.add(unit)
                    else:
                        values = tuple(c for c in cats if c)
                        totals.append((number, unit, cs.name, values, int(count)))
        elif "grade" in spec.keys:
            key = (unit, record.get("grade", ""))
        else:
            key = unit
        first = seen.setdefault(key, number)
        if first != number:
            findings.append(
                Finding(FATAL, "duplicate", f"same unit and categories as record {first}", number, None, label)
            )

    if broken_numbers:
        first = broken_numbers[0]
        value = records[first - 1].get("record_number")
        more = f" ({len(broken_numbers) - 1} more records out of sequence)" if len(broken_numbers) > 1 else ""
        findings.append(
            Finding(
                FATAL,
                "record_number",
                f"File Record Number is {value!r}, expected {first}{more}",
                first,
                "record_number",
            )
        )
    if counts:
        findings += _check_sums(spec, details, totals, units_with_details)
    return findings


def _missing(spec: FileSpec, field, number: int, record: Mapping[str, str], label: str | None) -> Finding:
    if field.key == "school_id":
        message = f"a school in LEA {record.get('lea_id') or '(none)'} has no State School Identifier"
    elif field.key == "lea_id":
        message = "no State LEA Identifier"
    else:
        message = f"{field.label} is empty"
    code = "not_entered" if field.domain in ("yes_no", "nslp_status", "virtual_status") else "required"
    if code == "not_entered":
        message = f"{field.label} has not been entered for school {label}"
    return Finding(FATAL, code, message, number, field.key, label)


def _describe(spec: FileSpec, set_name: str, values: tuple[str, ...]) -> str:
    cats = spec.category_sets[set_name].categories
    parts = ", ".join(f"{_LABELS[k]} {v}" for k, v in zip(cats, values))
    return f"{set_name} ({parts})" if parts else set_name


def _check_sums(spec: FileSpec, details, totals, units_with_details) -> list[Finding]:
    findings = []
    positions = {k: i for i, k in enumerate(CATEGORY_KEYS)}
    projections: dict[str, tuple[int, ...]] = {
        name: tuple(positions[c] for c in cs.categories) for name, cs in spec.category_sets.items() if name != "CSA"
    }
    expected: dict[tuple, dict[str, dict[tuple[str, ...], int]]] = {}
    for unit, cells in details.items():
        sums: dict[str, dict[tuple[str, ...], int]] = {name: defaultdict(int) for name in projections}
        for cats, n in cells.items():
            for name, idx in projections.items():
                sums[name][tuple(cats[i] for i in idx)] += n
        expected[unit] = sums
    found: set[tuple] = set()
    for number, unit, name, values, count in totals:
        want = expected.get(unit, {}).get(name, {}).get(values, 0)
        found.add((unit, name, values))
        if count != want:
            findings.append(
                Finding(
                    FATAL,
                    "subtotal",
                    f"{_describe(spec, name, values)} is {count}, the detail records add up to {want}",
                    number,
                    "student_count",
                    unit[-1] if unit else None,
                )
            )
    for unit in sorted(units_with_details):
        for name, sums in expected[unit].items():
            for values, want in sums.items():
                if (unit, name, values) not in found and (want > 0 or name == "TOT"):
                    findings.append(
                        Finding(
                            FATAL,
                            "missing_subtotal",
                            f"no {_describe(spec, name, values)} record; the detail records add up to {want}",
                            None,
                            None,
                            unit[-1] if unit else None,
                        )
                    )
    return findings


def unit_totals(spec: FileSpec, records: Sequence[Mapping[str, object]]) -> dict[str, int]:
    """Each unit's TOT count, keyed by :func:`unit_id`; store these to compare next year."""
    result: dict[str, int] = {}
    for record in records:
        if any(record.get(k) for k in CATEGORY_KEYS) or record.get("total_indicator") != "Y":
            continue
        count = str(record.get("student_count", ""))
        if count.isdigit():
            result[unit_id(spec, record)] = int(count)
    return result


def year_over_year(
    spec: FileSpec,
    records: Sequence[Mapping[str, object]],
    previous_totals: Mapping[str, int],
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Finding]:
    """Warnings for units whose total moved more than ``threshold`` (a fraction) from last year's."""
    if threshold < 0:
        raise ValueError("The threshold is a non-negative fraction, such as 0.2 for 20%")
    current = unit_totals(spec, records)
    findings = []
    for unit, before in sorted(previous_totals.items()):
        now = current.get(unit)
        if now is None:
            message = f"{unit} had a total of {before} last year and has none this year"
        elif before == 0:
            if now == 0:
                continue
            message = f"{unit} went from 0 last year to {now}"
        elif abs(now - before) / before > threshold:
            message = f"{unit} went from {before} last year to {now} ({(now - before) / before:+.1%})"
        else:
            continue
        findings.append(Finding(WARNING, "year_over_year", message, None, "student_count", unit))
    for unit in sorted(current.keys() - previous_totals.keys()):
        findings.append(
            Finding(WARNING, "year_over_year", f"{unit} has no total last year", None, "student_count", unit)
        )
    return findings


def check_rollup(
    lower: FileSpec,
    lower_records: Sequence[Mapping[str, object]],
    upper: FileSpec,
    upper_records: Sequence[Mapping[str, object]],
) -> list[Finding]:
    """Fatal findings where FS052 detail records of ``lower`` (SCH or LEA) do not add up to ``upper`` (LEA or SEA)."""
    if not (lower.number == upper.number and lower.has_counts):
        raise ValueError("Roll-up compares two levels of the same count file")
    if (lower.level, upper.level) not in (("SCH", "LEA"), ("LEA", "SEA"), ("SCH", "SEA")):
        raise ValueError(f"Cannot roll {lower.level} up to {upper.level}")
    upper_key = upper.unit_keys

    def detail_sums(spec_records) -> dict[tuple, int]:
        sums: dict[tuple, int] = defaultdict(int)
        for record in spec_records:
            cats = tuple(str(record.get(k) or "") for k in CATEGORY_KEYS)
            count = str(record.get("student_count", ""))
            if all(cats) and count.isdigit():
                sums[(tuple(str(record.get(k) or "") for k in upper_key), cats)] += int(count)
        return sums

    below, above = detail_sums(lower_records), detail_sums(upper_records)
    findings = []
    for key in sorted(below.keys() | above.keys()):
        unit, cats = key
        if below.get(key, 0) != above.get(key, 0):
            name = unit[-1] if unit else "the state"
            findings.append(
                Finding(
                    FATAL,
                    "rollup",
                    f"{upper.level} {name}, grade {cats[0]}, race {cats[1]}, sex {cats[2]}: "
                    f"{above.get(key, 0)} in the {upper.level} file, {below.get(key, 0)} in the {lower.level} file",
                    None,
                    "student_count",
                    unit[-1] if unit else None,
                )
            )
    return findings
