"""The engine's plans pass the checker, match brute force on tiny cases, and repeat per seed."""

from itertools import permutations

import pytest

from transportation.routing.checker import check_solution
from transportation.routing.engine import solve
from transportation.routing.io import solution_rows
from transportation.routing.model import Params, Pickup, Problem, Route, School, Solution, Stop

from .factories import random_problem, two_school_problem


def set_partitions(items):
    if not items:
        yield []
        return
    head, rest = items[0], items[1:]
    for partition in set_partitions(rest):
        yield [[head], *partition]
        for i in range(len(partition)):
            yield [*partition[:i], [head] + partition[i], *partition[i + 1 :]]


def brute_force_buses(problem: Problem) -> int:
    """Fewest buses over every routing and every grouping of routes, judged by the checker."""
    counts = {s.id: s.students for s in problem.stops}
    bells = {s.id: s.bell for s in problem.schools}

    def route_ok(route):
        report = check_solution(problem, Solution(((route,),)))
        return not (report.kinds() & {"capacity", "ride"})

    per_school = []
    for school in problem.schools:
        ids = [s.id for s in problem.stops if s.school == school.id]
        plans = []
        for partition in set_partitions(ids):
            options = []
            for block in partition:
                routes = [Route(school.id, tuple(Pickup(s, counts[s]) for s in order)) for order in permutations(block)]
                options.append([r for r in routes if route_ok(r)])
            if all(options):
                plans.append(options)
        per_school.append(plans)

    best = len(problem.stops)

    def expand(plans_left, chosen):
        nonlocal best
        if not plans_left:
            routes = chosen
            if len(routes) < best:
                pass
            for grouping in set_partitions(list(range(len(routes)))):
                if len(grouping) >= best:
                    continue
                buses = tuple(tuple(sorted((routes[i] for i in g), key=lambda r: bells[r.school])) for g in grouping)
                if check_solution(problem, Solution(buses)).ok:
                    best = len(grouping)
            return
        for plan in plans_left[0]:

            def pick(slots, acc):
                if not slots:
                    expand(plans_left[1:], chosen + acc)
                    return
                for r in slots[0]:
                    pick(slots[1:], [*acc, r])

            pick(plan, [])

    expand(per_school, [])
    return best


def tiny_problem(seed: int) -> Problem:
    params = Params(capacity=10, max_ride=900.0, depot=(4000.0, 4000.0))
    return random_problem(seed, schools=3, stops=5, size=8000.0, params=params, bells=(7 * 3600, 7.5 * 3600, 8 * 3600))


@pytest.mark.parametrize("seed", range(8))
def test_tiny_instances_reach_the_brute_force_optimum(seed):
    problem = tiny_problem(seed)
    result = solve(problem, time_limit=30, seed=0, work=2e6)
    assert result.report.ok, result.report.summary()
    assert result.solution.bus_count == brute_force_buses(problem)


def test_brute_force_sees_chaining():
    # Two routes, one bus: A at 7:00 then B at 8:00.
    problem = two_school_problem()
    assert brute_force_buses(problem) == 1
    assert solve(problem, time_limit=1).solution.bus_count == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_small_instances_pass_the_checker(seed):
    problem = random_problem(seed, schools=5, stops=60)
    result = solve(problem, time_limit=3, seed=seed)
    report = check_solution(problem, result.solution)
    assert report.ok, report.summary()
    assert result.solution.bus_count <= result.solution.route_count
    assert result.solution.bus_count < len(problem.stops)


def test_same_seed_same_answer():
    # Effort fixed in work units, so a busy machine cannot cut one run shorter.
    problem = random_problem(7, schools=4, stops=50)
    runs = [solve(problem, time_limit=120, seed=5, work=3e6) for _ in range(2)]
    assert not any(r.stats["cut_by_clock"] for r in runs)
    assert solution_rows(problem, runs[0].solution) == solution_rows(problem, runs[1].solution)


def test_big_stop_is_split_into_bus_loads():
    params = Params(capacity=10, max_ride=1800.0, depot=(0.0, 0.0))
    problem = Problem(
        (School("S", 0.0, 0.0, 8 * 3600.0),),
        (Stop("BIG", 5000.0, 0.0, "S", 23), Stop("SMALL", 4000.0, 0.0, "S", 3)),
        params,
    )
    result = solve(problem, time_limit=1)
    assert result.report.ok, result.report.summary()
    shares = sorted(p.students for bus in result.solution.buses for r in bus for p in r.pickups if p.stop == "BIG")
    assert sum(shares) == 23 and max(shares) <= 10


def test_school_without_stops_is_fine():
    problem = two_school_problem()
    problem = Problem((*problem.schools, School("C", 0.0, 0.0, 9 * 3600.0)), problem.stops, problem.params)
    result = solve(problem, time_limit=1)
    assert result.report.ok
    assert all(r.school != "C" for bus in result.solution.buses for r in bus)
