"""Worked examples, the published reproduction procedure, and the input hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random

import pytest

from enrollment.lottery import (
    OPEN,
    Applicant,
    Assignment,
    Program,
    SeatCategory,
    input_hash,
    run_lottery,
    synthetic_market,
)


def placed(result):
    return {aid: (x and (x.program, x.category)) for aid, x in result.assignments.items()}


# Three applicants for one program with one resident seat and one open seat.
# R1 (resident) holds the best lottery number, then N (not resident), then R2.
RESIDENTS = [
    Applicant("R1", ("X",), flags=frozenset({"resident"}), lottery=1),
    Applicant("N", ("X",), lottery=2),
    Applicant("R2", ("X",), flags=frozenset({"resident"}), lottery=3),
]


def test_reserved_seats_first_then_open():
    x = Program("X", (SeatCategory("resident", 1, flag="resident"),), open_seats=1)
    result = run_lottery(RESIDENTS, [x], seed=0)
    assert placed(result) == {"R1": ("X", "resident"), "N": ("X", OPEN), "R2": None}
    assert result.waitlists == {"X": ("R2",)}


def test_open_seats_first_then_reserved_favours_the_reserved_group():
    x = Program(
        "X",
        (
            SeatCategory("general", 1, open_to_all=True),
            SeatCategory("resident", 1, flag="resident"),
        ),
    )
    result = run_lottery(RESIDENTS, [x], seed=0)
    assert placed(result) == {"R1": ("X", "general"), "N": None, "R2": ("X", "resident")}


def test_set_aside_by_applicant_ids():
    x = Program("X", (SeatCategory("sibling", 1, eligible_ids=frozenset({"R2"})),), open_seats=1)
    result = run_lottery(RESIDENTS, [x], seed=0)
    assert placed(result) == {"R1": (("X", OPEN)), "N": None, "R2": ("X", "sibling")}


def test_unfilled_set_aside_stays_empty():
    x = Program("X", (SeatCategory("staff_child", 2, flag="staff_child"),), open_seats=1)
    result = run_lottery(RESIDENTS, [x], seed=0)
    assert placed(result) == {"R1": ("X", OPEN), "N": None, "R2": None}
    assert result.programs["X"].seats_left_by_category == {"staff_child": 2, OPEN: 0}
    assert result.seats_left == {"X": 2}


def test_priority_beats_lottery_within_a_category():
    applicants = [
        Applicant("A", ("X", "Y"), lottery=1),
        Applicant("B", ("X", "Y"), {"X": 1}, lottery=2),
    ]
    programs = [Program("X", open_seats=1), Program("Y", open_seats=1)]
    result = run_lottery(applicants, programs, seed=0)
    assert result.assignments == {"A": Assignment("Y", OPEN, 2), "B": Assignment("X", OPEN, 1)}
    assert result.waitlists == {"X": ("A",), "Y": ()}


def test_rejection_chain_student_optimal():
    # Classic three-by-three instance with a unique stable matching per side.
    applicants = [
        Applicant("a", ("X", "Y", "Z"), lottery={"X": 3, "Y": 1, "Z": 2}),
        Applicant("b", ("Y", "X", "Z"), lottery={"X": 1, "Y": 3, "Z": 3}),
        Applicant("c", ("X", "Y", "Z"), lottery={"X": 2, "Y": 2, "Z": 1}),
    ]
    programs = [Program(p, open_seats=1) for p in "XYZ"]
    result = run_lottery(applicants, programs, seed=0, tie_breaking="multiple")
    assert {k: v.program for k, v in result.assignments.items()} == {
        "a": "Y",
        "b": "X",
        "c": "Z",
    }
    s = result.summary
    assert (s.matched, s.first_choice, s.top3) == (3, 0, 3)
    assert result.programs["X"].first_choice_applicants == 2
    assert result.programs["Z"].applicants == 3


def test_program_without_seats_and_applicant_without_choices():
    applicants = [Applicant("A", ("X", "Y")), Applicant("B", ())]
    programs = [Program("X"), Program("Y", open_seats=1)]
    result = run_lottery(applicants, programs, seed=3)
    assert result.assignments == {"A": Assignment("Y", OPEN, 2), "B": None}
    assert result.waitlists == {"X": ("A",), "Y": ()}
    assert result.summary.unmatched == 1


def test_empty_market():
    result = run_lottery([], [], seed=1)
    assert result.assignments == {} and result.waitlists == {}
    assert result.summary.match_rate == 0.0


GOLDEN_APPLICANTS = [
    Applicant("A1", ("P1", "P2"), {"P1": 1}, frozenset({"resident"})),
    Applicant("A2", ("P1",)),
    Applicant("A3", ("P2", "P1")),
    Applicant("A4", ("P1", "P2"), flags=frozenset({"resident"})),
]
GOLDEN_PROGRAMS = [
    Program("P1", (SeatCategory("resident", 1, flag="resident"),), open_seats=1),
    Program("P2", open_seats=1),
]


def test_golden_run_is_reproducible_across_versions():
    """A published run must replay bit for bit: pin its hash, numbers and result."""
    result = run_lottery(GOLDEN_APPLICANTS, GOLDEN_PROGRAMS, seed=20260301)
    assert result.input_hash == GOLDEN_HASH
    assert result.lottery_numbers == GOLDEN_NUMBERS
    assert placed(result) == GOLDEN_PLACED


def test_published_procedure_reproduces_the_draw():
    """Re-derive the lottery numbers from the procedure in docs/lottery.md alone."""
    seed = 20260301
    document = {
        "format": "district-ops-lottery/1",
        "tie_breaking": "single",
        "programs": [
            ["P1", [["resident", 1, [], "resident", False]], 1],
            ["P2", [], 1],
        ],
        "applicants": [
            ["A1", ["P1", "P2"], [["P1", 1]], ["resident"], None],
            ["A2", ["P1"], [], [], None],
            ["A3", ["P2", "P1"], [], [], None],
            ["A4", ["P1", "P2"], [], ["resident"], None],
        ],
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert digest == GOLDEN_HASH
    material = f"district-ops-lottery/1|{json.dumps(seed)}|{digest}".encode()
    rng = random.Random(int.from_bytes(hashlib.sha256(material).digest(), "big"))
    order = ["A1", "A2", "A3", "A4"]
    for i in range(len(order) - 1, 0, -1):
        j = int(rng.random() * (i + 1))
        order[i], order[j] = order[j], order[i]
    assert {aid: pos + 1 for pos, aid in enumerate(order)} == GOLDEN_NUMBERS


def test_input_hash_ignores_order_and_zero_priorities_but_nothing_else():
    base = input_hash(GOLDEN_APPLICANTS, GOLDEN_PROGRAMS)
    assert input_hash(GOLDEN_APPLICANTS[::-1], GOLDEN_PROGRAMS[::-1]) == base
    zero = dataclasses.replace(GOLDEN_APPLICANTS[1], priorities={"P1": 0})
    assert input_hash([GOLDEN_APPLICANTS[0], zero, *GOLDEN_APPLICANTS[2:]], GOLDEN_PROGRAMS) == base
    a1, p1, p2 = GOLDEN_APPLICANTS[0], GOLDEN_PROGRAMS[0], GOLDEN_PROGRAMS[1]
    rest = GOLDEN_APPLICANTS[1:]
    resident = p1.categories[0]
    changed = [
        ([dataclasses.replace(a1, choices=("P2", "P1")), *rest], GOLDEN_PROGRAMS),
        ([dataclasses.replace(a1, priorities={"P1": 2}), *rest], GOLDEN_PROGRAMS),
        ([dataclasses.replace(a1, flags=frozenset()), *rest], GOLDEN_PROGRAMS),
        (
            [dataclasses.replace(a1, lottery=1), *[dataclasses.replace(a, lottery=i + 2) for i, a in enumerate(rest)]],
            GOLDEN_PROGRAMS,
        ),
        (GOLDEN_APPLICANTS, [p1, dataclasses.replace(p2, open_seats=2)]),
        (GOLDEN_APPLICANTS, [dataclasses.replace(p1, open_seats=0), p2]),
        (GOLDEN_APPLICANTS, [dataclasses.replace(p1, categories=(dataclasses.replace(resident, flag="r"),)), p2]),
        (
            GOLDEN_APPLICANTS,
            [dataclasses.replace(p1, categories=(dataclasses.replace(resident, eligible_ids=frozenset({"A2"})),)), p2],
        ),
        (GOLDEN_APPLICANTS, [*GOLDEN_PROGRAMS, Program("P3")]),
    ]
    hashes = {base}
    for apps, progs in changed:
        hashes.add(input_hash(apps, progs))
    hashes.add(input_hash(GOLDEN_APPLICANTS, GOLDEN_PROGRAMS, tie_breaking="multiple"))
    assert len(hashes) == len(changed) + 2


def test_integer_and_string_ids_mix():
    applicants = [Applicant(2, (10, "x")), Applicant("1", ("x", 10))]
    programs = [Program(10, open_seats=1), Program("x", open_seats=1)]
    result = run_lottery(applicants, programs, seed=5)
    assert {k: v.program for k, v in result.assignments.items()} == {2: 10, "1": "x"}


def test_synthetic_market_shape_and_determinism():
    applicants, programs = synthetic_market(2000, 40, seed=7, set_asides=True)
    again = synthetic_market(2000, 40, seed=7, set_asides=True)
    assert (applicants, programs) == again
    assert synthetic_market(2000, 40, seed=8)[0] != applicants
    lengths = [len(a.choices) for a in applicants]
    assert min(lengths) >= 1 and max(lengths) == 12
    assert sum(n == 12 for n in lengths) > len(lengths) * 0.25
    demand = sorted(
        (sum(p.id in a.choices[:1] for a in applicants) / p.seats for p in programs),
        reverse=True,
    )
    assert demand[0] > 3 * demand[len(demand) // 2]  # popular programs are skewed
    seats = sum(p.seats for p in programs)
    assert seats == pytest.approx(0.9 * len(applicants), rel=0.05)
    assert any(a.priorities for a in applicants)
    assert any("resident" in a.flags for a in applicants)
    assert all(p.categories[1].name == "resident" for p in programs)
    result = run_lottery(applicants, programs, seed=1)
    assert 0.5 < result.summary.match_rate <= 1.0


GOLDEN_HASH = "1db775a7019e1ed40a72055decb65476c68d2844563ba3883f74bd3b832963f3"
GOLDEN_NUMBERS = {"A1": 1, "A2": 4, "A3": 2, "A4": 3}
GOLDEN_PLACED = {"A1": ("P1", "resident"), "A2": None, "A3": ("P2", OPEN), "A4": ("P1", OPEN)}
