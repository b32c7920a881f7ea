"""Student-proposing deferred acceptance over seat categories.

Each program keeps, for every seat category with seats, a heap of the
applicants it tentatively holds there, worst on top. An applicant's place
in a program's order is one integer key, smaller served first::

    key = (priority_rank * n + lottery_position) * n + applicant

so comparisons are integer comparisons and ``key % n`` names the applicant.

A program's choice from a set of applicants fills its categories in the
configured order, each taking its eligible applicants best first. When one
applicant is added to a held set, that choice changes in at most one place
per category: the newcomer takes a seat in the first category that is
eligible for them and either has a free seat or holds someone worse; a
displaced applicant then tries the later categories the same way, and whoever
is left at the end is rejected. Every proposal therefore costs a few heap
operations, and the result is the student-optimal stable assignment for
these choice rules (they are substitutable and never choose fewer when
offered more), whatever the order in which applicants propose.
"""

from __future__ import annotations

from heapq import heappush, heapreplace

from ._gc import gc_paused
from .draw import Tiebreak
from .market import Market


class Placement:
    """Raw solver output by applicant index.

    ``program[a]`` and ``category[a]`` are indices (-1 when unplaced);
    ``proposals[a]`` is how many of their choices the applicant reached, so
    the choices before ``proposals[a] - 1`` (all of them, if unplaced)
    rejected them.
    """

    __slots__ = ("category", "program", "proposals")

    def __init__(self, program: list[int], category: list[int], proposals: list[int]) -> None:
        self.program = program
        self.category = category
        self.proposals = proposals


@gc_paused
def solve(market: Market, tiebreak: Tiebreak) -> Placement:
    """Run deferred acceptance on a compiled market with drawn lottery keys."""
    n = market.applicant_count
    nn = n * n
    choices = market.choices
    prank = market.priority_rank
    dflt = market.default_rank
    base = dflt * nn
    lot_keys = tiebreak.lot_keys
    single = market.tie_breaking == "single"

    slots: list[list[tuple]] = []
    for specs in market.categories:
        slots.append([(s.seats, s.eligible, [], c) for c, s in enumerate(specs) if s.seats > 0])

    nxt = [0] * n
    for a in range(n):
        # `a` is the applicant about to propose; a rejection hands the turn on.
        while True:
            ch = choices[a]
            ptr = nxt[a]
            if ptr == len(ch):
                break
            p = ch[ptr]
            nxt[a] = ptr + 1
            pr = prank[a]
            lk = lot_keys[a] if single else lot_keys[a][ptr]
            key = lk + (base if pr is None else pr.get(p, dflt) * nn)
            for cap, elig, heap, _ in slots[p]:
                if elig is not None and a not in elig:
                    continue
                if len(heap) < cap:
                    heappush(heap, -key)
                    break
                worst = -heap[0]
                if key < worst:
                    heapreplace(heap, -key)
                    key = worst
                    a = worst % n
            else:
                continue
            break

    program = [-1] * n
    category = [-1] * n
    for p, cats in enumerate(slots):
        for _, _, heap, c in cats:
            for k in heap:
                a = -k % n
                program[a] = p
                category[a] = c
    return Placement(program, category, nxt)
