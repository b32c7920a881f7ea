"""Seeded synthetic choice markets for tests, demos and benchmarks.

The shape follows large public matches: program popularity is heavily
skewed (a few programs draw many times their seats, many draw few),
families favour programs in their own zone, lists run from 1 to 12 choices
with a large share using all 12, some applicants hold zone or sibling
priority, and (optionally) programs reserve seats for district residents
and staff children ahead of open seats.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from itertools import accumulate

from .types import MAX_CHOICES, Applicant, Program, SeatCategory

ZONE_PRIORITY = 1
SIBLING_PRIORITY = 2


def synthetic_market(
    n_applicants: int,
    n_programs: int,
    *,
    seed: int = 0,
    max_choices: int = MAX_CHOICES,
    seat_ratio: float = 0.9,
    popularity_skew: float = 1.0,
    full_list_share: float = 0.3,
    zone_size: int = 25,
    zone_preference: float = 3.0,
    priorities: bool = True,
    sibling_share: float = 0.08,
    set_asides: bool = False,
    resident_share: float = 0.6,
    resident_quota: float = 0.5,
    staff_child_share: float = 0.02,
) -> tuple[list[Applicant], list[Program]]:
    """Build ``n_applicants`` applications over ``n_programs`` programs.

    ``seat_ratio`` is total seats over applicants. Popularity weights are
    log-normal with sigma ``popularity_skew``; a program in the applicant's
    zone (``zone_size`` programs per zone) weighs ``zone_preference`` times
    more. With ``priorities``, ranked programs in the applicant's zone carry
    priority 1 and, for ``sibling_share`` of applicants, one ranked program
    carries sibling priority 2. With ``set_asides``, each program fills a
    staff-child category (one seat per 20), then a resident category
    (``resident_quota`` of its seats), then open seats; applicants carry the
    ``resident`` and ``staff_child`` flags at the given shares.

    Ids are strings (``A0000001``, ``P0001``); the same arguments give the
    same market.
    """
    if n_programs < 1 and n_applicants:
        raise ValueError("a market with applicants needs at least one program")
    rng = random.Random(seed)
    rnd = rng.random
    longest = min(max_choices, n_programs)

    pids = [f"P{i + 1:04d}" for i in range(n_programs)]
    popularity = [rng.lognormvariate(0.0, popularity_skew) for _ in pids]
    n_zones = max(1, -(-n_programs // zone_size))
    zone_of_program = [i * n_zones // max(n_programs, 1) for i in range(n_programs)]
    cum_by_zone = []
    for z in range(n_zones):
        weights = [w * (zone_preference if zone_of_program[i] == z else 1.0) for i, w in enumerate(popularity)]
        cum_by_zone.append(list(accumulate(weights)))

    total_seats = round(seat_ratio * n_applicants)
    shares = [0.5 + rnd() for _ in pids]
    scale = total_seats / sum(shares) if shares else 0.0
    seats = [max(1, round(s * scale)) for s in shares]

    applicants = []
    for k in range(n_applicants):
        aid = f"A{k + 1:07d}"
        zone = int(rnd() * n_zones)
        cum = cum_by_zone[zone]
        total = cum[-1]
        length = longest if rnd() < full_list_share else 1 + int(rnd() * longest)
        picked: list[int] = []
        seen: set[int] = set()
        while len(picked) < length:
            i = bisect_right(cum, rnd() * total, 0, n_programs - 1)
            if i not in seen:
                seen.add(i)
                picked.append(i)
        prios = {}
        if priorities:
            for i in picked:
                if zone_of_program[i] == zone:
                    prios[pids[i]] = ZONE_PRIORITY
            if rnd() < sibling_share:
                i = picked[int(rnd() * len(picked))]
                prios[pids[i]] = SIBLING_PRIORITY
        flags = set()
        if set_asides:
            if rnd() < resident_share:
                flags.add("resident")
            if rnd() < staff_child_share:
                flags.add("staff_child")
        applicants.append(
            Applicant(
                id=aid,
                choices=tuple(pids[i] for i in picked),
                priorities=prios,
                flags=frozenset(flags),
            )
        )

    programs = []
    for i, pid in enumerate(pids):
        if set_asides:
            staff = seats[i] // 20
            resident = int(seats[i] * resident_quota)
            categories = (
                SeatCategory("staff_child", staff, flag="staff_child"),
                SeatCategory("resident", resident, flag="resident"),
            )
            programs.append(Program(pid, categories, seats[i] - staff - resident))
        else:
            programs.append(Program(pid, (), seats[i]))
    return applicants, programs
