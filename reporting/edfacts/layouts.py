"""EDFacts record layouts, loaded from ``layouts.json`` next to this module.

A :class:`FileSpec` is one file specification at one reporting level (for
example FS052 at school level): its file-type description, its ordered
fields with their widths, the table name and the category sets. Look one up
with :func:`get_spec`; the data is read once and cached.

Levels use the codes of the file naming convention: ``SEA`` (state), ``LEA``
(district) and ``SCH`` (school).

Permitted values come from :func:`permitted`. The SY 2022-23 metadata lists
only ``M`` and ``F`` for sex; later specification versions may add ``X``, so
callers opt in with ``sex_x=True`` (the Django side keeps that switch in its
report settings).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

Level = Literal["SEA", "LEA", "SCH"]
Format = Literal["txt", "csv", "tab"]

SEA: Level = "SEA"
LEA: Level = "LEA"
SCH: Level = "SCH"
LEVELS: tuple[Level, ...] = (SEA, LEA, SCH)
FORMATS: tuple[Format, ...] = ("txt", "csv", "tab")

CATEGORY_KEYS = ("grade", "race", "sex")
"""Field keys that hold categories in count files, in layout order."""

DATA_PATH = Path(__file__).with_name("layouts.json")


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a record layout.

    ``key`` is the stable name used in records (``school_id``,
    ``student_count``); ``name`` is the name in the EDFacts metadata;
    ``start`` and ``end`` are 1-based, inclusive positions in the fixed
    format. ``domain`` names the check the validator applies (``grade``,
    ``race``, ``count``, ``digits``...), or is ``None`` for free text.
    """

    key: str
    name: str
    label: str
    width: int
    start: int
    end: int
    optional: bool
    filler: bool
    domain: str | None

    @property
    def required(self) -> bool:
        """True when the field must hold a value (not optional, not filler)."""
        return not self.optional and not self.filler


@dataclass(frozen=True, slots=True)
class CategorySet:
    """A category set of a count file: which category fields it fills and its total indicator."""

    name: str
    categories: tuple[str, ...]
    total_indicator: str


@dataclass(frozen=True, slots=True)
class FileSpec:
    """One EDFacts file specification at one level.

    ``number`` is the file number without prefix (``"052"``), ``report_code``
    the code used in file identifiers (``"c052"``), ``abbreviation`` the name
    part of the file name (``"MEMBER"``) and ``table_name`` the value of the
    Table Name field, or ``None`` for files without one (FS039, FS129).
    """

    number: str
    level: Level
    file_type: str
    report_code: str
    title: str
    abbreviation: str
    table_name: str | None
    year: str
    fields: tuple[Field, ...]
    category_sets: Mapping[str, CategorySet]

    def __str__(self) -> str:
        return f"FS{self.number} {self.level} ({self.file_type})"

    @property
    def keys(self) -> tuple[str, ...]:
        """Field keys in record order."""
        return tuple(f.key for f in self.fields)

    @property
    def record_length(self) -> int:
        """Characters in a fixed-format data record, without the CR LF terminator."""
        return self.fields[-1].end

    @property
    def unit_keys(self) -> tuple[str, ...]:
        """The identifier fields that name the education unit of a record (none at SEA level)."""
        return tuple(k for k in ("lea_id", "school_id") if k in self.keys)

    @property
    def has_counts(self) -> bool:
        """True for count files (with a Student Count and category sets)."""
        return "student_count" in self.keys

    def field(self, key: str) -> Field:
        """The field with ``key``; ``KeyError`` if the layout has none."""
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(f"{self} has no field {key!r}")

    def category_set_for(self, filled: tuple[str, ...]) -> CategorySet | None:
        """The category set whose categories are exactly the ``filled`` category keys, if any."""
        for cs in self.category_sets.values():
            if cs.categories == filled:
                return cs
        return None


@dataclass(frozen=True, slots=True)
class HeaderField:
    key: str
    name: str
    label: str
    width: int
    start: int
    end: int


@cache
def _data() -> dict:
    with DATA_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)


def _normalize_number(number: str | int) -> str:
    text = str(number).upper().removeprefix("FS").removeprefix("C")
    return text.zfill(3)


@cache
def get_spec(number: str | int, level: Level) -> FileSpec:
    """The layout of file ``number`` (``"052"``, ``52``, ``"FS052"``) at ``level``.

    Raises ``KeyError`` for a file or level the data does not hold (FS129 has
    only a school level, FS039 no state level).
    """
    num = _normalize_number(number)
    files = _data()["files"]
    if num not in files:
        raise KeyError(f"No layout for FS{num}; known: {', '.join(sorted(files))}")
    entry = files[num]
    if level not in entry["levels"]:
        raise KeyError(f"FS{num} has no {level} level; known: {', '.join(entry['levels'])}")
    lvl = entry["levels"][level]
    return FileSpec(
        number=num,
        level=level,
        file_type=lvl["file_type"],
        report_code=entry["report_code"],
        title=entry["title"],
        abbreviation=entry["abbreviation"],
        table_name=entry["table_name"],
        year=entry["year"],
        fields=tuple(Field(**_field_args(f)) for f in lvl["fields"]),
        category_sets={
            name: CategorySet(name=name, categories=tuple(cs["categories"]), total_indicator=cs["total_indicator"])
            for name, cs in entry["category_sets"].items()
        },
    )


def _field_args(raw: dict) -> dict:
    return {k: raw[k] for k in ("key", "name", "label", "width", "start", "end", "optional", "filler", "domain")}


def spec_levels(number: str | int) -> tuple[Level, ...]:
    """The levels at which file ``number`` exists, state first."""
    entry = _data()["files"][_normalize_number(number)]
    return tuple(lv for lv in LEVELS if lv in entry["levels"])


def available_specs() -> tuple[tuple[str, Level], ...]:
    """Every (file number, level) pair the data holds."""
    return tuple((num, lv) for num in _data()["files"] for lv in spec_levels(num))


@cache
def header_fields() -> tuple[HeaderField, ...]:
    """The five header fields, in order (the filler after them is not a field)."""
    return tuple(HeaderField(**f) for f in _data()["header"]["fields"])


def header_length() -> int:
    """Characters taken by the five header fields (126)."""
    return header_fields()[-1].end


def file_name_rule() -> Mapping[str, object]:
    """The file naming rule: pattern, maximum length, maximum version length."""
    return _data()["file_name"]


def spec_version() -> str:
    """The specification version the layouts follow (``SY 2022-23``)."""
    return _data()["spec_version"]


@cache
def permitted(domain: str, *, sex_x: bool = False) -> tuple[str, ...]:
    """Permitted values for ``domain`` (``grade``, ``race``, ``sex``, ``yes_no``...), in reporting order.

    ``sex_x`` adds ``X`` to the sex values, for spec versions that permit it.
    """
    values = _data()["values"]
    result = tuple(values[domain])
    if domain == "sex" and sex_x:
        result += tuple(values["sex_optional"])
    return result
