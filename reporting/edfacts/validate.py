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

The checks work on columns: each field is checked on its distinct values,
and the sums are first compared as whole dicts; only when something is wrong
does a record-by-record pass run to name every record involved. Findings
come sorted by record (header first, file-wide findings last).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from itertools import compress
from operator import itemgetter, methodcaller

from ._gc import gc_paused
from .findings import FATAL, WARNING, Finding
from .layouts import CATEGORY_KEYS, CategorySet, FileSpec, Format, header_fields, permitted
from .parser import parse

DEFAULT_THRESHOLD = 0.20
"""Year-over-year change (as a fraction of last year's total) above which a unit is a warning."""

MAX_FINDINGS = 1000
"""Findings listed by :func:`validate` before the rest are summed up in one."""

_PERIOD = re.compile(r"^(\d{4})-(\d{4})$")

_LABELS = {"grade": "Grade Level", "race": "Race/Ethnicity", "sex": "Sex"}


@gc_paused
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
        findings += check_header(spec, parsed.header, len(parsed), fmt)
    findings += check_columns(spec, parsed.columns, sex_x=sex_x)
    findings.sort(key=_position)
    if previous_totals is not None and spec.has_counts:
        totals = _unit_totals(spec, parsed.columns)
        findings += _year_over_year(totals, previous_totals, threshold)
    return limit(findings, max_findings)


def _position(finding: Finding) -> float:
    return finding.record if finding.record is not None else float("inf")


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


def as_columns(spec: FileSpec, records: Sequence[Mapping[str, object]]) -> dict[str, list[str]]:
    """Records (from a builder or a parser) as columns of strings, as the checks read them."""
    return {
        key: ["" if v is None else v if v.__class__ is str else str(v) for v in map(methodcaller("get", key), records)]
        for key in spec.keys
    }


@gc_paused
def check_records(spec: FileSpec, records: Sequence[Mapping[str, object]], *, sex_x: bool = False) -> list[Finding]:
    """Findings about data records given as dicts.

    Records without File Record Numbers (as the builders make them) are
    numbered 1, 2, 3... in the order given, as the writer would number them.
    """
    columns = as_columns(spec, records)
    if not any(columns["record_number"]):
        columns["record_number"] = list(map(str, range(1, len(records) + 1)))
    return check_columns(spec, columns, sex_x=sex_x)


def _labels(spec: FileSpec, columns: Mapping[str, Sequence[str]]) -> Sequence[str]:
    key = spec.unit_keys[-1] if spec.unit_keys else "fips_code"
    return columns[key]


def check_columns(spec: FileSpec, columns: Mapping[str, Sequence[str]], *, sex_x: bool = False) -> list[Finding]:
    """Findings about the data records, given by column (each field key to one string per record).

    Each column is checked on its distinct values, so the cost grows with the
    number of records only through a few C-level passes; a column that fails
    is then searched record by record to name the records.
    """
    findings: list[Finding] = []
    allowed = _domain_values(spec, sex_x)
    labels = _labels(spec, columns)
    numbers = columns["record_number"]
    count = len(numbers)
    if list(numbers) != list(map(str, range(1, count + 1))):
        broken = [n for n, v in enumerate(numbers, start=1) if v != str(n)]
        more = f" ({len(broken) - 1} more records out of sequence)" if len(broken) > 1 else ""
        message = f"File Record Number is {numbers[broken[0] - 1]!r}, expected {broken[0]}{more}"
        findings.append(Finding(FATAL, "record_number", message, broken[0], "record_number"))

    valid: dict[str, set[str]] = {}
    for field in spec.fields[1:]:
        column = columns[field.key]
        distinct = set(column)
        if "" in distinct and field.required:
            for number, value in enumerate(column, start=1):
                if not value:
                    findings.append(_missing(field, number, columns, labels[number - 1] or None))
        bad = {v: p for v in distinct if v and (p := _field_problem(field, v, allowed))}
        if bad:
            for number, value in enumerate(column, start=1):
                if value in bad:
                    code, message = bad[value]
                    findings.append(Finding(FATAL, code, message, number, field.key, labels[number - 1] or None))
        valid[field.key] = distinct - bad.keys() - {""}

    if spec.has_counts:
        findings += _check_counts(spec, columns, labels, valid["student_count"])
        keys = list(zip(labels, columns["table_name"], columns["grade"], columns["race"], columns["sex"]))
    elif "grade" in columns:
        keys = list(zip(labels, columns["grade"]))
    else:
        keys = list(labels)
    if len(set(keys)) != len(keys):
        first: dict[object, int] = {}
        for number, key in enumerate(keys, start=1):
            seen = first.setdefault(key, number)
            if seen != number:
                message = f"same unit and categories as record {seen}"
                findings.append(Finding(FATAL, "duplicate", message, number, None, labels[number - 1] or None))
    return findings


