"""Write tiny hand-made OSM XML maps for routing tests, and a plain reference Dijkstra."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import networkx as nx

from routing.streets.graph import Graph
from routing.streets.network import SnappedPoint, StreetNetwork

# a node every 0.001 degree of latitude is ~111 m
BASE_LAT, BASE_LON = 60.0, 25.0


def write_osm(
    path: Path,
    nodes: Mapping[int, tuple[float, float]],
    ways: Sequence[tuple[Sequence[int], Mapping[str, str]]],
) -> Path:
    """Write nodes {id: (dlat, dlon) offsets in 0.001 degree} and ways [(node ids, tags)]."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (dlat, dlon) in nodes.items():
        lat, lon = BASE_LAT + dlat * 0.001, BASE_LON + dlon * 0.001
        lines.append(f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for wid, (refs, tags) in enumerate(ways, start=1):
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


_BASE: dict[int, nx.DiGraph] = {}


def reference_seconds(net: StreetNetwork, a: SnappedPoint, b: SnappedPoint) -> float:
    """Door-to-door seconds by networkx Dijkstra on the graph with both segments split."""
    graph = net.graph
    if id(graph) not in _BASE:
        base = nx.DiGraph()
        base.add_weighted_edges_from(
            zip(graph.tail().tolist(), graph.head.tolist(), graph.time_s.tolist(), strict=True),
            weight="w",
        )
        _BASE[id(graph)] = base
    g = _BASE[id(graph)]
    try:
        return _split_and_search(g, graph, a, b)
    finally:
        g.remove_nodes_from(["A", "B"])


def _split_and_search(g: nx.DiGraph, graph: Graph, a: SnappedPoint, b: SnappedPoint) -> float:
    for name, p, out in (("A", a, True), ("B", b, False)):
        u, v = int(graph.seg_u[p.segment]), int(graph.seg_v[p.segment])
        f, r = int(graph.seg_fwd[p.segment]), int(graph.seg_bwd[p.segment])
        t = p.fraction
        if f >= 0:  # u -> v exists
            w = float(graph.time_s[f])
            g.add_edge(name, v, w=(1 - t) * w) if out else g.add_edge(u, name, w=t * w)
        if r >= 0:  # v -> u exists
            w = float(graph.time_s[r])
            g.add_edge(name, u, w=t * w) if out else g.add_edge(v, name, w=(1 - t) * w)
    if a.segment == b.segment:
        f, r = int(graph.seg_fwd[a.segment]), int(graph.seg_bwd[a.segment])
        dt = b.fraction - a.fraction
        edge = f if dt >= 0 else r
        if edge >= 0:
            g.add_edge("A", "B", w=abs(dt) * float(graph.time_s[edge]))
    return float(nx.dijkstra_path_length(g, "A", "B", weight="w"))
