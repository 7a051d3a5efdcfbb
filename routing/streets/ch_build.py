"""Contraction hierarchy preprocessing: node order, shortcuts, and the up/down DAGs.

Nodes are contracted one at a time, cheapest first by the classic priority
``shortcuts added - edges removed + contracted neighbours`` (lazy updates). Contracting ``v``
adds a shortcut ``u -> w`` for each in-neighbour ``u`` and out-neighbour ``w`` unless a bounded
*witness* search from ``u`` avoiding ``v`` finds a path at most as cheap. Costs are the packed
integers of :mod:`routing.streets.matrix`, so every comparison is exact.

The result is the graph's edges plus shortcuts split by rank: *up* edges (to a higher rank) and
*down* edges (to a lower rank). Every shortest path is then up-then-down, which is what the
queries in :mod:`routing.streets.ch` exploit.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from routing.streets.graph import load_arrays, save_arrays

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
INF = float("inf")
PRIORITY_SETTLE_LIMIT = 40
CONTRACT_SETTLE_LIMIT = 300


@dataclass(frozen=True)
class Hierarchy:
    """Ranks and the hierarchy's edges: ``tail -> head`` with ``cost``, rank-split."""

    rank: IntArray
    up_tail: IntArray
    up_head: IntArray
    up_cost: FloatArray
    down_tail: IntArray
    down_head: IntArray
    down_cost: FloatArray
    level: IntArray  # sweep level: 0 at the top, 1 + the deepest down-edge tail above

    def save(self, path: Path) -> None:
        """Write the arrays to ``path`` atomically."""
        save_arrays(self, path)

    @classmethod
    def from_file(cls, path: Path) -> Hierarchy:
        """Read a hierarchy written by :meth:`save`."""
        return load_arrays(cls, path)


class _Contractor:
    def __init__(self, n: int, tails: IntArray, heads: IntArray, costs: FloatArray) -> None:
        self.out: list[dict[int, float]] = [{} for _ in range(n)]
        self.inn: list[dict[int, float]] = [{} for _ in range(n)]
        for t, h, c in zip(tails.tolist(), heads.tolist(), costs.tolist(), strict=True):
            if c < self.out[t].get(h, INF):
                self.out[t][h] = c
                self.inn[h][t] = c
        self.gone = [0] * n

    def witness(
        self, source: int, avoid: int, max_cost: float, limit: int, targets: dict[int, float]
    ) -> dict[int, float]:
        """Bounded Dijkstra from ``source`` that never enters ``avoid``.

        Stops past ``max_cost``, after ``limit`` settled nodes, or once every target is settled.
        """
        dist = {source: 0.0}
        heap = [(0.0, source)]
        settled = 0
        left = len(targets) - (source in targets)
        out = self.out
        while heap and settled < limit and left > 0:
            d, x = heapq.heappop(heap)
            if d > max_cost:
                break
            if d > dist[x]:
                continue
            settled += 1
            if x in targets and x != source:
                left -= 1
            for y, c in out[x].items():
                nd = d + c
                if y != avoid and nd < dist.get(y, INF):
                    dist[y] = nd
                    heapq.heappush(heap, (nd, y))
        return dist

    def shortcuts(self, v: int, limit: int) -> list[tuple[int, int, float]]:
        ins, outs = self.inn[v], self.out[v]
        if not ins or not outs:
            return []
        max_out = max(outs.values())
        found = []
        for u, cu in ins.items():
            dist = self.witness(u, v, cu + max_out, limit, outs)
            for w, cw in outs.items():
                if w != u and dist.get(w, INF) > cu + cw:
                    found.append((u, w, cu + cw))
        return found

    def priority(self, v: int) -> int:
        added = len(self.shortcuts(v, PRIORITY_SETTLE_LIMIT))
        return added - len(self.inn[v]) - len(self.out[v]) + self.gone[v]

    def contract(self, v: int, up: list[tuple[int, int, float]], down: list[tuple[int, int, float]]) -> None:
        new = self.shortcuts(v, CONTRACT_SETTLE_LIMIT)
        for w, c in self.out[v].items():
            up.append((v, w, c))
            del self.inn[w][v]
            self.gone[w] += 1
        for u, c in self.inn[v].items():
            down.append((u, v, c))
            del self.out[u][v]
            self.gone[u] += 1
        self.out[v], self.inn[v] = {}, {}
        for u, w, c in new:
            if c < self.out[u].get(w, INF):
                self.out[u][w] = c
                self.inn[w][u] = c


def build_hierarchy(
    n: int, tails: IntArray, heads: IntArray, costs: FloatArray,
    progress: Callable[[float], None] | None = None,
) -> Hierarchy:
    """Contract every node of a directed graph.

    Parameters
    ----------
    n : number of nodes.
    tails, heads, costs : the edges (packed integer costs as float64).
    progress : optional callback with the fraction of nodes contracted.

    Returns
    -------
    Hierarchy
    """
    con = _Contractor(n, tails, heads, costs)
    heap = [(con.priority(v), v) for v in range(n)]
    heapq.heapify(heap)
    rank = np.full(n, -1, dtype=np.int64)
    up: list[tuple[int, int, float]] = []
    down: list[tuple[int, int, float]] = []
    done = 0
    while heap:
        _, v = heapq.heappop(heap)
        if rank[v] >= 0:
            continue
        fresh = con.priority(v)
        if heap and fresh > heap[0][0]:
            heapq.heappush(heap, (fresh, v))  # lazy update: someone is cheaper now
            continue
        con.contract(v, up, down)
        rank[v] = done
        done += 1
        if progress is not None and done % 2000 == 0:
            progress(done / n)
    up_arrays, down_arrays = _arrays(up), _arrays(down)
    level = _down_levels(n, rank, down_arrays[0], down_arrays[1])
    return Hierarchy(rank, *up_arrays, *down_arrays, level)


def _arrays(edges: list[tuple[int, int, float]]) -> tuple[IntArray, IntArray, FloatArray]:
    if not edges:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.float64)
    arr = np.asarray(edges, dtype=np.float64)
    return arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2].copy()


def load_hierarchy(
    path: Path, n: int, tails: IntArray, heads: IntArray, costs: FloatArray,
    progress: Callable[[float], None] | None = None,
) -> Hierarchy:
    """The hierarchy cached at ``path``, or build it (see :func:`build_hierarchy`) and cache it."""
    if path.is_file():
        try:
            return Hierarchy.from_file(path)
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)
    hierarchy = build_hierarchy(n, tails, heads, costs, progress)
    hierarchy.save(path)
    return hierarchy


def _down_levels(n: int, rank: IntArray, down_tail: IntArray, down_head: IntArray) -> IntArray:
    """Sweep level of each node: 0 at the top, 1 + the deepest down-edge tail above it."""
    level = np.zeros(n, dtype=np.int64)
    order = np.argsort(-rank[down_tail], kind="stable")
    # process edges by decreasing tail rank: a tail's level is final before it is used
    tails, heads = down_tail[order], down_head[order]
    by_rank = np.argsort(-rank, kind="stable")
    ptr = np.searchsorted(-rank[tails], -rank[by_rank], side="left")
    end = np.searchsorted(-rank[tails], -rank[by_rank], side="right")
    for v, p, q in zip(by_rank.tolist(), ptr.tolist(), end.tolist(), strict=True):
        lv = level[v] + 1
        for w in heads[p:q].tolist():
            if level[w] < lv:
                level[w] = lv
    return level
