"""The checker accepts a hand-timed plan and rejects each kind of infeasibility."""

from dataclasses import replace

import pytest

from transportation.routing.checker import check_solution
from transportation.routing.model import Problem, Stop

from .factories import route, solution, two_school_problem


def feasible_plan(problem):
    return solution([route("A", "A1", "A2", problem=problem), route("B", "B1", "B2", problem=problem)])


def test_hand_timed_plan_is_feasible_and_measured():
    problem = two_school_problem()
    report = check_solution(problem, feasible_plan(problem))
    assert report.ok, report.summary()
    assert (report.buses, report.routes) == (1, 2)
    # A1 rides 50 s to A2, 15 s boarding there, 50 s to school A.
    assert report.longest_ride == pytest.approx(115.0)
    # Yard -> A1 1000, route A 1000, A -> B1 4000, route B 1000, B -> yard 3000.
    assert report.distance == pytest.approx(10_000.0)


def test_one_bus_per_route_is_feasible():
    problem = two_school_problem()
    plan = solution([route("A", "A1", "A2", problem=problem)], [route("B", "B2", "B1", problem=problem)])
    assert check_solution(problem, plan).ok


def test_over_capacity():
    problem = two_school_problem(capacity=8)
    report = check_solution(problem, feasible_plan(problem))
    assert report.kinds() == {"capacity"}


def test_ride_too_long():
    # A1's students ride 115 s; alone each stop is within 100 s.
    problem = two_school_problem(max_ride=114.0)
    report = check_solution(problem, feasible_plan(problem))
    assert report.kinds() == {"ride"}
    ok = solution(
        [route("A", "A1", problem=problem)],
        [route("A", "A2", problem=problem)],
        [route("B", "B1", problem=problem)],
        [route("B", "B2", problem=problem)],
    )
    assert check_solution(problem, ok).ok


def test_late_arrival_after_a_previous_route():
    problem = two_school_problem()
    # B's bell at 7:05: the bus leaves A at 7:01 and needs 400 s + 129 s more.
    schools = (problem.schools[0], replace(problem.schools[1], bell=7 * 3600 + 300.0))
    late = Problem(schools, problem.stops, problem.params)
    report = check_solution(late, feasible_plan(late))
    assert report.kinds() == {"late"}
    # With a 9:00 bell the same chain works.
    schools = (problem.schools[0], replace(problem.schools[1], bell=9 * 3600.0))
    assert check_solution(Problem(schools, problem.stops, problem.params), feasible_plan(problem)).ok


def test_impossible_chain_order():
    problem = two_school_problem()
    plan = solution([route("B", "B1", "B2", problem=problem), route("A", "A1", "A2", problem=problem)])
    assert check_solution(problem, plan).kinds() == {"chain"}


def test_same_school_twice_on_one_bus_is_an_impossible_chain():
    problem = two_school_problem()
    plan = solution(
        [route("A", "A1", problem=problem), route("A", "A2", problem=problem)],
        [route("B", "B1", "B2", problem=problem)],
    )
    assert check_solution(problem, plan).kinds() == {"chain"}


def test_stop_missed():
    problem = two_school_problem()
    plan = solution([route("A", "A1", "A2", problem=problem), route("B", "B1", problem=problem)])
    report = check_solution(problem, plan)
    assert report.kinds() == {"missed"}
    assert "B2" in report.violations[0].message


def test_stop_served_twice():
    problem = two_school_problem()
    plan = solution(
        [route("A", "A1", "A2", problem=problem), route("B", "B1", "B2", problem=problem)],
        [route("B", "B2", problem=problem)],
    )
    assert check_solution(problem, plan).kinds() == {"duplicate"}


def test_stop_that_fits_one_bus_split_in_two():
    problem = two_school_problem()
    plan = solution(
        [route("A", "A1", "A2", problem=problem), route("B", "B1", "B2", shares=[3, 3])], [route("B", "B1", shares=[3])]
    )
    assert check_solution(problem, plan).kinds() == {"split"}


def test_big_stop_may_be_split():
    problem = two_school_problem()
    big = Stop("B3", 3000.0, 200.0, "B", 15)
    problem = Problem(problem.schools, (*problem.stops, big), problem.params)
    plan = solution(
        [route("A", "A1", "A2", problem=problem), route("B", "B1", "B2", problem=problem)],
        [route("B", "B3", shares=[10])],
        [route("B", "B3", shares=[5])],
    )
    assert check_solution(problem, plan).ok
    short = solution(
        [route("A", "A1", "A2", problem=problem), route("B", "B1", "B2", problem=problem)],
        [route("B", "B3", shares=[10])],
    )
    assert check_solution(problem, short).kinds() == {"missed"}


def test_stop_on_another_schools_route():
    problem = two_school_problem()
    plan = solution(
        [route("A", "A1", "A2", problem=problem), route("B", "B1", problem=problem)],
        [route("A", "B2", problem=problem)],
    )
    assert check_solution(problem, plan).kinds() == {"wrong-school"}


def test_unknown_names_and_empty_routes():
    problem = two_school_problem()
    plan = solution(
        [route("A", "A1", "A2", problem=problem), route("B", "B1", "B2", problem=problem)],
        [route("Z", "A1", shares=[0])],
        [route("A", "Q9", shares=[1])],
        [route("B")],
    )
    kinds = check_solution(problem, plan).kinds()
    assert {"unknown", "empty"} <= kinds


def test_early_arrival_window_lets_a_bus_arrive_before_the_bell():
    problem = two_school_problem()
    # Both schools at 7:00: impossible back to back, unless A may be reached early.
    schools = (problem.schools[0], replace(problem.schools[1], bell=7 * 3600.0))
    same_bell = Problem(schools, problem.stops, problem.params)
    assert check_solution(same_bell, feasible_plan(same_bell)).kinds() == {"chain"}
    early = Problem(schools, problem.stops, replace(problem.params, early_arrival=900.0))
    assert check_solution(early, feasible_plan(early)).ok
