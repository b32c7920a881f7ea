"""Independent reference computations used by the tests."""

from __future__ import annotations

from enrollment.lottery import LotteryResult, choose
from enrollment.lottery.checks import order_key


def naive_deferred_acceptance(applicants, programs, result: LotteryResult):
    """Round-by-round deferred acceptance recomputing each choice from scratch.

    Uses the published lottery numbers of ``result`` and the simple
    :func:`choose`; returns applicant id -> (program id, category) or None.
    """
    programs = {p.id: p for p in programs}
    by_id = {a.id: a for a in applicants}
    held = {pid: {} for pid in programs}
    where = {}
    nxt = {a.id: 0 for a in applicants}
    free = [a.id for a in applicants]
    while free:
        offers: dict = {}
        for aid in free:
            a = by_id[aid]
            if nxt[aid] < len(a.choices):
                offers.setdefault(a.choices[nxt[aid]], []).append(a)
                nxt[aid] += 1
        if not offers:
            break
        free = []
        for pid, newcomers in offers.items():
            pool = [by_id[x] for x in held[pid]] + newcomers
            chosen = choose(programs[pid], pool, result)
            for a in pool:
                if a.id in chosen:
                    where[a.id] = pid
                else:
                    where.pop(a.id, None)
                    free.append(a.id)
            held[pid] = chosen
        free = [aid for aid in free if nxt[aid] < len(by_id[aid].choices)]
    return {a.id: ((where[a.id], held[where[a.id]][a.id]) if a.id in where else None) for a in applicants}


def classical_blocking_pairs(applicants, programs, result: LotteryResult):
    """Blocking pairs by the textbook definition, for one open category per program.

    (a, p) blocks when a ranks p above their placement (or is unplaced) and p
    has a free seat or holds someone it ranks below a.
    """
    seats = {p.id: p.seats for p in programs}
    by_id = {a.id: a for a in applicants}
    holders: dict = {pid: [] for pid in seats}
    for aid, x in result.assignments.items():
        if x is not None:
            holders[x.program].append(by_id[aid])
    pairs = []
    for a in applicants:
        x = result.assignments[a.id]
        better = a.choices if x is None else a.choices[: x.rank - 1]
        for pid in better:
            mine = order_key(result, a, pid)
            if len(holders[pid]) < seats[pid] or any(order_key(result, h, pid) > mine for h in holders[pid]):
                pairs.append((a.id, pid))
    return pairs
