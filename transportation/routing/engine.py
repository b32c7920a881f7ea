"""The solver: route options per school, then the choice that chains into fewest buses.

1. For every school, route sets are built under a ladder of duration caps
   (randomised savings, then ruin-and-recreate that cuts routes first and
   driving time second).  Short routes chain behind earlier bells; long ones
   need fewer buses at their own bell.
2. One option per school is chosen by local search whose move value is the
   exact bus count: a maximum flow from schools to the routes that can
   follow them.
3. Schools are then rerouted against the chosen plan: each stop learns how
   long a route starting there may be to follow a bus that is still free,
   and new options built under those limits join the pool.
4. The final routes are chained by a minimum-cost maximum matching, which
   keeps the fewest buses and drives the fewest empty miles, and the
   independent checker must pass the result.

The run is deterministic for a seed: effort is counted in work units derived
from the time limit, and the wall clock only cuts a run that would overrun.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import numpy as np

from .chaining import chain_routes, leftover_supply, max_chain_links, spare_schools
from .checker import CheckReport, check_solution
from .instance import Instance, RouteInfo, compat_matrix, route_info
from .model import Pickup, Problem, Route, Solution
from .routes import build_routes, lns_routes

#: Work units (LNS iterations times visits squared) per second on a 2-core
#: development machine; the budget uses a safety margin below this.
WORK_PER_SECOND = 5.5e6
GENERATE_OVERHEAD = 2000.0
FLOW_OVERHEAD = 4000.0
#: Rerouting stops after this many rounds in a row that found no new option.
SATURATED = 40
UNFED_WEIGHT = 2e5
ROUTE_WEIGHT = 2e4
CAP_FRACTIONS = (0.55, 0.65, 0.72, 0.78, 0.84, 0.88, 0.92, 0.96, 1.0)


class Budget:
    """Deterministic effort accounting with a wall-clock backstop."""

    def __init__(self, time_limit: float, work: float | None = None):
        self.total = work if work is not None else max(1.0, time_limit) * WORK_PER_SECOND
        self.used = 0.0
        self.deadline = time.monotonic() + time_limit
        self.cut_by_clock = False

    def spend(self, units: float) -> None:
        self.used += units

    def share_left(self) -> float:
        return max(0.0, self.total - self.used)

    def exhausted(self) -> bool:
        if time.monotonic() > self.deadline:
            self.cut_by_clock = True
            return True
        return self.used >= self.total


@dataclass
class Option:
    """One way to route one school."""

    routes: list[RouteInfo]
    compat: np.ndarray
    duration: float

    @property
    def size(self) -> int:
        return len(self.routes)


@dataclass
class SolveResult:
    solution: Solution
    report: CheckReport
    stats: dict = field(default_factory=dict)


class Planner:
    def __init__(self, problem: Problem, time_limit: float, seed: int, log=None, work: float | None = None):
        self.inst = Instance(problem)
        self.budget = Budget(time_limit, work)
        self.rng = random.Random(seed)
        self.log = log or (lambda msg: None)
        self.options: list[list[Option]] = [[] for _ in range(self.inst.ns)]
        self.keys: list[set] = [set() for _ in range(self.inst.ns)]
        inst = self.inst
        # Schools no bus can reach from any other school's bell keep their
        # fewest-route plan: shortening their routes cannot save a bus.
        self.fed_possible = []
        for k in range(inst.ns):
            idx = inst.members[k]
            alone = np.array([inst.cases[k].dwell[i] + inst.cases[k].time[i][-1] for i in range(len(idx))])
            latest = inst.bell[k] - alone
            self.fed_possible.append(bool(len(idx)) and bool((inst.reach[:, idx] <= latest[None, :]).any()))

    # -- options -------------------------------------------------------------
    def add_option(self, k: int, local_routes: list[list[int]]) -> int | None:
        key = frozenset(tuple(r) for r in local_routes)
        if key in self.keys[k]:
            return None
        self.keys[k].add(key)
        infos = [route_info(self.inst, k, r) for r in local_routes]
        self.options[k].append(Option(infos, compat_matrix(self.inst, infos), sum(r.duration for r in infos)))
        return len(self.options[k]) - 1

    def lns_iterations(self, k: int, fraction: float) -> int:
        n = max(1, self.inst.cases[k].n)
        sizes = sum(max(1, c.n) ** 2 for c in self.inst.cases)
        per_school = self.budget.total * fraction * n * n / sizes
        return int(max(10, min(3000, per_school / (n * n))))

    def generate(self, k: int, limit: list[float], iterations: int, noise: float = 0.0, start=None) -> int | None:
        case = self.inst.cases[k]
        routes = start if start is not None else build_routes(case, limit, self.rng, noise=noise)
        routes = lns_routes(case, routes, limit, self.rng, iterations)
        self.budget.spend(iterations * max(1, case.n) ** 2 + GENERATE_OVERHEAD)
        return self.add_option(k, routes)

    def initial_options(self, fraction: float) -> None:
        inst = self.inst
        ride = inst.params.max_ride
        caps_per_school = [len(CAP_FRACTIONS) if self.fed_possible[k] else 1 for k in range(inst.ns)]
        share = fraction / max(1.0, float(np.mean(caps_per_school)))
        for k in range(inst.ns):
            case = inst.cases[k]
            if case.n == 0:
                self.add_option(k, [])
                continue
            base = case.ride_limit()
            iterations = self.lns_iterations(k, share)
            base_routes = None
            for frac in sorted(CAP_FRACTIONS, reverse=True)[: caps_per_school[k]]:
                limit = [min(b, frac * ride) for b in base]
                start = None
                if base_routes is not None and frac >= 0.9:
                    start = [list(r) for r in base_routes if case.duration(r) <= frac * ride]
                    covered = {v for r in start for v in r}
                    start += [[v] for v in range(case.n) if v not in covered]
                idx = self.generate(k, limit, iterations, start=start)
                if base_routes is None and idx is not None:
                    base_routes = [
                        [int(np.searchsorted(inst.members[k], v)) for v in r.visits]
                        for r in self.options[k][idx].routes
                    ]
            if self.budget.exhausted():
                # Every school still needs at least one option.
                for rest in range(k + 1, inst.ns):
                    if not self.options[rest]:
                        self.generate(rest, inst.cases[rest].ride_limit(), 10)
                return

    # -- choosing one option per school ---------------------------------------
    def evaluate(self, choice: list[int]) -> tuple[int, float]:
        opts = [self.options[k][c] for k, c in enumerate(choice)]
        supply = np.array([o.size for o in opts])
        compat = np.concatenate([o.compat for o in opts])
        routes = int(supply.sum())
        self.budget.spend(routes * 40 + FLOW_OVERHEAD)
        return routes - max_chain_links(supply, compat), sum(o.duration for o in opts)

    def local_search(self, choice: list[int], schools=None) -> tuple[list[int], tuple]:
        best = self.evaluate(choice)
        order = list(schools if schools is not None else range(self.inst.ns))
        improved = True
        while improved and not self.budget.exhausted():
            improved = False
            self.rng.shuffle(order)
            for k in order:
                if len(self.options[k]) < 2:
                    continue
                current = choice[k]
                for c in range(len(self.options[k])):
                    if c == current:
                        continue
                    choice[k] = c
                    value = self.evaluate(choice)
                    if value < best:
                        best, current, improved = value, c, True
                choice[k] = current
                if self.budget.exhausted():
                    break
        return choice, best

    def fewest_routes_choice(self) -> list[int]:
        return [min(range(len(opts)), key=lambda c: (opts[c].size, opts[c].duration)) for opts in self.options]

    # -- rerouting against the current plan ------------------------------------
    def free_buses(self, choice: list[int], k: int) -> np.ndarray:
        """Buses per school that school k's routes may use: unused ones and k's own feeders."""
        opts = [self.options[j][c] for j, c in enumerate(choice)]
        supply = np.array([o.size for o in opts])
        compat = np.concatenate([o.compat for o in opts])
        start = sum(o.size for o in opts[:k])
        release = np.arange(start, start + opts[k].size)
        self.budget.spend(len(compat) * 80 + 2 * FLOW_OVERHEAD)
        free = leftover_supply(supply, compat, release)
        # Schools whose bus a re-chaining of the others could free count as one more.
        others = (
            np.concatenate([o.compat for j, o in enumerate(opts) if j != k])
            if len(opts) > 1
            else np.zeros((0, self.inst.ns), dtype=bool)
        )
        reduced = supply.copy()
        reduced[k] = 0
        free = np.maximum(free, spare_schools(reduced, others).astype(int))
        free[k] = 0
        return free

    def unfed_cost(self, k: int, free: np.ndarray):
        """Cost of a plan for school k: buses it needs beyond those free to reach it."""
        inst = self.inst
        idx = inst.members[k]
        donors = np.flatnonzero(free)
        counts = free[donors].tolist()
        reach = inst.reach[donors][:, idx].T.tolist()  # reach[local stop][donor]
        bell = float(inst.bell[k])

        def cost(routes, durs):
            need = [[d for d, t in enumerate(reach[r[0]]) if t <= bell - dur + 1e-6] for r, dur in zip(routes, durs)]
            unfed = len(routes) - _b_matching(need, counts)
            return UNFED_WEIGHT * unfed + ROUTE_WEIGHT * len(routes)

        return cost

    def reroute_school(self, choice: list[int], k: int, fraction: float) -> int | None:
        """A plan for school k that tries to ride on buses free at other schools."""
        inst = self.inst
        free = self.free_buses(choice, k)
        case = inst.cases[k]
        start = [
            [int(np.searchsorted(inst.members[k], v)) for v in r.visits] for r in self.options[k][choice[k]].routes
        ]
        iterations = max(30, self.lns_iterations(k, fraction))
        routes = lns_routes(case, start, case.ride_limit(), self.rng, iterations, plan_cost=self.unfed_cost(k, free))
        self.budget.spend(iterations * (max(1, case.n) ** 2 + 30 * len(start)) + GENERATE_OVERHEAD)
        return self.add_option(k, routes)

    def fresh_option(self, k: int, fraction: float) -> int | None:
        """Another capped plan for school k, with a random cap and randomised savings."""
        case = self.inst.cases[k]
        cap = self.rng.uniform(0.3, 1.05) * self.inst.params.max_ride
        limit = [min(b, cap) for b in case.ride_limit()]
        return self.generate(
            k, limit, max(20, self.lns_iterations(k, fraction)), noise=self.rng.choice((0.1, 0.3, 0.6))
        )

    def improve(self, choice: list[int], best: tuple, fraction: float) -> tuple[list[int], tuple]:
        inst = self.inst
        candidates = [k for k in range(inst.ns) if self.fed_possible[k]]
        if not candidates:
            return choice, best
        rounds = stale = gains = 0
        while not self.budget.exhausted() and stale < SATURATED * len(candidates):
            rounds += 1
            stale += 1
            k = self.rng.choice(candidates)
            if rounds % 2:
                idx = self.reroute_school(choice, k, fraction)
            else:
                idx = self.fresh_option(k, fraction)
            if idx is None:
                continue
            stale = 0
            old = choice[k]
            choice[k] = idx
            value = self.evaluate(choice)
            if value < best:
                if value[0] < best[0]:
                    gains += 1
                best = value
            else:
                choice[k] = old
            if rounds % (4 * len(candidates)) == 0:
                choice, best = self.local_search(choice)
        choice, best = self.local_search(choice)
        self.log(f"improving rounds: {rounds}, gains {gains}, {best[0]} buses, work {self.budget.used:.3g}")
        return choice, best

    # -- output ----------------------------------------------------------------
    def build_solution(self, choice: list[int]) -> Solution:
        inst = self.inst
        routes = [r for k, c in enumerate(choice) for r in self.options[k][c].routes]
        buses = chain_routes(inst, routes)
        out = []
        for chain in buses:
            bus = []
            for i in chain:
                r = routes[i]
                pickups = tuple(Pickup(inst.stops[inst.visits[v].stop].id, inst.visits[v].students) for v in r.visits)
                bus.append(Route(inst.schools[r.school].id, pickups))
            out.append(tuple(bus))
        return Solution(tuple(out))


def _b_matching(need: list[list[int]], counts: list[int]) -> int:
    """Routes matched to donors with ``counts`` buses each (augmenting paths)."""
    left = list(counts)
    holder: dict[int, list[int]] = {}
    owner: list[int | None] = [None] * len(need)

    def place(r: int, seen: set[int]) -> bool:
        for d in need[r]:
            if d in seen:
                continue
            seen.add(d)
            if left[d] > 0:
                left[d] -= 1
                holder.setdefault(d, []).append(r)
                owner[r] = d
                return True
            for other in list(holder.get(d, [])):
                if place(other, seen):
                    holder[d].remove(other)
                    holder[d].append(r)
                    owner[r] = d
                    return True
        return False

    matched = 0
    for r in sorted(range(len(need)), key=lambda i: len(need[i])):
        if need[r] and place(r, set()):
            matched += 1
    return matched


def solve(
    problem: Problem, *, time_limit: float = 60.0, seed: int = 0, log=None, work: float | None = None
) -> SolveResult:
    """Routes and buses for ``problem``; the returned solution has passed the checker.

    ``work`` sets the effort in work units directly (the default derives it
    from ``time_limit``), so a result can be repeated on a busy machine;
    ``time_limit`` then only bounds the wall clock.
    """
    started = time.monotonic()
    planner = Planner(problem, time_limit, seed, log, work)
    planner.initial_options(0.3)
    choice = planner.fewest_routes_choice()
    choice, best = planner.local_search(choice)
    planner.log(f"options built: {best[0]} buses, work {planner.budget.used:.3g}, {time.monotonic() - started:.1f} s")
    choice, best = planner.improve(choice, best, 0.01)
    solution = planner.build_solution(choice)
    report = check_solution(problem, solution)
    if not report.ok:
        raise RuntimeError("engine produced an infeasible plan:\n" + report.summary())
    stats = {
        "buses": solution.bus_count,
        "routes": solution.route_count,
        "seconds": round(time.monotonic() - started, 1),
        "cut_by_clock": planner.budget.cut_by_clock,
        "options": sum(len(o) for o in planner.options),
    }
    return SolveResult(solution, report, stats)
