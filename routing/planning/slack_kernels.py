"""Compiled inner loops of the engine's benchmark mode: a route's slack tables and its insertion scan.

Benchmark mode (hard windows, distance) checks an insertion against per-route tables instead
of walking the whole route (``routing.planning.slack``): per position, the service start, the
load after the stop and the latest start that keeps the rest of the route feasible. Both loops
are plain loops over small integer arrays that numba compiles (``routing.compiled``); a forked
worker inherits the compiled code.
"""

from __future__ import annotations

import numpy as np

from routing.compiled import compiled

BIG = 1 << 60  # "no limit" for times and bounds (fits int64 with room for sums)

_TABLES = "Tuple((boolean, int64, int64[:], int64[:], int64[:]))" \
    "(int64[:], int64, int64, int64, int64[:, :], int64[:, :], int64[:], int64[:], int64[:], int64[:])"
_SCAN = "UniTuple(int64, 3)(int64[:], int64[:], int64[:], int64[:], int64, int64, int64, int64," \
    " int64[:, :], int64[:, :], int64[:], int64[:], int64[:])"


@compiled(_TABLES)
def route_tables(nodes, avail, shift_end, cap, t, dist, e, lat, s, q):  # type: ignore[no-untyped-def]
    """(feasible, distance, service starts, latest starts, loads after) of ``nodes``.

    ``nodes`` runs from the vehicle's start node to its end node. The latest start at a
    position is the latest service start that keeps every later stop (and the shift end)
    feasible: the forward time slack, computed backwards.
    """
    n = nodes.shape[0]
    st = np.empty(n, np.int64)
    ld = np.empty(n, np.int64)
    lt = np.empty(n, np.int64)
    clock = avail
    st[0] = clock
    ld[0] = 0
    load = 0
    cost = 0
    prev = nodes[0]
    for i in range(1, n):
        x = nodes[i]
        a = clock + s[prev] + t[prev, x]
        clock = a if a > e[x] else e[x]
        if clock > lat[x]:
            return False, 0, st, lt, ld
        load += q[x]
        if load > cap:
            return False, 0, st, lt, ld
        st[i] = clock
        ld[i] = load
        cost += dist[prev, x]
        prev = x
    if clock > shift_end:
        return False, 0, st, lt, ld
    late = shift_end
    lt[n - 1] = late
    for i in range(n - 2, -1, -1):
        x = nodes[i]
        late = late - s[x] - t[x, nodes[i + 1]]
        if lat[x] < late:
            late = lat[x]
        lt[i] = late
    return True, cost, st, lt, ld


@compiled(_SCAN)
def scan(nodes, st, lt, ld, p, d, cap, bound, t, dist, e, lat, s):  # type: ignore[no-untyped-def]
    """Cheapest feasible insertion of pickup ``p`` and dropoff ``d`` below ``bound``.

    Returns (added distance, i, j): the pickup goes after position ``i`` and the dropoff
    after position ``j`` (``j == i``: right after the pickup); (-1, -1, -1) when none.
    ``cap`` is the vehicle's capacity less the request's load. Time is checked by walking
    the shifted starts from ``i`` to ``j`` and comparing with the latest start after ``j``.
    """
    n = nodes.shape[0]
    ep, lp, sp = e[p], lat[p], s[p]
    ed, ldd, sd = e[d], lat[d], s[d]
    best_c, best_i, best_j = -1, -1, -1
    # tail[j]: the least distance the dropoff can add after any position >= j, a lower bound
    # that skips pickup positions which cannot beat the best insertion found so far
    tail = np.zeros(n, np.int64)
    if bound < BIG:
        low = BIG
        for j in range(n - 2, -1, -1):
            x, y = nodes[j], nodes[j + 1]
            extra = dist[x, d] + dist[d, y] - dist[x, y]
            if extra < low:
                low = extra
            tail[j] = low
    for i in range(n - 1):
        if ld[i] > cap:
            continue
        a, b = nodes[i], nodes[i + 1]
        pick = dist[a, p] + dist[p, b] - dist[a, b]
        together = dist[a, p] + dist[p, d] + dist[d, b] - dist[a, b]
        if together >= bound and pick + tail[i + 1] >= bound:
            continue
        arr = st[i] + s[a] + t[a, p]
        start_p = arr if arr > ep else ep
        if start_p > lp:
            continue
        out_p = start_p + sp
        if together < bound:  # dropoff right after the pickup
            ad = out_p + t[p, d]
            start_d = ad if ad > ed else ed
            if start_d <= ldd:
                an = start_d + sd + t[d, b]
                if (an if an > e[b] else e[b]) <= lt[i + 1]:
                    bound = together
                    best_c, best_i, best_j = together, i, i
        if i + 1 == n - 1 or pick + tail[i + 1] >= bound:
            continue
        an = out_p + t[p, b]
        cur = an if an > e[b] else e[b]
        if cur > lt[i + 1]:
            continue
        j, prev = i + 1, b
        while j < n - 1:
            if ld[j] > cap or pick + tail[j] >= bound:
                break
            c = nodes[j + 1]
            ad = cur + s[prev] + t[prev, d]
            if ad > ldd:
                break
            start_d = ad if ad > ed else ed
            an = start_d + sd + t[d, c]
            if (an if an > e[c] else e[c]) <= lt[j + 1]:
                delta = pick + dist[prev, d] + dist[d, c] - dist[prev, c]
                if delta < bound:
                    bound = delta
                    best_c, best_i, best_j = delta, i, j
            if j + 1 == n - 1:
                break
            an = cur + s[prev] + t[prev, c]
            cur = an if an > e[c] else e[c]
            if cur > lt[j + 1]:
                break
            j, prev = j + 1, c
    return best_c, best_i, best_j
