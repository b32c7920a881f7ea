"""Independent feasibility checker.

It recomputes everything from the raw problem (coordinates, bells, counts and
parameters) with straightforward arithmetic and shares no code with the
engine, so a bug in the engine's fast paths cannot hide behind itself.

Schedule rules: a bus may leave the yard whenever it likes.  A route reaches
its school no later than the bell and no earlier than ``early_arrival``
before it; the bus then unloads for ``unload_time`` and drives empty to the
first stop of its next route.  Each bus is timed as early as possible, which
is the best schedule for every route after it.  A student's ride runs from
the bus leaving their stop to its arrival at school; the bus does not wait
with students on board.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .model import Problem, Solution

EPS = 1e-6

KINDS = {
    "unknown": "names a school or stop that is not in the problem",
    "empty": "a route with no pick-up",
    "wrong-school": "a stop served by a route to another school",
    "capacity": "more students on board than seats",
    "ride": "a student rides longer than the limit",
    "chain": "a bus is asked to start a route before the previous one can be over",
    "late": "a bus reaches a school after its bell",
    "missed": "students of a stop not picked up",
    "duplicate": "a stop served more than once, or more students than it has",
    "split": "a stop that fits one bus is split across routes",
}


@dataclass(frozen=True)
class Violation:
    kind: str
    message: str


@dataclass
class CheckReport:
    violations: list[Violation] = field(default_factory=list)
    buses: int = 0
    routes: int = 0
    #: Feet driven: routes, empty runs between routes, and yard to yard.
    distance: float = 0.0
    longest_ride: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.violations

    def kinds(self) -> set[str]:
        return {v.kind for v in self.violations}

    def summary(self) -> str:
        if self.ok:
            return (
                f"feasible: {self.buses} buses, {self.routes} routes, "
                f"{self.distance / 5280:.1f} miles, longest ride {self.longest_ride:.0f} s"
            )
        lines = [f"{len(self.violations)} violation(s):"]
        lines += [f"  [{v.kind}] {v.message}" for v in self.violations[:30]]
        return "\n".join(lines)


def _feet(a, b) -> float:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


def check_solution(problem: Problem, solution: Solution) -> CheckReport:
    p = problem.params
    schools = {s.id: s for s in problem.schools}
    stops = {s.id: s for s in problem.stops}
    report = CheckReport(buses=len(solution.buses), routes=sum(len(bus) for bus in solution.buses))
    bad = report.violations.append
    served: dict[str, list[int]] = defaultdict(list)

    for bus_no, bus in enumerate(solution.buses, start=1):
        ready = None  # when the bus can leave its last school
        position = p.depot
        for order, route in enumerate(bus, start=1):
            name = f"bus {bus_no} route {order}"
            school = schools.get(route.school)
            if school is None:
                bad(Violation("unknown", f"{name}: school {route.school} does not exist"))
                ready = None
                continue
            if not route.pickups:
                bad(Violation("empty", f"{name}: no pick-ups"))
                continue
            points, dwells, on_board = [], [], 0
            for pickup in route.pickups:
                stop = stops.get(pickup.stop)
                if stop is None:
                    bad(Violation("unknown", f"{name}: stop {pickup.stop} does not exist"))
                    continue
                if stop.school != route.school:
                    bad(
                        Violation(
                            "wrong-school", f"{name}: stop {stop.id} attends school {stop.school}, not {route.school}"
                        )
                    )
                if pickup.students < 1:
                    bad(Violation("duplicate", f"{name}: stop {stop.id} with {pickup.students} students"))
                served[stop.id].append(pickup.students)
                on_board += pickup.students
                points.append((stop.x, stop.y))
                dwells.append(p.stop_time + p.stop_time_per_student * pickup.students)
            if not points:
                continue
            if on_board > p.capacity:
                bad(Violation("capacity", f"{name}: {on_board} students on a {p.capacity}-seat bus"))
            # Ride of the students boarding at stop i: every leg and stop after it.
            legs = [_feet(points[i], points[i + 1]) / p.speed for i in range(len(points) - 1)]
            legs.append(_feet(points[-1], (school.x, school.y)) / p.speed)
            ride = 0.0
            rides = [0.0] * len(points)
            for i in range(len(points) - 1, -1, -1):
                ride += legs[i]
                rides[i] = ride
                ride += dwells[i]
            duration = ride  # first arrival at the first stop to arrival at school
            longest = max(rides)
            report.longest_ride = max(report.longest_ride, longest)
            if longest > p.max_ride + EPS:
                bad(Violation("ride", f"{name}: a student rides {longest:.0f} s, over the {p.max_ride:.0f} s limit"))
            report.distance += _feet(position, points[0])
            report.distance += sum(legs) * p.speed
            earliest = -float("inf") if ready is None else (ready + _feet(position, points[0]) / p.speed + duration)
            arrival = max(earliest, school.bell - p.early_arrival)
            if ready is not None and arrival > school.bell + EPS:
                previous = bus[order - 2]
                kind = "chain" if school.bell <= ready + EPS else "late"
                bad(
                    Violation(
                        kind,
                        f"{name}: after school {previous.school} the bus reaches "
                        f"school {school.id} {arrival - school.bell:.0f} s after its bell",
                    )
                )
            ready = arrival + p.unload_time
            position = (school.x, school.y)
        if bus:
            report.distance += _feet(position, p.depot)

    for stop in problem.stops:
        shares = served.get(stop.id, [])
        total = sum(shares)
        if total < stop.students:
            bad(
                Violation(
                    "missed", f"stop {stop.id}: {stop.students - total} of {stop.students} students not picked up"
                )
            )
        elif total > stop.students:
            bad(
                Violation(
                    "duplicate",
                    f"stop {stop.id}: served {len(shares)} times for {total} students, it has {stop.students}",
                )
            )
        elif len(shares) > 1 and stop.students <= p.capacity:
            bad(
                Violation(
                    "split",
                    f"stop {stop.id}: {stop.students} students fit one bus but are split over {len(shares)} routes",
                )
            )
    return report
