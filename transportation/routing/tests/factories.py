"""Small hand-made and random problems for the routing tests."""

from __future__ import annotations

import random

from transportation.routing.model import Params, Pickup, Problem, Route, School, Solution, Stop


def tiny_params(**overrides) -> Params:
    values = {
        "capacity": 10,
        "speed": 10.0,
        "stop_time": 10.0,
        "stop_time_per_student": 1.0,
        "unload_time": 60.0,
        "max_ride": 600.0,
        "depot": (0.0, 0.0),
    }
    values.update(overrides)
    return Params(**values)


def two_school_problem(**overrides) -> Problem:
    """School A at 7:00 and school B at 8:00, 3000 ft apart, two stops each.

    With speed 10 ft/s: A1 is 1000 ft from A, A2 500 ft; B1 1000 ft from B, B2 500 ft.
    """
    params = tiny_params(**overrides)
    schools = (School("A", 0.0, 0.0, 7 * 3600.0), School("B", 3000.0, 0.0, 8 * 3600.0))
    stops = (
        Stop("A1", 0.0, 1000.0, "A", 4),
        Stop("A2", 0.0, 500.0, "A", 5),
        Stop("B1", 3000.0, 1000.0, "B", 6),
        Stop("B2", 3000.0, 500.0, "B", 3),
    )
    return Problem(schools, stops, params)


def route(school: str, *stops: str, problem: Problem | None = None, shares=None) -> Route:
    counts = {s.id: s.students for s in problem.stops} if problem else {}
    pickups = []
    for i, stop in enumerate(stops):
        students = shares[i] if shares else counts.get(stop, 1)
        pickups.append(Pickup(stop, students))
    return Route(school, tuple(pickups))


def solution(*buses) -> Solution:
    return Solution(tuple(tuple(bus) for bus in buses))


def random_problem(
    seed: int,
    schools: int,
    stops: int,
    *,
    size: float = 20_000.0,
    params: Params | None = None,
    bells=(7 * 3600, 7.75 * 3600, 8.5 * 3600, 9.25 * 3600),
) -> Problem:
    """A random district; every stop can reach its school alone within the ride limit."""
    rng = random.Random(seed)
    params = params or Params(max_ride=1800.0, depot=(size / 2, size / 2))
    school_list = []
    for k in range(schools):
        school_list.append(School(f"S{k + 1}", rng.uniform(0, size), rng.uniform(0, size), float(rng.choice(bells))))
    stop_list = []
    reach = params.max_ride * params.speed * 0.9
    for i in range(stops):
        school = rng.choice(school_list)
        while True:
            dx, dy = rng.uniform(-1, 1) * reach / 2, rng.uniform(-1, 1) * reach / 2
            if abs(dx) + abs(dy) <= reach:
                break
        stop_list.append(
            Stop(f"P{i + 1}", school.x + dx, school.y + dy, school.id, rng.randint(1, params.capacity // 2))
        )
    return Problem(tuple(school_list), tuple(stop_list), params)
