"""Cross-check against the ``matching`` package (a development dependency).

``matching``'s hospital-resident game needs strict, complete rankings on
the program side, so the adapter applies priorities and the run's published
lottery numbers first: each program ranks the applicants who ranked it by
higher priority, then lower lottery number. It applies to programs with a
single seat category; applicants not eligible for it are left out of both
sides, which is what the lottery does with them. Programs without seats
and applicants left with no choices are left out too (the package refuses
them), and count as unplaced.

``matching`` is imported only when a game is built, so this module loads
without it.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from typing import TypeVar

from .checks import _eligible, _fill_order, order_key
from .types import Applicant, Id, LotteryResult, Program

T = TypeVar("T")


def matching_inputs(
    applicants: Iterable[Applicant], programs: Iterable[Program], result: LotteryResult
) -> tuple[dict[Id, list[Id]], dict[Id, list[Id]], dict[Id, int]]:
    """Resident preferences, hospital preferences and capacities for ``matching``."""
    applicants = list(applicants)
    single: dict[Id, object] = {}
    for program in programs:
        live = [c for c in _fill_order(program) if c.seats > 0]
        if len(live) > 1:
            raise ValueError(f"program {program.id!r} has {len(live)} seat categories; the reference applies to one")
        if live:
            single[program.id] = live[0]
    residents: dict[Id, list[Id]] = {}
    ranked_by: dict[Id, list[Applicant]] = {pid: [] for pid in single}
    for a in applicants:
        prefs = [pid for pid in a.choices if pid in single and _eligible(single[pid], a)]
        if prefs:
            residents[a.id] = prefs
            for pid in prefs:
                ranked_by[pid].append(a)
    hospitals: dict[Id, list[Id]] = {}
    capacities: dict[Id, int] = {}
    for pid, group in ranked_by.items():
        if group:
            group.sort(key=lambda a: order_key(result, a, pid))
            hospitals[pid] = [a.id for a in group]
            capacities[pid] = single[pid].seats
    return residents, hospitals, capacities


def build_game(residents: dict[Id, list[Id]], hospitals: dict[Id, list[Id]], capacities: dict[Id, int]):
    """The ``matching`` HospitalResident game (its input checks included)."""
    from matching.games import HospitalResident

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return HospitalResident.create_from_dictionaries(residents, hospitals, capacities)


def solve_game(game) -> dict[Id, Id]:
    """Solve the game applicant-optimally; applicant id -> program id for those placed."""
    matching = game.solve(optimal="resident")
    return {r.name: h.name for h, rs in matching.items() for r in rs}


def with_deep_stack(func: Callable[[], T], *, stack_mb: int = 512, recursion_limit: int = 1_000_000) -> T:
    """Call ``func`` in a thread with a large stack and recursion limit.

    ``matching`` deep-copies its players, and the copy recurses through
    every preference list; at about 10,000 applicants that overflows the
    default limits.
    """
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = func()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = exc

    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size()
    sys.setrecursionlimit(max(old_limit, recursion_limit))
    threading.stack_size(stack_mb * 1024 * 1024)
    try:
        worker = threading.Thread(target=target, name="matching-reference")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def reference_assignment(
    applicants: Iterable[Applicant], programs: Iterable[Program], result: LotteryResult
) -> dict[Id, Id | None]:
    """``matching``'s applicant-optimal assignment: every applicant id -> program id or None."""
    applicants = list(applicants)
    residents, hospitals, capacities = matching_inputs(applicants, programs, result)
    placed: dict[Id, Id] = {}
    if residents:
        placed = solve_game(build_game(residents, hospitals, capacities))
    return {a.id: placed.get(a.id) for a in applicants}
