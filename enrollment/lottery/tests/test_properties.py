"""Hypothesis properties of the lottery on random small markets."""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrollment.lottery import (
    blocking_pairs,
    category_violations,
    input_hash,
    run_lottery,
    summarize,
)
from enrollment.lottery.checks import order_key

from .helpers import classical_blocking_pairs, naive_deferred_acceptance
from .strategies import markets

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.one_of(st.integers(-(2**64), 2**64), st.text(min_size=1, max_size=8))
tie_breakings = st.sampled_from(["single", "multiple"])


@SETTINGS
@given(markets(), seeds, tie_breakings)
def test_no_blocking_pair_under_seat_categories(market, seed, tie_breaking):
    applicants, programs = market
    result = run_lottery(applicants, programs, seed=seed, tie_breaking=tie_breaking)
    assert blocking_pairs(applicants, programs, result) == []


@SETTINGS
@given(markets(categories=False), seeds, tie_breakings)
def test_no_blocking_pair_classical_definition(market, seed, tie_breaking):
    applicants, programs = market
    result = run_lottery(applicants, programs, seed=seed, tie_breaking=tie_breaking)
    assert classical_blocking_pairs(applicants, programs, result) == []


@SETTINGS
@given(markets(), seeds, tie_breakings)
def test_no_program_or_category_exceeds_its_seats(market, seed, tie_breaking):
    applicants, programs = market
    result = run_lottery(applicants, programs, seed=seed, tie_breaking=tie_breaking)
    assert category_violations(applicants, programs, result) == []
    for program in programs:
        summary = result.programs[program.id]
        assert summary.filled <= program.seats
        assert summary.seats_left == program.seats - summary.filled >= 0
        for name, left in summary.seats_left_by_category.items():
            assert left >= 0, (program.id, name)


@SETTINGS
@given(markets(), seeds, tie_breakings, st.randoms(use_true_random=False))
def test_same_seed_same_result_whatever_the_input_order(market, seed, tie_breaking, rnd):
    applicants, programs = market
    first = run_lottery(applicants, programs, seed=seed, tie_breaking=tie_breaking)
    again = run_lottery(applicants, programs, seed=seed, tie_breaking=tie_breaking)
    assert first == again
    shuffled_a, shuffled_p = applicants[:], programs[:]
    rnd.shuffle(shuffled_a)
    rnd.shuffle(shuffled_p)
    reordered = run_lottery(shuffled_a, shuffled_p, seed=seed, tie_breaking=tie_breaking)
    assert reordered == first
    assert reordered.input_hash == input_hash(applicants, programs, tie_breaking=tie_breaking)


@SETTINGS
@given(markets(), seeds, tie_breakings)
def test_matches_naive_deferred_acceptance(market, seed, tie_breaking):
    applicants, programs = market
    result = run_lottery(applicants, programs, seed=seed, tie_breaking=tie_breaking)
    expected = naive_deferred_acceptance(applicants, programs, result)
    got = {aid: (None if x is None else (x.program, x.category)) for aid, x in result.assignments.items()}
    assert got == expected


@SETTINGS
@given(markets(single_category=True), seeds, tie_breakings)
def test_equals_matching_package_student_optimal(market, seed, tie_breaking):
    reference = pytest.importorskip("enrollment.lottery.reference")
    pytest.importorskip("matching")
    applicants, programs = market
    result = run_lottery(applicants, programs, seed=seed, tie_breaking=tie_breaking)
    expected = reference.reference_assignment(applicants, programs, result)
    got = {aid: (x and x.program) for aid, x in result.assignments.items()}
    assert got == expected


