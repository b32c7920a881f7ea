"""Bad input is refused with a ValueError that names the record at fault."""

from __future__ import annotations

import pytest

from enrollment.lottery import Applicant, Program, SeatCategory, run_lottery

PROGRAMS = [Program("P1", open_seats=2), Program("P2", open_seats=1)]


def run(applicants, programs=PROGRAMS, **kwargs):
    kwargs.setdefault("seed", 1)
    return run_lottery(applicants, programs, **kwargs)


def test_program_named_twice():
    with pytest.raises(ValueError, match=r"applicant 'A1' names program 'P1' more than once"):
        run([Applicant("A1", ("P1", "P2", "P1"))])


def test_unknown_program():
    with pytest.raises(ValueError, match=r"applicant 'A1' names unknown program 'P9'"):
        run([Applicant("A1", ("P1", "P9"))])


def test_more_than_twelve_choices():
    programs = [Program(f"P{i}", open_seats=1) for i in range(13)]
    run([Applicant("A1", tuple(p.id for p in programs[:12]))], programs)
    with pytest.raises(ValueError, match=r"applicant 'A1' ranks 13 programs; at most 12"):
        run([Applicant("A1", tuple(p.id for p in programs))], programs)


def test_max_choices_is_configurable():
    with pytest.raises(ValueError, match=r"ranks 2 programs; at most 1 are allowed"):
        run([Applicant("A1", ("P1", "P2"))], max_choices=1)


def test_negative_open_seats():
    with pytest.raises(ValueError, match=r"program 'P3' has negative open seats \(-1\)"):
        run([], [*PROGRAMS, Program("P3", open_seats=-1)])


def test_negative_category_seats():
    bad = Program("P3", (SeatCategory("resident", -2, flag="resident"),))
    with pytest.raises(ValueError, match=r"program 'P3' category 'resident' has negative seats"):
        run([], [bad])


def test_non_integer_seats():
    with pytest.raises(ValueError, match=r"open seats must be an int"):
        run([], [Program("P3", open_seats=1.5)])
    with pytest.raises(ValueError, match=r"seats must be an int"):
        run([], [Program("P3", (SeatCategory("r", True, flag="r"),))])


def test_duplicate_ids():
    with pytest.raises(ValueError, match=r"applicant 'A1' appears more than once"):
        run([Applicant("A1", ("P1",)), Applicant("A1", ("P2",))])
    with pytest.raises(ValueError, match=r"program 'P1' appears more than once"):
        run([], [Program("P1", open_seats=1), Program("P1", open_seats=2)])


def test_bad_id_types():
    with pytest.raises(ValueError, match=r"applicant id 1.5 must be a str or an int"):
        run([Applicant(1.5, ("P1",))])
    with pytest.raises(ValueError, match=r"program id None must be a str or an int"):
        run([], [Program(None, open_seats=1)])


def test_choices_must_be_a_sequence_not_a_string():
    with pytest.raises(ValueError, match=r"choices must be a list or tuple"):
        run([Applicant("A1", "P1")])


def test_category_names():
    twice = Program("P3", (SeatCategory("r", 1, flag="r"), SeatCategory("r", 1, flag="s")))
    with pytest.raises(ValueError, match=r"names seat category 'r' more than once"):
        run([], [twice])
    clash = Program("P3", (SeatCategory("open", 1, flag="r"),), open_seats=1)
    with pytest.raises(ValueError, match=r"names seat category 'open' more than once"):
        run([], [clash])
    with pytest.raises(ValueError, match=r"without a name"):
        run([], [Program("P3", (SeatCategory("", 1, flag="r"),))])


def test_category_without_eligibility():
    with pytest.raises(ValueError, match=r"category 'staff' says nobody is eligible"):
        run([], [Program("P3", (SeatCategory("staff", 1),))])


def test_priorities():
    with pytest.raises(ValueError, match=r"priority at program 'P2', which they did not rank"):
        run([Applicant("A1", ("P1",), {"P2": 1})])
    with pytest.raises(ValueError, match=r"priority at program 'P9', which they did not rank"):
        run([Applicant("A1", ("P1",), {"P9": 1})])
    with pytest.raises(ValueError, match=r"priority at program 'P1' must be an int"):
        run([Applicant("A1", ("P1",), {"P1": "high"})])


def test_flags_must_be_strings():
    with pytest.raises(ValueError, match=r"flags must be a set of str"):
        run([Applicant("A1", ("P1",), flags="resident")])


def test_lottery_numbers_all_or_none():
    with pytest.raises(ValueError, match=r"preassigned for 1 of 2 applicants \(applicant 'A2'"):
        run([Applicant("A1", ("P1",), lottery=1), Applicant("A2", ("P1",))])


def test_lottery_numbers_distinct():
    with pytest.raises(ValueError, match=r"'A1' and 'A2' share lottery number 1"):
        run([Applicant("A1", ("P1",), lottery=1), Applicant("A2", ("P1",), lottery=1.0)])
    per = [
        Applicant("A1", ("P1", "P2"), lottery={"P1": 1, "P2": 1}),
        Applicant("A2", ("P1",), lottery={"P1": 1}),
    ]
    with pytest.raises(ValueError, match=r"share lottery number 1 at program 'P1'"):
        run(per, tie_breaking="multiple")


def test_lottery_number_shapes():
    with pytest.raises(ValueError, match=r"single tie-breaking needs one finite lottery number"):
        run([Applicant("A1", ("P1",), lottery={"P1": 1})])
    with pytest.raises(ValueError, match=r"single tie-breaking needs one finite lottery number"):
        run([Applicant("A1", ("P1",), lottery=float("nan"))])
    with pytest.raises(ValueError, match=r"multiple tie-breaking needs a lottery number per"):
        run([Applicant("A1", ("P1",), lottery=3)], tie_breaking="multiple")
    with pytest.raises(ValueError, match=r"has no lottery number at ranked program 'P2'"):
        run([Applicant("A1", ("P1", "P2"), lottery={"P1": 3})], tie_breaking="multiple")
    with pytest.raises(ValueError, match=r"lottery number at program 'P2', which they did not"):
        run([Applicant("A1", ("P1",), lottery={"P1": 3, "P2": 4})], tie_breaking="multiple")


def test_tie_breaking_and_seed():
    with pytest.raises(ValueError, match=r"tie_breaking must be 'single' or 'multiple'"):
        run([], tie_breaking="per-school")
    for seed in (None, 1.5, "", True):
        with pytest.raises(ValueError, match=r"seed must be an int or a non-empty str"):
            run([], seed=seed)


def test_records_of_the_wrong_type():
    with pytest.raises(ValueError, match=r"expected an Applicant, got dict"):
        run([{"id": "A1", "choices": ["P1"]}])
    with pytest.raises(ValueError, match=r"expected a Program, got str"):
        run([], ["P1"])
