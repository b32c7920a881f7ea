"""Pieces the builders share: the build result and a collector that groups row problems."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .findings import FATAL, Finding
from .layouts import FileSpec

MAX_REFS = 20
"""References kept per builder finding; the message still gives the full row count."""


@dataclass(frozen=True, slots=True)
class Build:
    """What a builder returns: the records to write and the findings about rows it left out.

    Rows that cannot be reported (an unknown code, a missing identifier, a
    negative count) are never guessed at: they are left out of ``records``
    and each kind of problem becomes one fatal finding naming the rows'
    references. Store these findings with the file's validation findings: a
    file built with any of them cannot be certified.
    """

    records: list[dict[str, object]]
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == FATAL for f in self.findings)


class Problems:
    """Collects row problems, one finding per (code, field, unit, message) with the rows' references."""

    def __init__(self) -> None:
        self._seen: dict[tuple, list] = {}

    def add(self, code: str, field: str | None, unit: str | None, message: str, ref: object) -> None:
        """One row with this problem; ``ref`` is the caller's reference for it (blank if none)."""
        self.add_many(code, field, unit, message, 1, [] if ref in ("", None) else [str(ref)])

    def add_many(self, code: str, field: str | None, unit: str | None, message: str, rows: int, refs: list) -> None:
        """``rows`` rows with this problem, ``refs`` the references of some of them."""
        key = (code, field, unit, message)
        entry = self._seen.get(key)
        if entry is None:
            entry = self._seen[key] = [0, []]
        entry[0] += rows
        entry[1].extend(refs[: MAX_REFS - len(entry[1])])

    def findings(self) -> list[Finding]:
        result = []
        for (code, field_key, unit, message), (rows, refs) in self._seen.items():
            suffix = f" ({rows} rows)" if rows > 1 else ""
            result.append(Finding(FATAL, code, message + suffix, None, field_key, unit, tuple(refs)))
        return result


def unit_base(spec: FileSpec, fips_code: str, agency_number: str, lea_id: str, school_id: str) -> dict[str, object]:
    """A record of one unit with every field of the layout but the record number: ids filled, the rest blank.

    Builders start each record from this, so records always carry every key
    (the writer then takes a record's values in one step).
    """
    base: dict[str, object] = dict.fromkeys(spec.keys[1:], "")
    base["fips_code"] = fips_code
    base["agency_number"] = agency_number
    if "lea_id" in base:
        base["lea_id"] = lea_id
    if "school_id" in base:
        base["school_id"] = school_id
    if spec.table_name:
        base["table_name"] = spec.table_name
    return base


def check_state_codes(fips_code: str, agency_number: str) -> None:
    """``ValueError`` unless both codes are two digits (these come from settings, not rows)."""
    for label, value in (("FIPS state code", fips_code), ("state agency number", agency_number)):
        if not (isinstance(value, str) and len(value) == 2 and value.isdigit()):
            raise ValueError(f"The {label} must be two digits, not {value!r}")


def text(value: object) -> str:
    """A row value as stripped text (``None`` is empty)."""
    return "" if value is None else str(value).strip()


def id_problem(spec: FileSpec, key: str, value: str) -> str | None:
    """Why an identifier cannot be written, or ``None``."""
    label = spec.field(key).label
    if not value:
        return f"no {label}"
    width = spec.field(key).width
    if len(value) > width:
        return f"{label} {value!r} is longer than {width} characters"
    if not (value.isascii() and value.isprintable()):
        return f"{label} {value!r} holds characters that cannot be written"
    return None


def value_problem(spec: FileSpec, key: str, value: str) -> tuple[str, str] | None:
    """Why a value cannot be written in field ``key``, as (finding code, message), or ``None``."""
    field_ = spec.field(key)
    if len(value) > field_.width:
        return "width", f"{field_.label} {value[:40]!r} is {len(value)} characters, the field holds {field_.width}"
    if value and not (value.isascii() and value.isprintable()):
        return "encoding", f"{field_.label} {value[:40]!r} holds control characters or characters outside ASCII"
    return None


def order_index(values: tuple[str, ...]) -> Mapping[str, int]:
    return {v: i for i, v in enumerate(values)}
