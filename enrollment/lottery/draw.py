"""Lottery numbers drawn from a published seed and the input hash.

The generator is Python's ``random.Random`` (Mersenne Twister MT19937)
seeded with the integer value of::

    SHA-256("district-ops-lottery/1|" + json(seed) + "|" + input_hash)

(big-endian bytes, UTF-8 text). Only ``random()`` is used, the one method
whose output Python promises not to change across versions, in our own
Fisher-Yates shuffle: for i from n-1 down to 1, swap position i with
position ``floor(random() * (i + 1))``.

Single tie-breaking shuffles all applicants in canonical id order once;
an applicant's lottery number is their 1-based position. Multiple
tie-breaking shuffles, program by program in canonical id order, the
applicants who ranked that program (in canonical id order); the number at
a program is the 1-based position there. Lower numbers are served first.
"""

from __future__ import annotations

import hashlib
import json
import random

from ._gc import gc_paused
from .market import FORMAT, Market
from .types import Id


def check_seed(seed: object) -> None:
    """Refuse a seed that is not an int or a non-empty str."""
    if not (type(seed) is int or (type(seed) is str and seed)):
        raise ValueError(f"seed must be an int or a non-empty str, got {seed!r}")


def make_rng(seed: int | str, input_hash: str) -> random.Random:
    """The generator for a run with this seed and input hash."""
    check_seed(seed)
    material = f"{FORMAT}|{json.dumps(seed)}|{input_hash}".encode()
    return random.Random(int.from_bytes(hashlib.sha256(material).digest(), "big"))


def shuffle(items: list, rng: random.Random) -> None:
    """Fisher-Yates shuffle in place using only ``rng.random()``."""
    rnd = rng.random
    for i in range(len(items) - 1, 0, -1):
        j = int(rnd() * (i + 1))
        items[i], items[j] = items[j], items[i]


class Tiebreak:
    """Lottery positions (0 = served first) in the form the solver reads.

    ``lot_keys`` is, for single tie-breaking, a list by applicant of
    ``position * n + applicant``; for multiple tie-breaking, a list by
    applicant of such keys aligned with that applicant's choices. Adding
    ``priority_rank * n * n`` gives a program's strict order of applicants,
    and ``key % n`` recovers the applicant.

    ``numbers`` holds the published numbers by applicant id.
    """

    __slots__ = ("lot_keys", "numbers")

    def __init__(self, lot_keys: list, numbers: dict[Id, object]) -> None:
        self.lot_keys = lot_keys
        self.numbers = numbers


@gc_paused
def draw(market: Market, seed: int | str) -> Tiebreak:
    """Lottery positions for the market: preassigned ones ranked, or drawn."""
    n = market.applicant_count
    ids = market.applicant_ids
    if market.tie_breaking == "single":
        if market.preassigned is None:
            order = list(range(n))
            shuffle(order, make_rng(seed, market.input_hash))
        else:
            order = sorted(range(n), key=market.preassigned.__getitem__)
        position = [0] * n
        for pos, a in enumerate(order):
            position[a] = pos
        lot_keys = [pos * n + a for a, pos in enumerate(position)]
        if market.preassigned is None:
            numbers = {aid: pos + 1 for aid, pos in zip(ids, position)}
        else:
            numbers = dict(zip(ids, market.preassigned))
        return Tiebreak(lot_keys, numbers)

    choices = market.choices
    # One int per (applicant, choice index): applicant << shift | index.
    shift = max((len(ch) for ch in choices), default=1).bit_length()
    mask = (1 << shift) - 1
    members: list[list[int]] = [[] for _ in range(market.program_count)]
    for a, ch in enumerate(choices):
        for ptr, p in enumerate(ch):
            members[p].append(a << shift | ptr)
    if market.preassigned is None:
        rng = make_rng(seed, market.input_hash)
        for group in members:
            shuffle(group, rng)
    else:
        given = market.preassigned
        for p, group in enumerate(members):
            group.sort(key=lambda m: given[m >> shift][p])
    lot_keys = [[0] * len(ch) for ch in choices]
    for group in members:
        for pos, m in enumerate(group):
            a = m >> shift
            lot_keys[a][m & mask] = pos * n + a
    pids = market.program_ids
    if market.preassigned is None:
        numbers = {ids[a]: {pids[p]: k // n + 1 for p, k in zip(ch, lot_keys[a])} for a, ch in enumerate(choices)}
    else:
        numbers = {ids[a]: {pids[p]: market.preassigned[a][p] for p in ch} for a, ch in enumerate(choices)}
    return Tiebreak(lot_keys, numbers)
