"""An incrementally grown travel matrix for the live dispatch loop.

Adding k points searches only from and to those k points (O(k) searches): the new rows come from
searches out of the new points, the new columns from backward searches into them; the block
among the old points is kept as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from routing.graph import Graph
from routing.matrix import Ends, Engine, FloatArray, IntArray, block, ends_of, unpack
from routing.snap import SnappedPoint


class LiveMatrix:
    """Travel matrix of a changing set of snapped points (index order = insertion order)."""

    def __init__(self, graph: Graph, weights: FloatArray, engine: Engine) -> None:
        self._graph, self._weights, self._engine = graph, weights, engine
        self.points: list[SnappedPoint] = []
        self._packed: FloatArray = np.zeros((0, 0), dtype=np.float64)
        self._ends: Ends = ends_of(graph, weights, [])

    def __len__(self) -> int:
        return len(self.points)

    def add(self, points: Sequence[SnappedPoint]) -> list[int]:
        """Append points; return their indices in the matrix."""
        new = ends_of(self._graph, self._weights, list(points))
        old, n, k = self._ends, len(self.points), len(points)
        both = ends_of(self._graph, self._weights, self.points + list(points))
        grown = np.empty((n + k, n + k), dtype=np.float64)
        grown[:n, :n] = self._packed
        grown[n:, :] = block(self._engine, new, both)
        grown[:n, n:] = block(self._engine, old, new)
        idx = np.arange(n, n + k)
        grown[idx, idx] = 0.0
        self.points.extend(points)
        self._packed, self._ends = grown, both
        return list(range(n, n + k))

    def remove(self, indices: Sequence[int]) -> None:
        """Drop points; later points shift down to keep indices dense."""
        keep = np.setdiff1d(np.arange(len(self.points)), np.asarray(indices, dtype=np.int64))
        self.points = [self.points[i] for i in keep]
        self._packed = self._packed[np.ix_(keep, keep)]
        self._ends = ends_of(self._graph, self._weights, self.points)

    def take(self, rows: Sequence[int] | IntArray) -> tuple[IntArray, IntArray]:
        """(seconds, metres) among the points ``rows`` (in that order), unpacking only those."""
        index = np.asarray(rows, dtype=np.int64)
        if len(index) == len(self.points) and np.array_equal(index, np.arange(len(index))):
            return unpack(self._packed)
        return unpack(self._packed[np.ix_(index, index)])

    @property
    def seconds(self) -> IntArray:
        """Door-to-door seconds among the current points."""
        return unpack(self._packed)[0]

    @property
    def metres(self) -> IntArray:
        """Door-to-door metres among the current points."""
        return unpack(self._packed)[1]
