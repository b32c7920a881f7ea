"""Validate lottery inputs, index them and hash their canonical form.

:func:`compile_market` turns applicants and programs into a
:class:`Market`: plain lists indexed by position, in a canonical order that
does not depend on the order the caller passed them in. It raises
``ValueError`` with a message naming the applicant or program at fault.

The input hash is the SHA-256 of a canonical JSON serialization (see
:func:`canonical_json`): records sorted by id, keys and separators fixed,
ASCII only. Two inputs that differ in anything that can change the result
hash differently; listing the same records in another order does not.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ._gc import gc_paused
from .types import MAX_CHOICES, OPEN, Applicant, Id, Program, TieBreaking

FORMAT = "district-ops-lottery/1"
"""Version tag hashed with the inputs; bump it if the serialization changes."""


def id_key(value: Id) -> tuple[int, int | str]:
    """Sort key putting int ids before str ids, each in natural order."""
    return (0, value) if type(value) is int else (1, value)


def _check_id(value: object, what: str) -> None:
    if type(value) is not int and type(value) is not str:
        raise ValueError(f"{what} id {value!r} must be a str or an int")


def _is_number(value: object) -> bool:
    return (type(value) is int or type(value) is float) and math.isfinite(value)


@dataclass(frozen=True, slots=True)
class CategorySpec:
    """A compiled seat category: name, seats and eligible applicant indices.

    ``eligible`` is ``None`` when everyone is eligible.
    """

    name: str
    seats: int
    eligible: frozenset[int] | None


@dataclass(frozen=True, slots=True)
class Market:
    """Validated inputs as index-based lists, ready for the draw and the solver.

    Applicants and programs are numbered in canonical id order.
    ``choices[a]`` holds program indices; ``priority_rank[a]`` is ``None`` or
    maps a program index to ``top_priority - priority`` (0 is served first);
    applicants without an entry get ``default_rank``. ``categories[p]`` is
    the program's fill order, open seats last. ``preassigned[a]`` is the
    applicant's given lottery number (or per-program mapping by index), or
    the whole field is ``None`` when numbers are to be drawn.
    """

    applicant_ids: list[Id]
    program_ids: list[Id]
    choices: list[list[int]]
    priority_rank: list[dict[int, int] | None]
    default_rank: int
    categories: list[list[CategorySpec]]
    tie_breaking: TieBreaking
    preassigned: list | None
    input_hash: str

    @property
    def applicant_count(self) -> int:
        return len(self.applicant_ids)

    @property
    def program_count(self) -> int:
        return len(self.program_ids)


def _program_record(program: Program) -> list:
    cats = []
    for c in program.categories:
        cats.append(
            [
                c.name,
                c.seats,
                sorted(c.eligible_ids, key=id_key),
                c.flag,
                bool(c.open_to_all),
            ]
        )
    return [program.id, cats, program.open_seats]


def _validate_program(program: Program) -> None:
    if not isinstance(program, Program):
        raise ValueError(f"expected a Program, got {type(program).__name__}")
    _check_id(program.id, "program")
    pid = program.id
    if type(program.open_seats) is not int:
        raise ValueError(f"program {pid!r} open seats must be an int, got {program.open_seats!r}")
    if program.open_seats < 0:
        raise ValueError(f"program {pid!r} has negative open seats ({program.open_seats})")
    names = set()
    for c in program.categories:
        if not isinstance(c.name, str) or not c.name:
            raise ValueError(f"program {pid!r} has a seat category without a name")
        if c.name in names or (c.name == OPEN and program.open_seats):
            raise ValueError(f"program {pid!r} names seat category {c.name!r} more than once")
        names.add(c.name)
        if type(c.seats) is not int:
            raise ValueError(f"program {pid!r} category {c.name!r} seats must be an int, got {c.seats!r}")
        if c.seats < 0:
            raise ValueError(f"program {pid!r} category {c.name!r} has negative seats ({c.seats})")
        if not (c.eligible_ids or c.flag or c.open_to_all):
            raise ValueError(
                f"program {pid!r} category {c.name!r} says nobody is eligible: give eligible_ids, a flag or open_to_all"
            )
        if c.flag is not None and not isinstance(c.flag, str):
            raise ValueError(f"program {pid!r} category {c.name!r} flag must be a str")
        for aid in c.eligible_ids:
            _check_id(aid, f"program {pid!r} category {c.name!r} eligible applicant")


@gc_paused
def compile_market(
    applicants: Iterable[Applicant],
    programs: Iterable[Program],
    *,
    tie_breaking: TieBreaking = "single",
    max_choices: int = MAX_CHOICES,
) -> Market:
    """Validate the inputs and build the indexed :class:`Market`.

    Raises ``ValueError`` for: an id that is not str or int, a duplicate
    applicant or program id, an application naming a program twice or an
    unknown program or more than ``max_choices`` programs, a priority for a
    program the applicant did not rank or that is not an int, a negative or
    non-int seat count, a category nobody can be eligible for, lottery numbers
    given for some applicants but not all, repeated, or not covering the
    ranked programs under multiple tie-breaking.
    """
    if tie_breaking not in ("single", "multiple"):
        raise ValueError(f"tie_breaking must be 'single' or 'multiple', got {tie_breaking!r}")
    multiple = tie_breaking == "multiple"

    programs = list(programs)
    for program in programs:
        _validate_program(program)
    programs.sort(key=lambda p: id_key(p.id))
    program_ids = [p.id for p in programs]
    prog_index: dict[Id, int] = {}
    for i, pid in enumerate(program_ids):
        if pid in prog_index:
            raise ValueError(f"program {pid!r} appears more than once")
        prog_index[pid] = i

    applicants = list(applicants)
    for a in applicants:
        if not isinstance(a, Applicant):
            raise ValueError(f"expected an Applicant, got {type(a).__name__}")
        _check_id(a.id, "applicant")
    applicants.sort(key=lambda a: id_key(a.id))
    applicant_ids = [a.id for a in applicants]
    app_index: dict[Id, int] = {aid: i for i, aid in enumerate(applicant_ids)}
    if len(app_index) != len(applicant_ids):
        seen: set[Id] = set()
        for aid in applicant_ids:
            if aid in seen:
                raise ValueError(f"applicant {aid!r} appears more than once")
            seen.add(aid)

    given = sum(a.lottery is not None for a in applicants)
    if given and given != len(applicants):
        missing = next(a.id for a in applicants if a.lottery is None)
        raise ValueError(
            f"lottery numbers are preassigned for {given} of {len(applicants)} applicants "
            f"(applicant {missing!r} has none): give them for every applicant or for none"
        )

    choices: list[list[int]] = []
    priority_rank: list[dict[int, int] | None] = []
    raw_priorities: list[dict[int, int] | None] = []
    preassigned: list | None = [] if given else None
    app_records = []
    top = 0
    get_prog = prog_index.get
    for a in applicants:
        aid = a.id
        ch = a.choices
        if (
            type(ch) is not tuple
            and type(ch) is not list
            and (isinstance(ch, (str, bytes)) or not isinstance(ch, Sequence))
        ):
            raise ValueError(f"applicant {aid!r} choices must be a list or tuple of program ids")
        if len(ch) > max_choices:
            raise ValueError(f"applicant {aid!r} ranks {len(ch)} programs; at most {max_choices} are allowed")
        idx = [get_prog(c, -1) for c in ch]
        if -1 in idx:
            bad = ch[idx.index(-1)]
            raise ValueError(f"applicant {aid!r} names unknown program {bad!r}")
        if len(set(idx)) != len(idx):
            seen_p: set[int] = set()
            for c, i in zip(ch, idx):
                if i in seen_p:
                    raise ValueError(f"applicant {aid!r} names program {c!r} more than once")
                seen_p.add(i)
        choices.append(idx)

        prios = a.priorities
        prio_items: list = []
        if prios:
            ranked = set(idx)
            by_index: dict[int, int] = {}
            for pid, value in prios.items():
                i = get_prog(pid, -1)
                if i < 0 or i not in ranked:
                    raise ValueError(f"applicant {aid!r} has a priority at program {pid!r}, which they did not rank")
                if type(value) is not int:
                    raise ValueError(f"applicant {aid!r} priority at program {pid!r} must be an int, got {value!r}")
                if value:
                    by_index[i] = value
                    if value > top:
                        top = value
            prio_items = sorted(([program_ids[i], v] for i, v in by_index.items()), key=lambda kv: id_key(kv[0]))
            raw_priorities.append(by_index or None)
        else:
            raw_priorities.append(None)

        lot = a.lottery
        lot_record = None
        if preassigned is not None:
            if multiple:
                if not isinstance(lot, Mapping):
                    raise ValueError(
                        f"applicant {aid!r}: multiple tie-breaking needs a lottery number "
                        "per ranked program (a mapping)"
                    )
                per: dict[int, float] = {}
                for pid, value in lot.items():
                    i = get_prog(pid, -1)
                    if i < 0 or i not in idx:
                        raise ValueError(
                            f"applicant {aid!r} has a lottery number at program {pid!r}, which they did not rank"
                        )
                    if not _is_number(value):
                        raise ValueError(
                            f"applicant {aid!r} lottery number at program {pid!r} "
                            f"must be a finite number, got {value!r}"
                        )
                    per[i] = value
                if len(per) != len(idx):
                    lacking = next(ch[k] for k, i in enumerate(idx) if i not in per)
                    raise ValueError(f"applicant {aid!r} has no lottery number at ranked program {lacking!r}")
                preassigned.append(per)
                lot_record = sorted(([program_ids[i], v] for i, v in per.items()), key=lambda kv: id_key(kv[0]))
            else:
                if not _is_number(lot):
                    raise ValueError(
                        f"applicant {aid!r}: single tie-breaking needs one finite lottery number, got {lot!r}"
                    )
                preassigned.append(lot)
                lot_record = lot

        flags = a.flags
        if flags:
            if isinstance(flags, str) or any(not isinstance(f, str) for f in flags):
                raise ValueError(f"applicant {aid!r} flags must be a set of str")
            flags = sorted(flags)
        else:
            flags = []
        app_records.append([aid, list(ch), prio_items, flags, lot_record])

    for a_prios in raw_priorities:
        if a_prios is None:
            priority_rank.append(None)
        else:
            priority_rank.append({i: top - v for i, v in a_prios.items()})

    if preassigned is not None:
        _check_unique_lottery(preassigned, applicant_ids, program_ids, multiple)

    flag_members: dict[str, frozenset[int]] = {}

    def members(flag: str) -> frozenset[int]:
        got = flag_members.get(flag)
        if got is None:
            got = frozenset(i for i, a in enumerate(applicants) if flag in a.flags)
            flag_members[flag] = got
        return got

    categories: list[list[CategorySpec]] = []
    for program in programs:
        specs = []
        for c in program.categories:
            if c.open_to_all:
                eligible = None
            elif not c.eligible_ids:
                eligible = members(c.flag)
            else:
                eligible = frozenset(app_index[x] for x in c.eligible_ids if x in app_index)
                if c.flag is not None:
                    eligible |= members(c.flag)
            specs.append(CategorySpec(c.name, c.seats, eligible))
        if program.open_seats or not program.categories:
            specs.append(CategorySpec(OPEN, program.open_seats, None))
        categories.append(specs)

    document = {
        "format": FORMAT,
        "tie_breaking": tie_breaking,
        "programs": [_program_record(p) for p in programs],
        "applicants": app_records,
    }
    digest = hashlib.sha256(canonical_json(document)).hexdigest()

    return Market(
        applicant_ids=applicant_ids,
        program_ids=program_ids,
        choices=choices,
        priority_rank=priority_rank,
        default_rank=top,
        categories=categories,
        tie_breaking=tie_breaking,
        preassigned=preassigned,
        input_hash=digest,
    )


def _check_unique_lottery(preassigned: list, applicant_ids: list[Id], program_ids: list[Id], multiple: bool) -> None:
    if not multiple:
        seen: dict[float, Id] = {}
        for aid, value in zip(applicant_ids, preassigned):
            other = seen.setdefault(value, aid)
            if other != aid:
                raise ValueError(
                    f"applicants {other!r} and {aid!r} share lottery number {value!r}; lottery numbers must be distinct"
                )
        return
    seen_at: dict[tuple[int, float], Id] = {}
    for aid, per in zip(applicant_ids, preassigned):
        for i, value in per.items():
            other = seen_at.setdefault((i, value), aid)
            if other != aid:
                raise ValueError(
                    f"applicants {other!r} and {aid!r} share lottery number {value!r} "
                    f"at program {program_ids[i]!r}; lottery numbers must be distinct per program"
                )


def canonical_json(document: object) -> bytes:
    """Serialize ``document`` the one way the input hash is defined on.

    JSON with sorted object keys, no whitespace, ASCII escapes, and no NaN or
    infinity; records inside are already sorted by id.
    """
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode(
        "ascii"
    )


def input_hash(
    applicants: Iterable[Applicant],
    programs: Iterable[Program],
    *,
    tie_breaking: TieBreaking = "single",
    max_choices: int = MAX_CHOICES,
) -> str:
    """SHA-256 hex digest of the canonical inputs (validating them on the way)."""
    return compile_market(applicants, programs, tie_breaking=tie_breaking, max_choices=max_choices).input_hash
