"""Chaining fixed routes into buses.

Route b can follow route a when a bus that reached a's school at its bell and
unloaded can drive to b's first stop and still run b by b's bell.  Buses are
paths in this acyclic graph, so the fewest buses is a minimum path cover:
routes minus a maximum bipartite matching.  All routes of one school are the
same as predecessors, so counting buses is a maximum flow from schools (each
supplying one bus per route) to routes.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from .instance import Instance, RouteInfo, compat_matrix


def _flow_graph(supply: np.ndarray, compat: np.ndarray):
    nr, ns = compat.shape
    rows, cols = np.nonzero(compat)
    source, sink = 0, 1 + ns + nr
    used = np.flatnonzero(supply > 0)
    tails = np.concatenate([np.zeros(len(used), dtype=np.int64), 1 + cols, 1 + ns + np.arange(nr)])
    heads = np.concatenate([1 + used, 1 + ns + rows, np.full(nr, sink)])
    caps = np.concatenate([supply[used], np.ones(len(rows)), np.ones(nr)]).astype(np.int32)
    graph = csr_matrix((caps, (tails, heads)), shape=(sink + 1, sink + 1))
    return graph, source, sink


def max_chain_links(supply: np.ndarray, compat: np.ndarray) -> int:
    """Maximum number of route-to-route links; ``compat[r, j]``: route r may follow school j."""
    if compat.shape[0] == 0 or not compat.any():
        return 0
    graph, source, sink = _flow_graph(supply, compat)
    return int(maximum_flow(graph, source, sink, method="dinic").flow_value)


def leftover_supply(supply: np.ndarray, compat: np.ndarray, release: np.ndarray | None = None) -> np.ndarray:
    """Per school, buses unused by one maximum chaining, plus those feeding ``release`` rows."""
    ns = compat.shape[1]
    if compat.shape[0] == 0 or not compat.any():
        return supply.copy()
    graph, source, sink = _flow_graph(supply, compat)
    flow = maximum_flow(graph, source, sink, method="dinic").flow.tocsr()
    row = flow.getrow(source)
    heads = row.indices
    mask = (heads >= 1) & (heads <= ns) & (row.data > 0)
    used = np.zeros(ns, dtype=int)
    used[heads[mask] - 1] = row.data[mask]
    left = supply - used
    if release is not None and len(release):
        # Flow from school j into route r sits at [1 + j, 1 + ns + r].
        block = flow[1 : 1 + ns][:, 1 + ns + np.asarray(release)].toarray()
        left += np.clip(block, 0, None).sum(axis=1).astype(int)
    return left


def spare_schools(supply: np.ndarray, compat: np.ndarray) -> np.ndarray:
    """Schools that keep a bus unused in some maximum flow (reachable in the residual graph)."""
    ns = compat.shape[1]
    if compat.shape[0] == 0 or not compat.any():
        return supply > 0
    graph, source, sink = _flow_graph(supply, compat)
    flow = maximum_flow(graph, source, sink, method="dinic").flow
    residual = (graph - flow).tocsr()
    residual.data = np.where(residual.data > 0, 1, 0)
    residual.eliminate_zeros()
    reached = breadth_first_order(residual, source, directed=True, return_predecessors=False)
    spare = np.zeros(ns, dtype=bool)
    schools = reached[(reached >= 1) & (reached <= ns)] - 1
    spare[schools] = True
    return spare & (supply > 0)


def count_buses(inst: Instance, routes: list[RouteInfo]) -> int:
    compat = compat_matrix(inst, routes)
    supply = np.bincount([r.school for r in routes], minlength=inst.ns)
    return len(routes) - max_chain_links(supply, compat)


def chain_routes(inst: Instance, routes: list[RouteInfo]) -> list[list[int]]:
    """Buses as lists of route indices: fewest buses, then fewest feet driven."""
    n = len(routes)
    if n == 0:
        return []
    compat = compat_matrix(inst, routes)
    school = np.array([r.school for r in routes])
    first = np.array([r.first for r in routes])
    # can[a, b]: route b may follow route a.
    can = compat[:, school].T
    deadhead = inst.school_to_visit_feet[school][:, first]
    saved = inst.school_to_depot_feet[school][:, None] + inst.depot_to_visit_feet[first][None, :]
    big = 1e9
    cost = np.where(can, deadhead - saved - big, 0.0)
    rows, cols = linear_sum_assignment(cost)
    succ = {}
    has_pred = set()
    for a, b in zip(rows, cols):
        if can[a, b]:
            succ[int(a)] = int(b)
            has_pred.add(int(b))
    buses = []
    for start in range(n):
        if start in has_pred:
            continue
        chain = [start]
        while chain[-1] in succ:
            chain.append(succ[chain[-1]])
        buses.append(chain)
    buses.sort(key=lambda c: (inst.bell[routes[c[0]].school] - routes[c[0]].duration, c[0]))
    return buses
