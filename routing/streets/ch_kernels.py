"""Compiled inner loops of the contraction-hierarchy queries in :mod:`routing.streets.ch`.

Nodes are numbered here by *decreasing rank* (internal id ``n - 1 - rank``): upward searches
touch mostly the few top nodes, which then sit together in memory, and every down-edge goes
from a smaller to a larger id, so a downward sweep is a plain loop over increasing ids.

Two CSR graphs are enough for everything:

- ``up``: row ``v`` lists the up-edges ``v -> w`` (``w`` ranked higher);
- ``dn``: row ``v`` lists the down-edges *into* ``v``, ``u -> v``, by their tail ``u`` (ranked
  higher). A target's backward search climbs it; a source's forward search uses it to *stall*
  (a node reached more cheaply by coming down from a higher node is on no shortest up-path, so
  it is not expanded) and the sweep uses it to pull costs down.

Costs are packed integers in float64 (:mod:`routing.streets.matrix`); min and + on them are
exact, so every entry equals plain Dijkstra's. numba compiles the loops once and caches the
machine code (see ``routing.planning.slack_kernels`` for the same pattern).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from routing.compiled import compiled

_CSR = "int64[:], int64[:], float64[:]"
_SEARCH = f"int64({_CSR}, {_CSR}, int64[:], float64[:], float64[:], int64[:], float64[:], int64[:])"
_CLOSURE = "int64[:](int64[:], int64[:], int64[:])"
_SUB = "Tuple((int64[:], int64[:], float64[:]))(int64[:], int64[:], float64[:], int64[:], int64[:])"
_SWEEP = (
    f"float64[:, :]({_CSR}, {_CSR}, int64[:, :], float64[:, :], int64[:], "
    "int64[:], int64[:], float64[:], int64[:, :], float64[:, :], int64)"
)
_SPACES = f"Tuple((int64[:], int64[:], float64[:]))({_CSR}, {_CSR}, int64[:, :], float64[:, :])"
INF = np.inf


@njit(nogil=True, inline="always")
def _push(hkey, hval, size, key, val):  # type: ignore[no-untyped-def]
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if hkey[parent] <= key:
            break
        hkey[i], hval[i] = hkey[parent], hval[parent]
        i = parent
    hkey[i], hval[i] = key, val
    return size + 1


@njit(nogil=True, inline="always")
def _pop(hkey, hval, size):  # type: ignore[no-untyped-def]
    size -= 1
    key, val = hkey[size], hval[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and hkey[child + 1] < hkey[child]:
            child += 1
        if key <= hkey[child]:
            break
        hkey[i], hval[i] = hkey[child], hval[child]
        i = child
    hkey[i], hval[i] = key, val
    return size


@compiled(_SEARCH)
def upward_search(ptr, head, w, st_ptr, st_head, st_w, seeds, seed_cost, dist, touched, hkey, hval):  # type: ignore[no-untyped-def]
    """Dijkstra up the hierarchy from ``seeds`` (start costs ``seed_cost``), with stalling.

    ``dist`` must be all inf on entry; on return it holds the search's labels (upper bounds,
    exact on every shortest up-path) and ``touched[:count]`` lists the labelled nodes, so the
    caller reads them and resets only those. ``hkey``/``hval`` are the binary heap's storage
    (at least ``len(head) + len(seeds)`` long). Returns ``count``.
    """
    count = 0
    size = 0
    for c in range(seeds.shape[0]):
        v, d = seeds[c], seed_cost[c]
        if d < dist[v]:
            if dist[v] == INF:
                touched[count] = v
                count += 1
            dist[v] = d
            size = _push(hkey, hval, size, d, v)
    while size > 0:
        d, v = hkey[0], hval[0]
        size = _pop(hkey, hval, size)
        if d > dist[v]:
            continue
        stalled = False
        for e in range(st_ptr[v], st_ptr[v + 1]):
            if dist[st_head[e]] + st_w[e] < d:
                stalled = True
                break
        if stalled:
            continue
        for e in range(ptr[v], ptr[v + 1]):
            x = head[e]
            nd = d + w[e]
            if nd < dist[x]:
                if dist[x] == INF:
                    touched[count] = x
                    count += 1
                dist[x] = nd
                size = _push(hkey, hval, size, nd, x)
    return count


@compiled(_CLOSURE)
def closure(dn_ptr, dn_head, targets):  # type: ignore[no-untyped-def]
    """Sorted ids of every node a target's backward search can reach (the targets' ``T'``).

    Backward edges lead to smaller ids, so one pass over decreasing ids settles every mark.
    """
    n = dn_ptr.shape[0] - 1
    mark = np.zeros(n, np.bool_)
    for t in targets:
        mark[t] = True
    count = 0
    for v in range(n - 1, -1, -1):
        if mark[v]:
            count += 1
            for e in range(dn_ptr[v], dn_ptr[v + 1]):
                mark[dn_head[e]] = True
    out = np.empty(count, np.int64)
    k = 0
    for v in range(n):
        if mark[v]:
            out[k] = v
            k += 1
    return out


@compiled(_SUB)
def sub_graph(dn_ptr, dn_head, dn_w, nodes, pos):  # type: ignore[no-untyped-def]
    """The down-edges into ``nodes`` (a closure) as a CSR over their rows ``pos[node]``."""
    rows = nodes.shape[0]
    ptr = np.zeros(rows + 1, np.int64)
    for r in range(rows):
        v = nodes[r]
        ptr[r + 1] = ptr[r] + dn_ptr[v + 1] - dn_ptr[v]
    src = np.empty(ptr[rows], np.int64)
    cost = np.empty(ptr[rows], np.float64)
    for r in range(rows):
        v = nodes[r]
        k = ptr[r]
        for e in range(dn_ptr[v], dn_ptr[v + 1]):
            src[k] = pos[dn_head[e]]
            cost[k] = dn_w[e]
            k += 1
    return ptr, src, cost


@compiled(_SWEEP)
def sweep_matrix(up_ptr, up_head, up_w, dn_ptr, dn_head, dn_w, seed, seed_cost,  # type: ignore[no-untyped-def]
                 pos, in_ptr, in_src, in_w, tgt_row, tgt_cost, batch):
    """Packed costs from each source (a row of seeds) to each target (a row of entry rows).

    RPHAST: per batch of sources, their upward searches fill a ``rows x batch`` table over the
    targets' closure; one downward sweep then relaxes every down-edge for the whole batch at
    once (the inner loop runs over contiguous sources); each target reads its entry rows.
    """
    n_src, m, n = seed.shape[0], tgt_row.shape[0], up_ptr.shape[0] - 1
    rows = in_ptr.shape[0] - 1
    out = np.empty((n_src, m), np.float64)
    table = np.empty((rows, batch), np.float64)
    dist = np.full(n, INF)
    touched = np.empty(n, np.int64)
    hkey = np.empty(up_head.shape[0] + seed.shape[1] + 1, np.float64)
    hval = np.empty(up_head.shape[0] + seed.shape[1] + 1, np.int64)
    for lo in range(0, n_src, batch):
        kk = min(batch, n_src - lo)
        table[:, :] = INF
        for k in range(kk):
            count = upward_search(up_ptr, up_head, up_w, dn_ptr, dn_head, dn_w,
                                  seed[lo + k], seed_cost[lo + k], dist, touched, hkey, hval)
            for i in range(count):
                v = touched[i]
                if pos[v] >= 0:
                    table[pos[v], k] = dist[v]
                dist[v] = INF
        for r in range(rows):
            cur = table[r]
            for e in range(in_ptr[r], in_ptr[r + 1]):
                above = table[in_src[e]]
                c = in_w[e]
                for k in range(batch):
                    cur[k] = min(cur[k], above[k] + c)
        for j in range(m):
            for k in range(kk):
                out[lo + k, j] = INF
            for c in range(tgt_row.shape[1]):
                r, extra = tgt_row[j, c], tgt_cost[j, c]
                if r >= 0 and extra < INF:
                    line = table[r]
                    for k in range(kk):
                        out[lo + k, j] = min(out[lo + k, j], line[k] + extra)
    return out


@compiled(_SPACES)
def search_spaces(ptr, head, w, st_ptr, st_head, st_w, seed, seed_cost):  # type: ignore[no-untyped-def]
    """The labelled nodes and labels of one upward search per row of seeds, concatenated.

    Returns ``(start, nodes, labels)``: search ``i`` is ``nodes[start[i]:start[i + 1]]``.
    """
    k, n = seed.shape[0], ptr.shape[0] - 1
    dist = np.full(n, INF)
    touched = np.empty(n, np.int64)
    hkey = np.empty(head.shape[0] + seed.shape[1] + 1, np.float64)
    hval = np.empty(head.shape[0] + seed.shape[1] + 1, np.int64)
    start = np.zeros(k + 1, np.int64)
    nodes = np.empty(max(16, 64 * k), np.int64)
    labels = np.empty(nodes.shape[0], np.float64)
    for i in range(k):
        count = upward_search(ptr, head, w, st_ptr, st_head, st_w, seed[i], seed_cost[i],
                              dist, touched, hkey, hval)
        while start[i] + count > nodes.shape[0]:
            nodes = np.concatenate((nodes, np.empty(nodes.shape[0], np.int64)))
            labels = np.concatenate((labels, np.empty(labels.shape[0], np.float64)))
        for j in range(count):
            v = touched[j]
            nodes[start[i] + j] = v
            labels[start[i] + j] = dist[v]
            dist[v] = INF
        start[i + 1] = start[i] + count
    return start, nodes[: start[k]], labels[: start[k]]


@compiled("float64[:, :](int64[:], int64[:], float64[:], int64[:], int64[:], float64[:], int64)")
def join_spaces(f_start, f_nodes, f_labels, b_start, b_nodes, b_labels, n):  # type: ignore[no-untyped-def]
    """Entry ``(i, j)``: the cheapest meeting of forward space ``i`` and backward space ``j``."""
    k, m = f_start.shape[0] - 1, b_start.shape[0] - 1
    out = np.empty((k, m), np.float64)
    dist = np.full(n, INF)
    for i in range(k):
        for e in range(f_start[i], f_start[i + 1]):
            dist[f_nodes[e]] = f_labels[e]
        for j in range(m):
            best = INF
            for e in range(b_start[j], b_start[j + 1]):
                best = min(best, dist[b_nodes[e]] + b_labels[e])
            out[i, j] = best
        for e in range(f_start[i], f_start[i + 1]):
            dist[f_nodes[e]] = INF
    return out