def _missing(field, number: int, columns: Mapping[str, Sequence[str]], label: str | None) -> Finding:
    if field.key == "school_id":
        lea = columns["lea_id"][number - 1] if "lea_id" in columns else ""
        message = f"a school in LEA {lea or '(none)'} has no State School Identifier"
    elif field.key == "lea_id":
        message = "no State LEA Identifier"
    elif field.domain in ("yes_no", "nslp_status", "virtual_status"):
        return Finding(
            FATAL, "not_entered", f"{field.label} has not been entered for school {label}", number, field.key, label
        )
    else:
        message = f"{field.label} is empty"
    return Finding(FATAL, "required", message, number, field.key, label)


def _describe(set_name: str, categories: tuple[str, ...], values: tuple[str, ...]) -> str:
    parts = ", ".join(f"{_LABELS[k]} {v}" for k, v in zip(categories, values))
    return f"{set_name} ({parts})" if parts else set_name


def _check_counts(spec: FileSpec, columns, labels, valid_counts: set[str]) -> list[Finding]:
    """Category sets, total indicators, and every subtotal and total against its detail records.

    First a pass made of C-level steps that can only say "all is well"; when
    it cannot, the record-by-record pass finds and names every problem.
    """
    if _counts_agree(spec, columns, labels, valid_counts):
        return []
    return _check_counts_slowly(spec, columns, labels, valid_counts)


def _counts_agree(spec: FileSpec, columns, labels, valid_counts: set[str]) -> bool:
    """True when every record has a category set, its total indicator, a valid count, and all sums agree.

    Records are keyed (unit, grade, race, sex) with blanks where a set has no
    category, so one dict holds every set; the sums of the detail records,
    keyed the same way, must make exactly the same dict.
    """
    grade, race, sex, indicator, amount = (
        columns[k] for k in ("grade", "race", "sex", "total_indicator", "student_count")
    )
    if not valid_counts.issuperset(amount):
        return False
    patterns = list(zip(map(bool, grade), map(bool, race), map(bool, sex)))
    by_pattern = {tuple(k in cs.categories for k in CATEGORY_KEYS): cs for cs in spec.category_sets.values()}
    if set(by_pattern) != {(True, True, True), (True, True, False), (True, False, True), (False, True, True),
                           (True, False, False), (False, False, False)}:  # fmt: skip
        return False  # a layout with other category sets: the general pass handles it
    for pattern, ti in set(zip(patterns, indicator)):
        cs = by_pattern.get(pattern)
        if cs is None or cs.total_indicator != ti:
            return False
    written = dict(zip(zip(labels, grade, race, sex), map(int, amount)))
    if len(written) != len(amount):
        return False  # two records with one key: the general pass adds them up and reports them
    detail = (True, True, True)
    details = dict(compress(written.items(), map(detail.__eq__, patterns)))
    st1: dict[tuple[str, str, str, str], int] = {}
    st2: dict[tuple[str, str, str, str], int] = {}
    st3: dict[tuple[str, str, str, str], int] = {}
    for (unit, g, r, s), n in details.items():
        key = (unit, g, r, "")
        st1[key] = st1.get(key, 0) + n
        key = (unit, g, "", s)
        st2[key] = st2.get(key, 0) + n
        key = (unit, "", r, s)
        st3[key] = st3.get(key, 0) + n
    st4: dict[tuple[str, str, str, str], int] = {}
    for (unit, g, _r, _s), n in st1.items():  # grade = sum over race of grade x race
        key = (unit, g, "", "")
        st4[key] = st4.get(key, 0) + n
    total: dict[tuple[str, str, str, str], int] = {}
    for (unit, _g, _r, _s), n in st4.items():
        key = (unit, "", "", "")
        total[key] = total.get(key, 0) + n
    return written == details | st1 | st2 | st3 | st4 | total


