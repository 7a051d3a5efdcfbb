"""Door-to-door travel-time and distance matrices between snapped points; route geometry.

Costs are *packed* into one float64 per path so that a single shortest-path search gives both
time and distance, exactly: ``packed = time_ms * 2**24 + length_dm``. Sums of packed values stay
integers below 2**53 (paths up to 149 h and 1677 km), so float64 adds them without rounding,
and minimising the packed value minimises time first and distance second (ties broken the same
way everywhere, which keeps matrices reproducible).

A point snapped onto segment (u, v) at fraction t leaves by u->v (cost (1-t) w) or v->u
(cost t w) when those directions exist, and is reached the other way round; two points on the
same segment may also ride straight along it. A node-to-node engine (:class:`DijkstraEngine`
here, a contraction hierarchy in :mod:`routing.streets.ch`) supplies the middle part, in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from routing.streets.graph import Graph
from routing.streets.snap import SnappedPoint

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
SHIFT = float(2**24)


def pack(time_s: FloatArray, length_m: FloatArray) -> FloatArray:
    """Pack seconds and metres into one exact, lexicographically ordered float64 cost."""
    packed = np.round(np.asarray(time_s) * 1000.0) * SHIFT + np.round(np.asarray(length_m) * 10.0)
    return np.asarray(packed, dtype=np.float64)


def unpack(packed: FloatArray) -> tuple[IntArray, IntArray]:
    """Split packed costs into (seconds, metres), both rounded to int64."""
    packed = np.asarray(packed, dtype=np.float64)
    # the same float operations as the plain formulas, done in place: a 1000x1000 table is 8 MB
    time_ms = np.floor(packed / SHIFT)
    length_dm = time_ms * SHIFT
    np.subtract(packed, length_dm, out=length_dm)
    for part, scale in ((time_ms, 1000.0), (length_dm, 10.0)):
        np.divide(part, scale, out=part)
        np.add(part, 0.5, out=part)
        np.floor(part, out=part)
    return time_ms.astype(np.int64), length_dm.astype(np.int64)


def edge_weights(graph: Graph) -> FloatArray:
    """Packed cost of every edge (at least one unit, so no edge is free)."""
    return np.maximum(pack(graph.time_s, graph.length_m), 1.0)


class Engine(Protocol):
    """Node-to-node shortest packed costs, many to many."""

    def distances(self, sources: IntArray, targets: IntArray) -> FloatArray: ...


class DijkstraEngine:
    """Plain scipy Dijkstra, searching from whichever side has fewer distinct nodes."""

    def __init__(self, graph: Graph, weights: FloatArray) -> None:
        n = graph.n_nodes
        self.fwd = csr_matrix((weights, graph.head, graph.indptr), shape=(n, n))
        self.bwd = self.fwd.T.tocsr()

    def distances(self, sources: IntArray, targets: IntArray) -> FloatArray:
        """Packed cost matrix ``len(sources) x len(targets)``."""
        src, s_inv = np.unique(sources, return_inverse=True)
        tgt, t_inv = np.unique(targets, return_inverse=True)
        if src.size <= tgt.size:
            d = dijkstra(self.fwd, indices=src)[:, tgt]
        else:
            d = dijkstra(self.bwd, indices=tgt)[:, src].T
        return np.asarray(d[np.ix_(s_inv, t_inv)], dtype=np.float64)


@dataclass(frozen=True)
class Ends:
    """The ways in and out of a batch of snapped points (2 options each; inf when absent)."""

    segment: IntArray
    fraction: FloatArray
    exit_node: IntArray
    exit_cost: FloatArray
    entry_node: IntArray
    entry_cost: FloatArray
    fwd_cost: FloatArray
    bwd_cost: FloatArray


def ends_of(graph: Graph, weights: FloatArray, points: list[SnappedPoint]) -> Ends:
    """Exit and entry options of each point (columns: 0 = via u->v, 1 = via v->u)."""
    seg = np.array([p.segment for p in points], dtype=np.int64)
    t = np.array([p.fraction for p in points], dtype=np.float64)
    ef, eb = graph.seg_fwd[seg], graph.seg_bwd[seg]
    w_f = np.where(ef >= 0, weights[ef], np.inf)
    w_b = np.where(eb >= 0, weights[eb], np.inf)
    u, v = graph.seg_u[seg], graph.seg_v[seg]
    exit_cost = np.stack([_part(1 - t, w_f), _part(t, w_b)], axis=1)
    entry_cost = np.stack([_part(t, w_f), _part(1 - t, w_b)], axis=1)
    return Ends(
        segment=seg, fraction=t,
        exit_node=np.stack([v, u], axis=1), exit_cost=exit_cost,
        entry_node=np.stack([u, v], axis=1), entry_cost=entry_cost,
        fwd_cost=w_f, bwd_cost=w_b,
    )


def _part(fraction: FloatArray, cost: FloatArray) -> FloatArray:
    """``fraction * cost`` rounded to whole packed units (sums stay exact); inf stays inf."""
    finite = np.isfinite(cost)
    safe = np.where(finite, cost, 0.0)
    time_ms = np.floor(safe / SHIFT)  # scale time and length separately: a packed value is
    length_dm = safe - time_ms * SHIFT  # not linear across the boundary between the two
    part = np.round(fraction * time_ms) * SHIFT + np.round(fraction * length_dm)
    return np.where(finite, part, np.inf)


def block(engine: Engine, a: Ends, b: Ends) -> FloatArray:
    """Packed door-to-door costs from every point of ``a`` to every point of ``b``."""
    n, m = a.segment.shape[0], b.segment.shape[0]
    if n == 0 or m == 0:
        return np.zeros((n, m), dtype=np.float64)
    merged = getattr(engine, "ends_distances", None)
    best = None if merged is None else merged(a.exit_node, a.exit_cost, b.entry_node, b.entry_cost)
    if best is None:
        nodes = engine.distances(a.exit_node.ravel(), b.entry_node.ravel()).reshape(n, 2, m, 2)
        total = a.exit_cost[:, :, None, None] + nodes + b.entry_cost[None, None, :, :]
        best = total.min(axis=(1, 3))
    best = np.array(best, dtype=np.float64)
    # riding straight along a shared segment: rare pairs, so cost them only where they occur
    i, j = _same_segment_pairs(a.segment, b.segment)
    if i.size:
        dt = b.fraction[j] - a.fraction[i]
        along = np.where(dt >= 0, _part(dt, a.fwd_cost[i]), _part(-dt, a.bwd_cost[i]))
        best[i, j] = np.minimum(best[i, j], np.where(dt == 0, 0.0, along))
    return best


def _same_segment_pairs(seg_a: IntArray, seg_b: IntArray) -> tuple[IntArray, IntArray]:
    """Every ``(i, j)`` with ``seg_a[i] == seg_b[j]``, by sorting (no ``n x m`` mask)."""
    order = np.argsort(seg_b, kind="stable")
    sorted_b = seg_b[order]
    lo = np.searchsorted(sorted_b, seg_a, side="left")
    counts = np.searchsorted(sorted_b, seg_a, side="right") - lo
    i = np.repeat(np.arange(seg_a.size), counts)
    within = np.arange(i.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return i, order[np.repeat(lo, counts) + within]


def square(engine: Engine, ends: Ends) -> FloatArray:
    """Packed matrix among one batch of points, with a zero diagonal."""
    out = block(engine, ends, ends)
    np.fill_diagonal(out, 0.0)
    return out


def route_nodes(fwd: csr_matrix, a: Ends, b: Ends) -> tuple[float, list[int] | None]:
    """Cheapest path from the single point of ``a`` to the single point of ``b``.

    Returns the packed cost and the graph nodes ridden through, or None when the best way is
    straight along the shared segment.
    """
    best_cost, best_nodes = np.inf, None
    if a.segment[0] == b.segment[0]:
        dt = float(b.fraction[0] - a.fraction[0])
        cost = a.fwd_cost[0] if dt >= 0 else a.bwd_cost[0]
        best_cost = 0.0 if dt == 0 else float(_part(np.array(abs(dt)), np.array(cost)))
    for i in range(2):
        if not np.isfinite(a.exit_cost[0, i]):
            continue
        dist, pred = dijkstra(fwd, indices=int(a.exit_node[0, i]), return_predecessors=True)
        for j in range(2):
            cost = float(a.exit_cost[0, i] + dist[b.entry_node[0, j]] + b.entry_cost[0, j])
            if cost < best_cost:
                best_cost, best_nodes = cost, _walk_back(pred, int(b.entry_node[0, j]))
    return best_cost, best_nodes


def _walk_back(pred: npt.NDArray[np.int32], node: int) -> list[int]:
    path = [node]
    while pred[path[-1]] >= 0:
        path.append(int(pred[path[-1]]))
    return path[::-1]
