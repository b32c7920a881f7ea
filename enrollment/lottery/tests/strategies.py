"""Hypothesis strategies for small lottery markets."""

from __future__ import annotations

from hypothesis import strategies as st

from enrollment.lottery import Applicant, Program, SeatCategory

FLAGS = ("resident", "staff_child")


@st.composite
def markets(
    draw,
    *,
    max_applicants: int = 10,
    max_programs: int = 5,
    categories: bool = True,
    priorities: bool = True,
    single_category: bool = False,
):
    """(applicants, programs) with valid, random content.

    ``single_category`` limits each program to one seat category: open
    seats only, or one set-aside with no open seats (the shape the
    ``matching`` reference can check).
    """
    n_programs = draw(st.integers(1, max_programs))
    int_ids = draw(st.booleans())
    pids = list(range(100, 100 + n_programs)) if int_ids else [f"P{i}" for i in range(n_programs)]
    n_applicants = draw(st.integers(0, max_applicants))
    aids = [f"A{i}" for i in range(n_applicants)]

    applicants = []
    for aid in aids:
        choices = draw(st.lists(st.sampled_from(pids), unique=True, max_size=min(len(pids), 12)))
        prios = {}
        if priorities:
            for pid in choices:
                value = draw(st.integers(0, 2))
                if value:
                    prios[pid] = value
        flags = draw(st.frozensets(st.sampled_from(FLAGS))) if categories else frozenset()
        applicants.append(Applicant(aid, tuple(choices), prios, flags))

    def category(name):
        seats = draw(st.integers(0, 3))
        kind = draw(st.sampled_from(["flag", "ids", "both", "all"]))
        ids = frozenset(draw(st.lists(st.sampled_from(aids), unique=True))) if aids else frozenset()
        flag = draw(st.sampled_from(FLAGS))
        if kind == "flag" or (kind in ("ids", "both") and not ids):
            return SeatCategory(name, seats, flag=flag)
        if kind == "ids":
            return SeatCategory(name, seats, eligible_ids=ids)
        if kind == "both":
            return SeatCategory(name, seats, eligible_ids=ids, flag=flag)
        return SeatCategory(name, seats, open_to_all=True)

    programs = []
    for pid in pids:
        cats: tuple = ()
        open_seats = draw(st.integers(0, 3))
        if categories:
            if single_category:
                if draw(st.booleans()):
                    cats = (category("set_aside"),)
                    open_seats = 0
            else:
                cats = tuple(category(f"c{k}") for k in range(draw(st.integers(0, 2))))
        programs.append(Program(pid, cats, open_seats))
    return applicants, programs
