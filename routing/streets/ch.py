"""Many-to-many shortest paths on a contraction hierarchy, vectorised with NumPy.

Two query strategies, picked per call by size:

- **RPHAST sweep** (large blocks): the sources' upward searches (scipy Dijkstra on the up-DAG,
  which only reaches a few hundred nodes) give tentative costs; then one downward sweep over
  the nodes that can reach a target (the targets' upward closure, ``T'``) in decreasing rank,
  level by level, relaxes down-edges for *all sources at once* as NumPy array operations.
- **Bucket join** (few sources or few targets): each node's upward search space is computed once
  and memoised; an entry is the minimum over meeting nodes of forward + backward cost. Adding k
  points to a live matrix therefore costs O(k) searches plus array work, not O(n) searches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from routing.streets.ch_build import Hierarchy

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
SOURCE_CHUNK = 256
BUCKET_MAX_SIDE = 16


@dataclass(frozen=True)
class _Sweep:
    """The down-edges restricted to a target closure, grouped for a level-by-level sweep."""

    nodes: IntArray  # T' in sweep order (row i of the sweep matrix is nodes[i])
    pos: IntArray  # node -> row, -1 outside T'
    edge_src: IntArray  # row of each edge's tail (higher rank)
    edge_cost: FloatArray
    group_start: IntArray  # first edge of each destination row's group
    group_row: IntArray  # that destination row
    level_groups: IntArray  # group index boundaries per level


class CHEngine:
    """Node-to-node packed costs on a :class:`Hierarchy` (see the module docstring)."""

    def __init__(self, n: int, h: Hierarchy) -> None:
        self.n = n
        self.up = csr_matrix((h.up_cost, (h.up_tail, h.up_head)), shape=(n, n))
        # backward search from a target climbs the down-edges in reverse
        self.down_rev = csr_matrix((h.down_cost, (h.down_head, h.down_tail)), shape=(n, n))
        self.down_tail, self.down_head, self.down_cost = h.down_tail, h.down_head, h.down_cost
        self.level = h.level
        self._spaces: dict[tuple[bool, int], tuple[IntArray, FloatArray]] = {}

    def distances(self, sources: IntArray, targets: IntArray) -> FloatArray:
        """Packed cost matrix ``len(sources) x len(targets)``."""
        src, s_inv = np.unique(sources, return_inverse=True)
        tgt, t_inv = np.unique(targets, return_inverse=True)
        if min(src.size, tgt.size) <= BUCKET_MAX_SIDE:
            d = self._bucket(src, tgt)
        else:
            d = self._rphast(src, tgt)
        return np.asarray(d[np.ix_(s_inv, t_inv)], dtype=np.float64)

    def ends_distances(
        self, exit_node: IntArray, exit_cost: FloatArray, entry_node: IntArray, entry_cost: FloatArray
    ) -> FloatArray | None:
        """Point-to-point packed costs, each point having two ways out and two ways in.

        The sweep is linear in (min, +), so a point's two exits are merged into one column
        *before* sweeping: one column per point instead of one per exit node. Returns None when
        the block is small enough for bucket joins (the caller then asks :meth:`distances`).
        """
        n, m = exit_node.shape[0], entry_node.shape[0]
        if min(n, m) <= BUCKET_MAX_SIDE:
            return None
        sweep = self._prepare(np.unique(entry_node))
        rows = sweep.pos[entry_node]  # (m, 2)
        out = np.empty((n, m), dtype=np.float64)
        for lo in range(0, n, SOURCE_CHUNK):
            nodes, costs = exit_node[lo : lo + SOURCE_CHUNK], exit_cost[lo : lo + SOURCE_CHUNK]
            uniq, inv = np.unique(nodes, return_inverse=True)
            up = dijkstra(self.up, indices=uniq)[:, sweep.nodes]
            inv = inv.reshape(nodes.shape)
            start = np.minimum(up[inv[:, 0]] + costs[:, :1], up[inv[:, 1]] + costs[:, 1:])
            table = np.ascontiguousarray(start.T)
            _sweep(table, sweep)
            out[lo : lo + nodes.shape[0]] = np.minimum(
                table[rows[:, 0]] + entry_cost[:, :1], table[rows[:, 1]] + entry_cost[:, 1:]
            ).T
        return out

    # --- RPHAST -------------------------------------------------------------------------------
    def _rphast(self, src: IntArray, tgt: IntArray) -> FloatArray:
        sweep = self._prepare(tgt)
        out = np.empty((src.size, tgt.size), dtype=np.float64)
        rows = sweep.pos[tgt]
        for lo in range(0, src.size, SOURCE_CHUNK):
            chunk = src[lo : lo + SOURCE_CHUNK]
            up = dijkstra(self.up, indices=chunk)  # only the upward search spaces are finite
            table = np.ascontiguousarray(up[:, sweep.nodes].T)
            _sweep(table, sweep)
            out[lo : lo + chunk.size] = table[rows].T
        return out

    def _prepare(self, tgt: IntArray) -> _Sweep:
        closure = np.flatnonzero(np.isfinite(_reach(self.down_rev, tgt)))
        nodes = closure[np.lexsort((closure, self.level[closure]))]
        pos = np.full(self.n, -1, dtype=np.int64)
        pos[nodes] = np.arange(nodes.size)
        a, b = pos[self.down_tail], pos[self.down_head]
        keep = (a >= 0) & (b >= 0)
        a, b, w = a[keep], b[keep], self.down_cost[keep]
        order = np.argsort(b, kind="stable")
        a, b, w = a[order], b[order], w[order]
        new_group = np.ones(b.size, dtype=bool)
        new_group[1:] = b[1:] != b[:-1]
        group_start = np.flatnonzero(new_group)
        group_row = b[group_start]
        row_level = self.level[nodes]
        bounds = np.searchsorted(row_level[group_row], np.arange(row_level.max() + 2))
        return _Sweep(nodes, pos, a, w, group_start, group_row, bounds)

    # --- buckets ------------------------------------------------------------------------------
    def _bucket(self, src: IntArray, tgt: IntArray) -> FloatArray:
        if src.size <= tgt.size:
            fwd = dijkstra(self.up, indices=src)  # dense k x n
            nodes, costs, starts = self._stacked(tgt, backward=True)
            return np.minimum.reduceat(fwd[:, nodes] + costs, starts, axis=1)
        bwd = dijkstra(self.down_rev, indices=tgt)
        nodes, costs, starts = self._stacked(src, backward=False)
        return np.minimum.reduceat(bwd[:, nodes] + costs, starts, axis=1).T

    def _stacked(self, which: IntArray, backward: bool) -> tuple[IntArray, FloatArray, IntArray]:
        """Concatenated memoised search spaces of ``which`` with each one's start offset."""
        missing = [int(v) for v in which if (backward, int(v)) not in self._spaces]
        graph = self.down_rev if backward else self.up
        for lo in range(0, len(missing), SOURCE_CHUNK):
            part = missing[lo : lo + SOURCE_CHUNK]
            dense = dijkstra(graph, indices=part)
            for row, v in zip(dense, part, strict=True):
                hit = np.flatnonzero(np.isfinite(row))
                self._spaces[(backward, v)] = (hit, row[hit])
        spaces = [self._spaces[(backward, int(v))] for v in which]
        sizes = np.array([s[0].size for s in spaces])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        return np.concatenate([s[0] for s in spaces]), np.concatenate([s[1] for s in spaces]), starts


def _reach(graph: csr_matrix, starts: IntArray) -> FloatArray:
    """Nodes reachable from any of ``starts`` (finite entries), by one multi-source search."""
    return np.asarray(dijkstra(graph, indices=starts, min_only=True, unweighted=True))


def _sweep(table: FloatArray, s: _Sweep) -> None:
    """Relax down-edges level by level; rows of one level never feed each other."""
    for lvl in range(s.level_groups.size - 1):
        g0, g1 = s.level_groups[lvl], s.level_groups[lvl + 1]
        if g0 == g1:
            continue
        e0 = s.group_start[g0]
        e1 = s.group_start[g1] if g1 < s.group_start.size else s.edge_src.size
        cand = table[s.edge_src[e0:e1]] + s.edge_cost[e0:e1, None]
        best = np.minimum.reduceat(cand, s.group_start[g0:g1] - e0, axis=0)
        rows = s.group_row[g0:g1]
        table[rows] = np.minimum(table[rows], best)
