"""Plain data types for the school-choice lottery.

Inputs (:class:`Applicant`, :class:`SeatCategory`, :class:`Program`) are
frozen dataclasses holding plain values, so the Django side can build them
from querysets and tests can build them by hand. Outputs
(:class:`Assignment`, :class:`Summary`, :class:`LotteryResult`) are frozen
too: a result is a record of a run, never edited.

Identifiers (applicant ids, program ids) are ``str`` or ``int``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Id = str | int
"""An applicant or program identifier."""

LotteryValue = int | float
"""A preassigned lottery number; lower numbers are served first."""

TieBreaking = Literal["single", "multiple"]

MAX_CHOICES = 12
"""Longest ranked list an application may carry (the regional rule)."""

OPEN = "open"
"""Name of the open-seat category that :attr:`Program.open_seats` adds last."""


@dataclass(frozen=True, slots=True)
class Applicant:
    """One application: ranked programs, priorities and optional lottery number.

    ``choices`` lists program ids, most wanted first, at most
    :data:`MAX_CHOICES` of them and each at most once.

    ``priorities`` maps a ranked program id to an integer priority at that
    program; a higher value is served first (e.g. sibling 2, zone 1) and a
    program not in the mapping gives priority 0.

    ``flags`` are attributes that seat categories can test (``"resident"``,
    ``"staff_child"``).

    ``lottery`` is a preassigned lottery number (lower is served first) for
    single tie-breaking, or a mapping of ranked program id to number for
    multiple tie-breaking. Leave it ``None`` to have the run draw numbers from
    its seed; a run takes either preassigned numbers for every applicant or
    for none.
    """

    id: Id
    choices: tuple[Id, ...]
    priorities: Mapping[Id, int] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()
    lottery: LotteryValue | Mapping[Id, LotteryValue] | None = None


@dataclass(frozen=True, slots=True)
class SeatCategory:
    """A block of seats at a program set aside for some applicants.

    An applicant is eligible when their id is in ``eligible_ids`` or they
    carry ``flag``; ``open_to_all`` makes the category take anyone (to place
    open seats somewhere other than last in the fill order). Within the
    category applicants are served by priority, then lottery number.
    """

    name: str
    seats: int
    eligible_ids: frozenset[Id] = frozenset()
    flag: str | None = None
    open_to_all: bool = False


@dataclass(frozen=True, slots=True)
class Program:
    """A choice program (school x grade x year) and its seats.

    ``categories`` are filled in the order given, then ``open_seats`` as a
    final category named :data:`OPEN` that any applicant is eligible for.
    """

    id: Id
    categories: tuple[SeatCategory, ...] = ()
    open_seats: int = 0

    @property
    def seats(self) -> int:
        """Total seats: every category plus the open seats."""
        return self.open_seats + sum(c.seats for c in self.categories)


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where an applicant was placed: program, seat category, choice rank (1 = first)."""

    program: Id
    category: str
    rank: int


@dataclass(frozen=True, slots=True)
class Summary:
    """Headline figures of a run, over all applicants or a group of them.

    Rates are fractions of the applicants counted (0.0 when there are none).
    """

    applicants: int
    matched: int
    unmatched: int
    first_choice: int
    top3: int
    match_rate: float
    first_choice_rate: float
    top3_rate: float


@dataclass(frozen=True, slots=True)
class ProgramSummary:
    """Seats, placements and demand at one program."""

    program: Id
    seats: int
    filled: int
    seats_left: int
    filled_by_category: Mapping[str, int]
    seats_left_by_category: Mapping[str, int]
    applicants: int
    first_choice_applicants: int
    waitlisted: int


@dataclass(frozen=True, slots=True)
class LotteryResult:
    """The outcome of one run, with everything needed to reproduce it.

    ``lottery_numbers`` maps applicant id to their number (single
    tie-breaking) or to a mapping of program id to number (multiple).
    ``assignments`` maps every applicant id to an :class:`Assignment` or
    ``None``. ``waitlists`` maps every program id to the applicants who
    ranked it above their placement (or were not placed), best first.
    """

    seed: int | str
    input_hash: str
    tie_breaking: TieBreaking
    lottery_numbers: Mapping[Id, LotteryValue | Mapping[Id, LotteryValue]]
    assignments: Mapping[Id, Assignment | None]
    waitlists: Mapping[Id, tuple[Id, ...]]
    summary: Summary
    programs: Mapping[Id, ProgramSummary]

    @property
    def seats_left(self) -> dict[Id, int]:
        """Unfilled seats per program id."""
        return {pid: ps.seats_left for pid, ps in self.programs.items()}
