"""Many-to-many shortest paths on a contraction hierarchy, compiled with numba.

Two query strategies, picked per call by size (the loops are in :mod:`routing.streets.ch_kernels`):

- **RPHAST sweep** (large blocks): for a batch of sources, their upward searches (a few hundred
  nodes each, with stall-on-demand) fill a table over the nodes that can reach a target (the
  targets' upward closure, ``T'``); one downward sweep over ``T'`` in decreasing rank then
  relaxes every down-edge for the whole batch at once. A door-to-door point has two ways out,
  so its search simply starts from both with their costs: one search per point, not per node.
- **Bucket join** (few sources or few targets): each node's upward search space is computed
  once and memoised; an entry is the minimum over meeting nodes of forward + backward cost.
  Adding k points to a live matrix therefore costs O(k) searches plus a scan of the stored
  spaces, not O(n) searches.

Internally nodes are numbered by decreasing rank (see the kernels' module docstring).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from routing.streets.ch_build import Hierarchy
from routing.streets.ch_kernels import closure, join_spaces, search_spaces, sub_graph, sweep_matrix

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# sources per sweep: the table (|T'| x batch float64) should stay within a few MB of cache
SWEEP_BATCH = 32
BUCKET_MAX_SIDE = 16


class _Csr:
    """Rows of edges ``row -> col`` with ``cost``, in internal ids."""

    def __init__(self, n: int, row: IntArray, col: IntArray, cost: FloatArray) -> None:
        order = np.lexsort((col, row))
        self.ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=n), out=self.ptr[1:])
        self.col = np.ascontiguousarray(col[order], dtype=np.int64)
        self.cost = np.ascontiguousarray(cost[order], dtype=np.float64)

    def arrays(self) -> tuple[IntArray, IntArray, FloatArray]:
        return self.ptr, self.col, self.cost


class CHEngine:
    """Node-to-node packed costs on a :class:`Hierarchy` (see the module docstring)."""

    def __init__(self, n: int, h: Hierarchy) -> None:
        self.n = n
        self.level = h.level
        self._id = np.asarray(n - 1 - h.rank, dtype=np.int64)  # node -> internal id
        ident = self._id
        self._up = _Csr(n, ident[h.up_tail], ident[h.up_head], h.up_cost)
        # row v: the down-edges u -> v, by their (higher) tail u
        self._dn = _Csr(n, ident[h.down_head], ident[h.down_tail], h.down_cost)
        self._spaces: dict[tuple[bool, int], tuple[IntArray, FloatArray]] = {}

    def distances(self, sources: IntArray, targets: IntArray) -> FloatArray:
        """Packed cost matrix ``len(sources) x len(targets)``."""
        src, s_inv = np.unique(sources, return_inverse=True)
        tgt, t_inv = np.unique(targets, return_inverse=True)
        if min(src.size, tgt.size) <= BUCKET_MAX_SIDE:
            d = self._bucket(src, tgt)
        else:
            zeros_s, zeros_t = np.zeros((src.size, 1)), np.zeros((tgt.size, 1))
            d = self._sweep(src[:, None], zeros_s, tgt[:, None], zeros_t)
        return np.asarray(d[np.ix_(s_inv, t_inv)], dtype=np.float64)

    def ends_distances(
        self, exit_node: IntArray, exit_cost: FloatArray, entry_node: IntArray, entry_cost: FloatArray
    ) -> FloatArray | None:
        """Point-to-point packed costs, each point having its ways out and ways in.

        ``exit_node``/``exit_cost`` are ``(n, k)``: a point's search starts from all its exits
        at once. Returns None when the block is small enough for bucket joins (the caller then
        asks :meth:`distances`).
        """
        if min(exit_node.shape[0], entry_node.shape[0]) <= BUCKET_MAX_SIDE:
            return None
        return self._sweep(exit_node, exit_cost, entry_node, entry_cost)

    def _sweep(self, seed: IntArray, seed_cost: FloatArray, entry: IntArray, entry_cost: FloatArray) -> FloatArray:
        ident = self._id
        entry_id = ident[entry]
        nodes = closure(self._dn.ptr, self._dn.col, np.unique(entry_id))
        pos = np.full(self.n, -1, dtype=np.int64)
        pos[nodes] = np.arange(nodes.size)
        in_ptr, in_src, in_w = sub_graph(*self._dn.arrays(), nodes, pos)
        return np.asarray(sweep_matrix(
            *self._up.arrays(), *self._dn.arrays(),
            np.ascontiguousarray(ident[seed]), np.ascontiguousarray(seed_cost, dtype=np.float64),
            pos, in_ptr, in_src, in_w,
            np.ascontiguousarray(pos[entry_id]), np.ascontiguousarray(entry_cost, dtype=np.float64),
            SWEEP_BATCH,
        ))

    # --- buckets ------------------------------------------------------------------------------
    def _bucket(self, src: IntArray, tgt: IntArray) -> FloatArray:
        fs, fn, fl = self._stacked(src, backward=False)
        bs, bn, bl = self._stacked(tgt, backward=True)
        return np.asarray(join_spaces(fs, fn, fl, bs, bn, bl, self.n))

    def _stacked(self, which: IntArray, backward: bool) -> tuple[IntArray, IntArray, FloatArray]:
        """Concatenated memoised search spaces (in internal ids) of the nodes ``which``, with offsets."""
        missing = np.array([int(v) for v in which if (backward, int(v)) not in self._spaces], dtype=np.int64)
        if missing.size:
            ptr, col, cost = self._dn.arrays() if backward else self._up.arrays()
            st_ptr, st_col, st_cost = self._up.arrays() if backward else self._dn.arrays()
            start, nodes, labels = search_spaces(
                ptr, col, cost, st_ptr, st_col, st_cost,
                np.ascontiguousarray(self._id[missing][:, None]), np.zeros((missing.size, 1)))
            for i, v in enumerate(missing.tolist()):
                self._spaces[(backward, v)] = (nodes[start[i] : start[i + 1]], labels[start[i] : start[i + 1]])
        spaces = [(np.zeros(0, dtype=np.int64), np.zeros(0))]  # so an empty ``which`` concatenates
        spaces += [self._spaces[(backward, int(v))] for v in which]
        offsets = np.zeros(len(spaces) + 1, dtype=np.int64)
        np.cumsum([s[0].size for s in spaces], out=offsets[1:])
        return (offsets[1:], np.concatenate([s[0] for s in spaces]).astype(np.int64),
                np.concatenate([s[1] for s in spaces]).astype(np.float64))
