"""Independent, deliberately simple checks of a lottery result.

These re-derive each program's choice from the published inputs and
lottery numbers, with no shared code with the solver, so tests and audits
can confirm a result: :func:`category_violations` (seats and eligibility)
and :func:`blocking_pairs` (stability). They are quadratic; use them on
test-sized markets or offline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .types import OPEN, Applicant, Id, LotteryResult, Program


def _eligible(category, applicant: Applicant) -> bool:
    return (
        category.open_to_all
        or applicant.id in category.eligible_ids
        or (category.flag is not None and category.flag in applicant.flags)
    )


def _fill_order(program: Program) -> list:
    order = list(program.categories)
    if program.open_seats or not program.categories:
        order.append(_Open(program.open_seats))
    return order


class _Open:
    name = OPEN
    open_to_all = True
    eligible_ids: frozenset = frozenset()
    flag = None

    def __init__(self, seats: int) -> None:
        self.seats = seats


def order_key(result: LotteryResult, applicant: Applicant, program_id: Id) -> tuple:
    """A program's ranking of an applicant: higher priority, then lower lottery number."""
    number = result.lottery_numbers[applicant.id]
    if isinstance(number, Mapping):
        number = number[program_id]
    return (-applicant.priorities.get(program_id, 0), number)


def choose(
    program: Program,
    candidates: Iterable[Applicant],
    result: LotteryResult,
) -> dict[Id, str]:
    """The program's choice from ``candidates``: applicant id -> category name.

    Categories are filled in order; each takes its eligible candidates not
    yet chosen, best first, up to its seats.
    """
    ranked = sorted(candidates, key=lambda a: order_key(result, a, program.id))
    chosen: dict[Id, str] = {}
    for category in _fill_order(program):
        room = category.seats
        for a in ranked:
            if room == 0:
                break
            if a.id not in chosen and _eligible(category, a):
                chosen[a.id] = category.name
                room -= 1
    return chosen


def _held(result: LotteryResult, by_id: Mapping[Id, Applicant]) -> dict[Id, list[Applicant]]:
    held: dict[Id, list[Applicant]] = {}
    for aid, x in result.assignments.items():
        if x is not None:
            held.setdefault(x.program, []).append(by_id[aid])
    return held


def category_violations(
    applicants: Iterable[Applicant], programs: Iterable[Program], result: LotteryResult
) -> list[str]:
    """Everything wrong with the placements as such (empty when all is well).

    Checks that every placement is at a ranked program with the right rank,
    that no program or category holds more than its seats, that everyone
    holds a seat in a category they are eligible for, and that each program's
    own choice from the applicants it holds keeps all of them in the same
    categories.
    """
    by_id = {a.id: a for a in applicants}
    programs = {p.id: p for p in programs}
    problems: list[str] = []
    for aid, x in result.assignments.items():
        if x is None:
            continue
        a = by_id[aid]
        if x.program not in a.choices:
            problems.append(f"{aid!r} placed at unranked program {x.program!r}")
        elif a.choices.index(x.program) + 1 != x.rank:
            problems.append(f"{aid!r} placed at {x.program!r} with wrong rank {x.rank}")
    for pid, held in _held(result, by_id).items():
        program = programs[pid]
        if len(held) > program.seats:
            problems.append(f"program {pid!r} holds {len(held)} for {program.seats} seats")
        for category in _fill_order(program):
            inside = [a for a in held if result.assignments[a.id].category == category.name]
            if len(inside) > category.seats:
                problems.append(
                    f"program {pid!r} category {category.name!r} holds {len(inside)} for {category.seats} seats"
                )
            for a in inside:
                if not _eligible(category, a):
                    problems.append(f"{a.id!r} not eligible for {pid!r} {category.name!r}")
        mine = {a.id: result.assignments[a.id].category for a in held}
        if choose(program, held, result) != mine:
            problems.append(f"program {pid!r} would not choose the set it holds")
    return problems


def blocking_pairs(
    applicants: Iterable[Applicant], programs: Iterable[Program], result: LotteryResult
) -> list[tuple[Id, Id]]:
    """Applicant-program pairs that would both rather be matched to each other.

    The applicant ranks the program above their placement (or is unplaced),
    and the program, offered its current holders plus the applicant, would
    choose the applicant. With one open category this is the classical
    definition: the program has a free seat or holds someone it ranks lower.
    """
    applicants = list(applicants)
    by_id = {a.id: a for a in applicants}
    programs = {p.id: p for p in programs}
    held = _held(result, by_id)
    pairs = []
    for a in applicants:
        x = result.assignments[a.id]
        better = a.choices if x is None else a.choices[: x.rank - 1]
        for pid in better:
            if a.id in choose(programs[pid], [*held.get(pid, []), a], result):
                pairs.append((a.id, pid))
    return pairs
