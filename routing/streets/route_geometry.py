"""The shape of a route on the map: each leg as the street path a rider takes.

A courier's route is a list of points (their position, then their stops). Each leg is the
fastest path on the street graph between two snapped points, so every piece of the drawn line
is a graph edge (or the part of a segment between a point and its nearest node). One batched
Dijkstra call serves every leg of a route: the searches start from the exits of all the legs'
first points at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from routing.streets.graph import Graph
from routing.streets.matrix import Ends, ends_of, unpack
from routing.streets.network import PathResult, StreetNetwork
from routing.streets.snap import SnappedPoint


def legs_geometry(network: StreetNetwork, points: Sequence[SnappedPoint]) -> list[PathResult]:
    """The street path of every leg ``points[i] -> points[i+1]``.

    Parameters
    ----------
    network : the street network the points were snapped on.
    points : the route's points in riding order (at least two for any leg).

    Returns
    -------
    list of PathResult, one per leg: seconds, metres and (lat, lon) coordinates from the first
    point's snapped position along graph nodes to the second's.
    """
    if len(points) < 2:
        return []
    graph = network.graph
    ends = ends_of(graph, network.weights, list(points))
    starts = ends.exit_node[:-1].reshape(-1)
    dist, pred = dijkstra(_forward(network), indices=starts, return_predecessors=True)
    return [_leg(graph, ends, i, dist, pred, points) for i in range(len(points) - 1)]


def _forward(network: StreetNetwork) -> csr_matrix:
    return network._fwd  # noqa: SLF001  (the network's own forward graph, built once)


def _leg(graph: Graph, ends: Ends, i: int, dist: np.ndarray, pred: np.ndarray,
         points: Sequence[SnappedPoint]) -> PathResult:
    j = i + 1
    best, nodes = np.inf, None
    if ends.segment[i] == ends.segment[j]:  # both on one segment: straight along it, if allowed
        ahead = ends.fraction[j] >= ends.fraction[i]
        cost = ends.fwd_cost[i] if ahead else ends.bwd_cost[i]
        if np.isfinite(cost):
            best, nodes = abs(ends.fraction[j] - ends.fraction[i]) * cost, []
    for a in range(2):
        row = 2 * i + a
        for b in range(2):
            cost = ends.exit_cost[i, a] + dist[row, ends.entry_node[j, b]] + ends.entry_cost[j, b]
            if cost < best:
                best, nodes = cost, _walk_back(pred[row], int(ends.entry_node[j, b]))
    seconds, metres = unpack(np.array([best if np.isfinite(best) else 0.0]))
    coords = [(points[i].snapped_lat, points[i].snapped_lon)]
    coords += [(float(graph.lat[n]), float(graph.lon[n])) for n in nodes or []]
    coords.append((points[j].snapped_lat, points[j].snapped_lon))
    return PathResult(int(seconds[0]), int(metres[0]), coords)


def _walk_back(pred: np.ndarray, node: int) -> list[int]:
    path = [node]
    while pred[path[-1]] >= 0:
        path.append(int(pred[path[-1]]))
    return path[::-1]
