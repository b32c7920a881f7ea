"""Route construction for one school: randomised savings, then local search.

A school's pick-ups ("visits": a stop, or a bus-load share of a stop too big
for one bus) are numbered 0..n-1 and the school itself is n.  A route is a
list of visit numbers in pick-up order.  Its duration runs from the bus
reaching the first stop to its arrival at school; the longest ride is the
duration less the first stop's boarding time.

Every route obeys a per-first-stop duration limit ``limit[first]``, which is
at most ``max_ride + dwell[first]`` (the ride rule) and can be tighter when
the caller wants routes short enough to follow another school's bell.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

INF = float("inf")


@dataclass
class SchoolCase:
    """Travel times and loads for the visits of one school."""

    n: int
    time: list[list[float]]  # (n+1) x (n+1) seconds, index n is the school
    dwell: list[float]
    load: list[int]
    capacity: int
    max_ride: float

    def ride_limit(self) -> list[float]:
        return [self.max_ride + d for d in self.dwell]

    def duration(self, seq) -> float:
        t = self.time
        total = 0.0
        for a, b in itertools.pairwise(seq):
            total += t[a][b]
        total += t[seq[-1]][self.n]
        for v in seq:
            total += self.dwell[v]
        return total

    def route_load(self, seq) -> int:
        return sum(self.load[v] for v in seq)


def savings_routes(
    case: SchoolCase, limit: list[float], rng: random.Random, noise: float = 0.0, bias: float = 1.0
) -> list[list[int]]:
    """Open-route savings: join a route ending at i with one starting at j.

    ``bias`` weights the joining leg (above 1 favours compact routes);
    ``noise`` randomises the order in which joins are tried.
    """
    n, t, school = case.n, case.time, case.n
    routes: dict[int, list[int]] = {v: [v] for v in range(n)}
    route_of = list(range(n))
    load = {v: case.load[v] for v in range(n)}
    dur = {v: case.dwell[v] + t[v][school] for v in range(n)}
    pairs = []
    for i in range(n):
        ti, tis = t[i], t[i][school]
        for j in range(n):
            if i != j and case.load[i] + case.load[j] <= case.capacity:
                s = tis - bias * ti[j]
                if noise:
                    s += noise * (rng.random() - 0.5) * (abs(s) + 60.0)
                pairs.append((s, i, j))
    pairs.sort(reverse=True)
    for _, i, j in pairs:
        a, b = route_of[i], route_of[j]
        if a == b:
            continue
        ra, rb = routes[a], routes[b]
        if ra[-1] != i or rb[0] != j:
            continue
        if load[a] + load[b] > case.capacity:
            continue
        new_dur = dur[a] - t[i][school] + t[i][j] + dur[b]
        if new_dur > limit[ra[0]]:
            continue
        ra.extend(rb)
        load[a] += load[b]
        dur[a] = new_dur
        for v in rb:
            route_of[v] = a
        del routes[b], load[b], dur[b]
    return list(routes.values())


def _best_order(case: SchoolCase, seq: list[int], limit: list[float]) -> list[int]:
    """Shorten one route by 2-opt and or-opt moves, keeping it within its limit."""
    best = list(seq)
    best_dur = case.duration(best)
    if len(best) < 3:
        if len(best) == 2:
            alt = [best[1], best[0]]
            d = case.duration(alt)
            if d < best_dur - 1e-9 and d <= limit[alt[0]]:
                return alt
        return best
    improved = True
    while improved:
        improved = False
        m = len(best)
        for i in range(m - 1):
            for j in range(i + 1, m):
                cand = best[:i] + best[i : j + 1][::-1] + best[j + 1 :]
                d = case.duration(cand)
                if d < best_dur - 1e-9 and d <= limit[cand[0]]:
                    best, best_dur, improved = cand, d, True
        for i in range(m):
            for seg in (1, 2):
                if i + seg > m:
                    continue
                block = best[i : i + seg]
                rest = best[:i] + best[i + seg :]
                for k in range(len(rest) + 1):
                    if k == i:
                        continue
                    cand = rest[:k] + block + rest[k:]
                    d = case.duration(cand)
                    if d < best_dur - 1e-9 and d <= limit[cand[0]]:
                        best, best_dur, improved = cand, d, True
                        break
                if improved:
                    break
            if improved:
                break
    return best


def _insert_cost(case: SchoolCase, seq: list[int], v: int, limit: list[float], seq_dur: float):
    """Cheapest feasible place for visit v in seq: (extra seconds, position) or None."""
    t, school = case.time, case.n
    best = None
    m = len(seq)
    for pos in range(m + 1):
        if pos == 0:
            extra = t[v][seq[0]] + case.dwell[v]
            first = v
        elif pos == m:
            extra = t[seq[-1]][v] + t[v][school] - t[seq[-1]][school] + case.dwell[v]
            first = seq[0]
        else:
            a, b = seq[pos - 1], seq[pos]
            extra = t[a][v] + t[v][b] - t[a][b] + case.dwell[v]
            first = seq[0]
        if seq_dur + extra <= limit[first] and (best is None or extra < best[0]):
            best = (extra, pos)
    return best


def improve_routes(
    case: SchoolCase, routes: list[list[int]], limit: list[float], rng: random.Random, rounds: int = 3
) -> list[list[int]]:
    """Empty the lightest routes into others, relocate visits, then reorder each route."""
    routes = [_best_order(case, r, limit) for r in routes if r]
    # Try to dissolve small routes: every visit must find room elsewhere.
    changed = True
    while changed and len(routes) > 1:
        changed = False
        order = sorted(range(len(routes)), key=lambda k: case.route_load(routes[k]))
        for k in order:
            others = [list(r) for i, r in enumerate(routes) if i != k]
            loads = [case.route_load(r) for r in others]
            durs = [case.duration(r) for r in others]
            ok = True
            for v in sorted(routes[k], key=lambda v: -case.load[v]):
                best = None
                for i, r in enumerate(others):
                    if loads[i] + case.load[v] > case.capacity:
                        continue
                    c = _insert_cost(case, r, v, limit, durs[i])
                    if c is not None and (best is None or c[0] < best[0]):
                        best = (c[0], i, c[1])
                if best is None:
                    ok = False
                    break
                _, i, pos = best
                others[i].insert(pos, v)
                loads[i] += case.load[v]
                durs[i] += best[0]
            if ok:
                routes = [_best_order(case, r, limit) for r in others]
                changed = True
                break
    # Relocate single visits where it shortens the total.
    for _ in range(rounds):
        moved = False
        loads = [case.route_load(r) for r in routes]
        durs = [case.duration(r) for r in routes]
        visits = [(v, i) for i, r in enumerate(routes) for v in r]
        rng.shuffle(visits)
        for v, _ in visits:
            src = next(i for i, r in enumerate(routes) if v in r)
            r = routes[src]
            if len(r) == 1:
                continue
            rest = [u for u in r if u != v]
            rest_dur = case.duration(rest)
            if rest_dur > limit[rest[0]]:
                continue
            gain = durs[src] - rest_dur
            best = None
            for i, other in enumerate(routes):
                if i == src or loads[i] + case.load[v] > case.capacity:
                    continue
                c = _insert_cost(case, other, v, limit, durs[i])
                if c is not None and c[0] < gain - 1e-6 and (best is None or c[0] < best[0]):
                    best = (c[0], i, c[1])
            if best is not None:
                extra, i, pos = best
                routes[src] = rest
                durs[src] = rest_dur
                loads[src] -= case.load[v]
                routes[i].insert(pos, v)
                durs[i] += extra
                loads[i] += case.load[v]
                moved = True
        routes = [_best_order(case, r, limit) for r in routes]
        if not moved:
            break
    return routes


def build_routes(
    case: SchoolCase, limit: list[float], rng: random.Random, noise: float = 0.0, bias: float = 1.0
) -> list[list[int]]:
    routes = savings_routes(case, limit, rng, noise=noise, bias=bias)
    return improve_routes(case, routes, limit, rng)


def _cheapest_insertions(
    case: SchoolCase,
    routes: list[list[int]],
    loads: list[int],
    durs: list[float],
    visits: list[int],
    limit: list[float],
    rng: random.Random,
    regret: bool,
) -> None:
    """Put visits back, each at its cheapest feasible place; open a route when none fits."""
    pending = list(visits)
    rng.shuffle(pending)
    while pending:
        if regret and len(pending) > 1:
            pick, pick_score, pick_place = 0, -INF, None
            for idx, v in enumerate(pending):
                first = second = None
                for i, r in enumerate(routes):
                    if loads[i] + case.load[v] > case.capacity:
                        continue
                    c = _insert_cost(case, r, v, limit, durs[i])
                    if c is None:
                        continue
                    if first is None or c[0] < first[0]:
                        second, first = first, (c[0], i, c[1])
                    elif second is None or c[0] < second[0]:
                        second = (c[0], i, c[1])
                if first is None:
                    score = INF
                else:
                    score = (second[0] if second else 1e5) - first[0]
                if score > pick_score:
                    pick, pick_score, pick_place = idx, score, first
            v = pending.pop(pick)
            place = pick_place
        else:
            v = pending.pop()
            place = None
            for i, r in enumerate(routes):
                if loads[i] + case.load[v] > case.capacity:
                    continue
                c = _insert_cost(case, r, v, limit, durs[i])
                if c is not None and (place is None or c[0] < place[0]):
                    place = (c[0], i, c[1])
        if place is None:
            routes.append([v])
            loads.append(case.load[v])
            durs.append(case.duration([v]))
        else:
            extra, i, pos = place
            routes[i].insert(pos, v)
            loads[i] += case.load[v]
            durs[i] += extra


def lns_routes(
    case: SchoolCase,
    routes: list[list[int]],
    limit: list[float],
    rng: random.Random,
    iterations: int,
    route_weight: float = 1e5,
    plan_cost=None,
) -> list[list[int]]:
    """Ruin and recreate to cut routes first and total duration second.

    ``plan_cost(routes, durations)``, when given, replaces the route count
    term (for example to count routes that no free bus can reach in time).
    """

    def cost(rs, ds):
        if plan_cost is not None:
            return plan_cost(rs, ds) + sum(ds)
        return route_weight * len(rs) + sum(ds)

    best = [list(r) for r in routes]
    best_d = [case.duration(r) for r in best]
    best_cost = cost(best, best_d)
    cur, cur_d, cur_cost = [list(r) for r in best], list(best_d), best_cost
    n = case.n
    if n < 2:
        iterations = 0
    temperature = 30.0
    for _it in range(iterations):
        rs = [list(r) for r in cur]
        ds = list(cur_d)
        mode = rng.random()
        removed: list[int] = []
        if mode < 0.3 and len(rs) > 1:
            # Remove a whole route, preferring light ones.
            loads = [case.route_load(r) for r in rs]
            k = min(rng.sample(range(len(rs)), min(2, len(rs))), key=lambda i: loads[i])
            removed = rs.pop(k)
            ds.pop(k)
        else:
            q = min(n, max(2, int(rng.uniform(0.1, 0.35) * n) + 1))
            if mode < 0.7:
                seed = rng.randrange(n)
                near = sorted(range(n), key=lambda v: case.time[seed][v])
                chosen = set(near[:q])
            else:
                chosen = set(rng.sample(range(n), q))
            removed = list(chosen)
            kept_r, kept_d = [], []
            for r, d in zip(rs, ds):
                if any(v in chosen for v in r):
                    r = [v for v in r if v not in chosen]
                    if not r:
                        continue
                    d = case.duration(r)
                    if d > limit[r[0]]:
                        removed.extend(r)
                        continue
                kept_r.append(r)
                kept_d.append(d)
            rs, ds = kept_r, kept_d
        loads = [case.route_load(r) for r in rs]
        _cheapest_insertions(case, rs, loads, ds, removed, limit, rng, regret=rng.random() < 0.5)
        c = cost(rs, ds)
        if c < cur_cost - 1e-9 or rng.random() < pow(2.718281828, -(c - cur_cost) / temperature):
            cur, cur_d, cur_cost = rs, ds, c
            if c < best_cost - 1e-9:
                best, best_d, best_cost = [list(r) for r in rs], list(ds), c
        temperature *= 0.995
    return [_best_order(case, r, limit) for r in best]