@SETTINGS
@given(markets(), seeds, tie_breakings)
def test_waitlists_hold_everyone_who_ranked_the_program_higher_in_order(market, seed, tie_breaking):
    applicants, programs = market
    result = run_lottery(applicants, programs, seed=seed, tie_breaking=tie_breaking)
    for program in programs:
        above = [
            a
            for a in applicants
            if program.id in a.choices
            and (result.assignments[a.id] is None or a.choices.index(program.id) + 1 < result.assignments[a.id].rank)
        ]
        above.sort(key=lambda a: order_key(result, a, program.id))
        assert result.waitlists[program.id] == tuple(a.id for a in above)


@SETTINGS
@given(markets(), seeds, tie_breakings)
def test_summary_counts(market, seed, tie_breaking):
    applicants, programs = market
    result = run_lottery(applicants, programs, seed=seed, tie_breaking=tie_breaking)
    placed = [x for x in result.assignments.values() if x is not None]
    s = result.summary
    assert s.applicants == len(applicants)
    assert s.matched == len(placed) and s.unmatched == len(applicants) - len(placed)
    assert s.first_choice == sum(x.rank == 1 for x in placed)
    assert s.top3 == sum(x.rank <= 3 for x in placed)
    if applicants:
        assert s.match_rate == pytest.approx(len(placed) / len(applicants))
    else:
        assert (s.match_rate, s.first_choice_rate, s.top3_rate) == (0.0, 0.0, 0.0)
    assert sum(p.filled for p in result.programs.values()) == len(placed)
    group = [a.id for a in applicants[::2]]
    assert summarize(result.assignments, group).applicants == len(group)


@SETTINGS
@given(markets(), seeds, tie_breakings)
def test_drawn_numbers_are_permutations_and_replay_as_preassigned(market, seed, tie_breaking):
    applicants, programs = market
    result = run_lottery(applicants, programs, seed=seed, tie_breaking=tie_breaking)
    numbers = result.lottery_numbers
    if tie_breaking == "single":
        assert sorted(numbers.values()) == list(range(1, len(applicants) + 1))
    else:
        for program in programs:
            at = [numbers[a.id][program.id] for a in applicants if program.id in a.choices]
            assert sorted(at) == list(range(1, len(at) + 1))
    replay = [dataclasses.replace(a, lottery=numbers[a.id]) for a in applicants]
    again = run_lottery(replay, programs, seed="unused", tie_breaking=tie_breaking)
    assert again.assignments == result.assignments
    assert again.waitlists == result.waitlists
    assert again.lottery_numbers == numbers


@settings(max_examples=60, deadline=None)
@given(markets(max_applicants=30), st.integers(0, 2**32))
def test_different_seeds_usually_draw_different_orders(market, seed):
    applicants, programs = market
    if len(applicants) < 8:
        return
    first = run_lottery(applicants, programs, seed=seed).lottery_numbers
    other = run_lottery(applicants, programs, seed=seed + 1).lottery_numbers
    assert first != other  # equal with probability 1/8! at most


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_larger_synthetic_markets_with_set_asides_are_stable(seed):
    from enrollment.lottery import synthetic_market

    rng = random.Random(seed)
    applicants, programs = synthetic_market(
        rng.randint(50, 300), rng.randint(3, 15), seed=seed, set_asides=True, zone_size=4
    )
    result = run_lottery(applicants, programs, seed=seed)
    assert category_violations(applicants, programs, result) == []
    assert blocking_pairs(applicants, programs, result) == []


@pytest.mark.parametrize("tie_breaking", ["single", "multiple"])
def test_synthetic_market_equals_matching_package(tie_breaking):
    reference = pytest.importorskip("enrollment.lottery.reference")
    pytest.importorskip("matching")
    from enrollment.lottery import synthetic_market

    applicants, programs = synthetic_market(1500, 30, seed=11)
    result = run_lottery(applicants, programs, seed=11, tie_breaking=tie_breaking)
    expected = reference.reference_assignment(applicants, programs, result)
    assert {aid: (x and x.program) for aid, x in result.assignments.items()} == expected
    assert 0 < result.summary.unmatched < len(applicants)
