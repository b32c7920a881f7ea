"""Chaining is exact: the flow count and the matched chains agree with a plain matching."""

import itertools

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from transportation.routing.chaining import chain_routes, count_buses, max_chain_links
from transportation.routing.instance import Instance, RouteInfo, compat_matrix

from .factories import random_problem


def routes_for(problem, seed):
    """Random single-school routes (one or two stops each) over a random district."""
    inst = Instance(problem)
    rng = np.random.default_rng(seed)
    routes = []
    for k in range(inst.ns):
        members = list(inst.members[k])
        rng.shuffle(members)
        while members:
            take = members[: int(rng.integers(1, 3))]
            members = members[len(take) :]
            case = inst.cases[k]
            local = [int(np.searchsorted(inst.members[k], v)) for v in take]
            routes.append(RouteInfo(k, tuple(int(v) for v in take), case.duration(local), 0.0))
    return inst, routes


def test_flow_count_equals_route_level_matching():
    for seed in range(6):
        problem = random_problem(seed, schools=6, stops=40)
        inst, routes = routes_for(problem, seed)
        compat = compat_matrix(inst, routes)
        school = np.array([r.school for r in routes])
        can = compat[:, school].T  # can[a, b]: b may follow a
        matching = maximum_bipartite_matching(csr_matrix(can.astype(int)), perm_type="column")
        matched = int((matching >= 0).sum())
        supply = np.bincount(school, minlength=inst.ns)
        assert max_chain_links(supply, compat) == matched
        buses = chain_routes(inst, routes)
        assert len(buses) == len(routes) - matched == count_buses(inst, routes)
        assert sorted(i for bus in buses for i in bus) == list(range(len(routes)))
        for bus in buses:
            for a, b in itertools.pairwise(bus):
                assert can[a, b]
