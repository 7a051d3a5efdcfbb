"""An incrementally grown travel matrix for the live dispatch loop.

Adding k points searches only from and to those k points (O(k) searches): the new rows come from
searches out of the new points, the new columns from backward searches into them; the block
among the old points is kept as it is.

A point may be added as an *origin*: a place that is only ever left, never ridden to (a
courier's current position). An origin gets a row and no column: travel into it reads as
``UNUSED_S`` seconds and ``UNUSED_M`` metres. In the live loop most points are couriers, who
move between rounds; with origins a moved courier costs one search out of its new position
towards the stops, instead of searches to and from every other point.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from routing.streets.graph import Graph
from routing.streets.matrix import Ends, Engine, FloatArray, IntArray, block, ends_of, unpack
from routing.streets.snap import SnappedPoint

# travel into an origin: far beyond any shift, so a route never uses it, and small enough that
# sums of a few hundred such entries stay far from int64 overflow
UNUSED_S = 10**8
UNUSED_M = 10**9


class LiveMatrix:
    """Travel matrix of a changing set of snapped points (index order = insertion order).

    Stored as one row per point and one column per stop (non-origin point), columns in point
    order: a stop's column is the number of stops before it. Entries are packed costs
    (``routing.streets.matrix.pack``).
    """

    def __init__(self, graph: Graph, weights: FloatArray, engine: Engine) -> None:
        self._graph, self._weights, self._engine = graph, weights, engine
        self.points: list[SnappedPoint] = []
        self._stop = np.zeros(0, dtype=bool)
        self._packed: FloatArray = np.zeros((0, 0), dtype=np.float64)

    def __len__(self) -> int:
        return len(self.points)

    def _ends(self, which: Sequence[int] | IntArray, extra: Sequence[SnappedPoint] = ()) -> Ends:
        return ends_of(self._graph, self._weights, [self.points[i] for i in which] + list(extra))

    def add(self, points: Sequence[SnappedPoint], *, origin: bool = False) -> list[int]:
        """Append points (as origins: rows only); return their indices in the matrix."""
        n, k, cols = len(self.points), len(points), self._packed.shape[1]
        new = ends_of(self._graph, self._weights, list(points))
        stops = np.flatnonzero(self._stop)
        if origin:
            self._packed = np.vstack([self._packed, block(self._engine, new, self._ends(stops))])
        else:
            grown = np.empty((n + k, cols + k), dtype=np.float64)
            grown[:n, :cols] = self._packed
            grown[:n, cols:] = block(self._engine, self._ends(range(n)), new)
            grown[n:, :] = block(self._engine, new, self._ends(stops, points))
            grown[np.arange(n, n + k), np.arange(cols, cols + k)] = 0.0
            self._packed = grown
        self._stop = np.concatenate([self._stop, np.full(k, not origin)])
        self.points.extend(points)
        return list(range(n, n + k))

    def remove(self, indices: Sequence[int]) -> None:
        """Drop points; later points shift down to keep indices dense."""
        keep = np.setdiff1d(np.arange(len(self.points)), np.asarray(indices, dtype=np.int64))
        self._packed = self._packed[np.ix_(keep, self._columns(keep[self._stop[keep]]))]
        self._stop = self._stop[keep]
        self.points = [self.points[i] for i in keep]

    def _columns(self, stops: IntArray) -> IntArray:
        """The columns of the stops ``stops`` (point indices)."""
        return np.asarray(np.cumsum(self._stop)[stops] - 1, dtype=np.int64)

    def is_origin(self, index: int) -> bool:
        return not bool(self._stop[index])

    def take(self, rows: Sequence[int] | IntArray) -> tuple[IntArray, IntArray]:
        """(seconds, metres) among the points ``rows`` (in that order), unpacking only those."""
        index = np.asarray(rows, dtype=np.int64)
        has = self._stop[index]
        cols = self._columns(index[has])
        if has.all():
            return unpack(self._packed[np.ix_(index, cols)])
        seconds = np.full((index.size, index.size), UNUSED_S, dtype=np.int64)
        metres = np.full((index.size, index.size), UNUSED_M, dtype=np.int64)
        if has.any():
            s, m = unpack(self._packed[np.ix_(index, cols)])
            seconds[:, has], metres[:, has] = s, m
        diag = np.arange(index.size)
        seconds[diag, diag] = 0
        metres[diag, diag] = 0
        return seconds, metres

    @property
    def seconds(self) -> IntArray:
        """Door-to-door seconds among the current points."""
        return self.take(np.arange(len(self.points)))[0]

    @property
    def metres(self) -> IntArray:
        """Door-to-door metres among the current points."""
        return self.take(np.arange(len(self.points)))[1]
