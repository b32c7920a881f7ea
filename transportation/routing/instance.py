"""The engine's indexed view of a problem: visits, travel times, compatibilities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Problem
from .routes import SchoolCase

EPS = 1e-6


@dataclass(frozen=True)
class Visit:
    stop: int  # index into problem.stops
    students: int


class Instance:
    """Arrays over schools and visits (a stop, or one bus-load share of a big stop)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        p = self.params = problem.params
        self.schools = list(problem.schools)
        self.school_index = {s.id: k for k, s in enumerate(self.schools)}
        self.stops = list(problem.stops)
        visits: list[Visit] = []
        for i, stop in enumerate(self.stops):
            left = stop.students
            while left > 0:
                share = min(left, p.capacity)
                visits.append(Visit(i, share))
                left -= share
        self.visits = visits
        nv, ns = len(visits), len(self.schools)
        self.vx = np.array([self.stops[v.stop].x for v in visits], dtype=float)
        self.vy = np.array([self.stops[v.stop].y for v in visits], dtype=float)
        self.vschool = np.array([self.school_index[self.stops[v.stop].school] for v in visits], dtype=int)
        self.vload = np.array([v.students for v in visits], dtype=int)
        self.vdwell = p.stop_time + p.stop_time_per_student * self.vload
        self.sx = np.array([s.x for s in self.schools], dtype=float)
        self.sy = np.array([s.y for s in self.schools], dtype=float)
        self.bell = np.array([s.bell for s in self.schools], dtype=float)
        # When a bus freed at school j (arrived at its bell, unloaded) reaches visit v.
        feet = np.abs(self.sx[:, None] - self.vx[None, :]) + np.abs(self.sy[:, None] - self.vy[None, :])
        self.school_to_visit_feet = feet
        self.reach = self.bell[:, None] + p.unload_time + feet / p.speed
        dx, dy = p.depot
        self.depot_to_visit_feet = np.abs(self.vx - dx) + np.abs(self.vy - dy)
        self.school_to_depot_feet = np.abs(self.sx - dx) + np.abs(self.sy - dy)
        self.members: list[np.ndarray] = [np.flatnonzero(self.vschool == k) for k in range(ns)]
        self.cases = [self._case(k) for k in range(ns)]
        self.nv, self.ns = nv, ns

    def _case(self, k: int) -> SchoolCase:
        p = self.params
        idx = self.members[k]
        x = np.append(self.vx[idx], self.sx[k])
        y = np.append(self.vy[idx], self.sy[k])
        feet = np.abs(x[:, None] - x[None, :]) + np.abs(y[:, None] - y[None, :])
        return SchoolCase(
            n=len(idx),
            time=(feet / p.speed).tolist(),
            dwell=self.vdwell[idx].tolist(),
            load=self.vload[idx].tolist(),
            capacity=p.capacity,
            max_ride=p.max_ride,
        )


@dataclass(frozen=True)
class RouteInfo:
    """A built route with what chaining needs to know about it."""

    school: int
    visits: tuple[int, ...]  # global visit indices, pick-up order
    duration: float
    feet: float

    @property
    def first(self) -> int:
        return self.visits[0]


def route_info(inst: Instance, school: int, local_seq) -> RouteInfo:
    idx = inst.members[school]
    case = inst.cases[school]
    seq = tuple(int(idx[v]) for v in local_seq)
    duration = case.duration(list(local_seq))
    dwell = float(sum(case.dwell[v] for v in local_seq))
    feet = (duration - dwell) * inst.params.speed
    return RouteInfo(school, seq, duration, feet)


def compat_matrix(inst: Instance, routes: list[RouteInfo]) -> np.ndarray:
    """[r, j] is True when a bus that served school j can run route r next."""
    if not routes:
        return np.zeros((0, inst.ns), dtype=bool)
    first = np.array([r.first for r in routes])
    latest = np.array([inst.bell[r.school] - r.duration for r in routes])
    return latest[:, None] + EPS >= inst.reach[:, first].T
