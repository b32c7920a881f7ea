"""Run a lottery end to end and report it: :func:`run_lottery`."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from ._gc import gc_paused
from .draw import Tiebreak, check_seed, draw
from .engine import Placement, solve
from .market import Market, compile_market
from .types import (
    MAX_CHOICES,
    Applicant,
    Assignment,
    Id,
    LotteryResult,
    Program,
    ProgramSummary,
    Summary,
    TieBreaking,
)


@gc_paused
def run_lottery(
    applicants: Iterable[Applicant],
    programs: Iterable[Program],
    *,
    seed: int | str,
    tie_breaking: TieBreaking = "single",
    max_choices: int = MAX_CHOICES,
) -> LotteryResult:
    """Validate, hash, draw lottery numbers from ``seed`` and assign seats.

    The same inputs (in any order) and seed always give the same result.
    Raises ``ValueError`` on invalid input (see :func:`compile_market`).
    """
    check_seed(seed)
    market = compile_market(applicants, programs, tie_breaking=tie_breaking, max_choices=max_choices)
    tiebreak = draw(market, seed)
    placement = solve(market, tiebreak)
    return build_result(market, tiebreak, placement, seed)


@gc_paused
def build_result(market: Market, tiebreak: Tiebreak, placement: Placement, seed: int | str) -> LotteryResult:
    """Turn solver output into a :class:`LotteryResult` keyed by ids."""
    ids = market.applicant_ids
    pids = market.program_ids
    cats = market.categories
    choices = market.choices
    program, category, proposals = placement.program, placement.category, placement.proposals
    n = len(ids)
    nn = n * n
    prank = market.priority_rank
    dflt = market.default_rank
    lot_keys = tiebreak.lot_keys
    single = market.tie_breaking == "single"

    assignments: dict[Id, Assignment | None] = {}
    waiting: list[list[int]] = [[] for _ in pids]
    for a, aid in enumerate(ids):
        p = program[a]
        reached = proposals[a]
        if p < 0:
            assignments[aid] = None
            above = reached
        else:
            assignments[aid] = Assignment(pids[p], cats[p][category[a]].name, reached)
            above = reached - 1
        if not above:
            continue
        ch = choices[a]
        pr = prank[a]
        for ptr in range(above):
            p = ch[ptr]
            rank = dflt if pr is None else pr.get(p, dflt)
            lk = lot_keys[a] if single else lot_keys[a][ptr]
            # The solver's key at this program: its strict order, and key % n is `a`.
            waiting[p].append(rank * nn + lk)

    waitlists: dict[Id, tuple[Id, ...]] = {}
    for p, entries in enumerate(waiting):
        entries.sort()
        waitlists[pids[p]] = tuple([ids[k % n] for k in entries])

    applicants_at = [0] * len(pids)
    first_at = [0] * len(pids)
    for ch in choices:
        for p in ch:
            applicants_at[p] += 1
        if ch:
            first_at[ch[0]] += 1
    filled = [[0] * len(c) for c in cats]
    for a, p in enumerate(program):
        if p >= 0:
            filled[p][category[a]] += 1
    programs: dict[Id, ProgramSummary] = {}
    for p, pid in enumerate(pids):
        seats = sum(s.seats for s in cats[p])
        taken = sum(filled[p])
        programs[pid] = ProgramSummary(
            program=pid,
            seats=seats,
            filled=taken,
            seats_left=seats - taken,
            filled_by_category={s.name: filled[p][c] for c, s in enumerate(cats[p])},
            seats_left_by_category={s.name: s.seats - filled[p][c] for c, s in enumerate(cats[p])},
            applicants=applicants_at[p],
            first_choice_applicants=first_at[p],
            waitlisted=len(waitlists[pid]),
        )

    return LotteryResult(
        seed=seed,
        input_hash=market.input_hash,
        tie_breaking=market.tie_breaking,
        lottery_numbers=tiebreak.numbers,
        assignments=assignments,
        waitlists=waitlists,
        summary=summarize(assignments),
        programs=programs,
    )


def summarize(assignments: dict[Id, Assignment | None], applicant_ids: Collection[Id] | None = None) -> Summary:
    """Match, first-choice and top-3 figures over ``applicant_ids`` (default: all).

    Use it for a student group: pass the ids of the group's applicants.
    """
    if applicant_ids is None:
        placed = list(assignments.values())
    else:
        placed = [assignments[aid] for aid in applicant_ids]
    total = len(placed)
    matched = first = top3 = 0
    for x in placed:
        if x is not None:
            matched += 1
            if x.rank == 1:
                first += 1
            if x.rank <= 3:
                top3 += 1

    def rate(k: int) -> float:
        return k / total if total else 0.0

    return Summary(
        applicants=total,
        matched=matched,
        unmatched=total - matched,
        first_choice=first,
        top3=top3,
        match_rate=rate(matched),
        first_choice_rate=rate(first),
        top3_rate=rate(top3),
    )