def _getter(cs: CategorySet):
    """Of a detail key (unit, grade, race, sex), the unit and the categories of ``cs``."""
    positions = {k: i + 1 for i, k in enumerate(CATEGORY_KEYS)}
    return itemgetter(0, *(positions[c] for c in cs.categories)) if cs.categories else _unit_only


def _check_counts_slowly(spec: FileSpec, columns, labels, valid_counts: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    by_pattern = {tuple(k in cs.categories for k in CATEGORY_KEYS): cs for cs in spec.category_sets.values()}
    detail_set = next(cs for cs in spec.category_sets.values() if len(cs.categories) == len(CATEGORY_KEYS))
    details: dict[tuple[str, str, str, str], int] = {}
    subtotals: list[tuple[int, object, tuple[str, str, str, str], int]] = []
    rows = zip(labels, columns["grade"], columns["race"], columns["sex"], columns["total_indicator"])
    for number, (row, amount) in enumerate(zip(rows, columns["student_count"]), start=1):
        unit, grade, race, sex, indicator = row
        cs = by_pattern.get((grade != "", race != "", sex != ""))
        if cs is None:
            names = ", ".join(_LABELS[k] for k, v in zip(CATEGORY_KEYS, row[1:4]) if v) or "none"
            message = f"no category set has these categories: {names}"
            findings.append(Finding(FATAL, "category_set", message, number, None, unit or None))
            continue
        if indicator != cs.total_indicator and indicator in ("N", "Y"):
            message = f"Total Indicator is {indicator!r}, a {cs.name} record has {cs.total_indicator!r}"
            findings.append(Finding(FATAL, "total_indicator", message, number, "total_indicator", unit or None))
        if amount not in valid_counts:
            continue
        key = (unit, grade, race, sex)
        if cs is detail_set:
            details[key] = details.get(key, 0) + int(amount)
        else:
            subtotals.append((number, cs, key, int(amount)))

    getters = {cs.name: _getter(cs) for cs in spec.category_sets.values() if cs is not detail_set}
    expected: dict[str, dict[tuple, int]] = {}
    for name, getter in getters.items():
        sums: dict[tuple, int] = {}
        for key, n in details.items():
            projected = getter(key)
            sums[projected] = sums.get(projected, 0) + n
        expected[name] = sums
    found: dict[str, set[tuple]] = {name: set() for name in getters}
    for number, cs, key, amount in subtotals:
        projected = getters[cs.name](key)
        found[cs.name].add(projected)
        want = expected[cs.name].get(projected, 0)
        if amount != want:
            described = _describe(cs.name, cs.categories, projected[1:])
            message = f"{described} is {amount}, the detail records add up to {want}"
            findings.append(Finding(FATAL, "subtotal", message, number, "student_count", key[0] or None))
    for name, sums in expected.items():
        categories = spec.category_sets[name].categories
        for projected, want in sums.items():
            if projected not in found[name] and (want > 0 or not categories):
                message = f"no {_describe(name, categories, projected[1:])} record; the detail records add up to {want}"
                findings.append(Finding(FATAL, "missing_subtotal", message, None, None, projected[0] or None))
    return findings


def _unit_only(key: tuple) -> tuple:
    return (key[0],)


def unit_totals(spec: FileSpec, records: Sequence[Mapping[str, object]]) -> dict[str, int]:
    """Each unit's TOT count, keyed by :func:`unit_id`; store these to compare next year."""
    return _unit_totals(spec, as_columns(spec, records))


def _unit_totals(spec: FileSpec, columns: Mapping[str, Sequence[str]]) -> dict[str, int]:
    result: dict[str, int] = {}
    rows = zip(_labels(spec, columns), columns["grade"], columns["race"], columns["sex"], columns["total_indicator"])
    for (unit, grade, race, sex, indicator), amount in zip(rows, columns["student_count"]):
        if indicator == "Y" and not (grade or race or sex) and amount.isascii() and amount.isdigit():
            result[unit] = int(amount)
    return result


def year_over_year(
    spec: FileSpec,
    records: Sequence[Mapping[str, object]],
    previous_totals: Mapping[str, int],
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Finding]:
    """Warnings for units whose total moved more than ``threshold`` (a fraction) from last year's."""
    return _year_over_year(unit_totals(spec, records), previous_totals, threshold)


def _year_over_year(current: Mapping[str, int], previous_totals: Mapping[str, int], threshold: float) -> list[Finding]:
    if threshold < 0:
        raise ValueError("The threshold is a non-negative fraction, such as 0.2 for 20%")
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


@gc_paused
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
