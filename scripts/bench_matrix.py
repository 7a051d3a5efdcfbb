"""Benchmark the travel-time matrix against scipy and networkx Dijkstra (issue 3).

One run, on the same graphs: Monaco (real OSM, ../shared/data/osm/monaco.osm.pbf) and a
synthetic grid city of 100k+ graph nodes. For 50x50, 200x200 and 1000x1000 it times our
door-to-door matrix (contraction hierarchy, :mod:`routing.streets.ch`), scipy's multi-source
``csgraph.dijkstra`` from the points' nodes, networkx Dijkstra (measured up to ``--nx-max``
sources, then extrapolated linearly and marked "est") and, when installed, igraph's C Dijkstra.
It then times adding one delivery (2 points) to a live 300-point matrix, building Monaco's
hierarchy from scratch, and the grid graph's resident memory in a fresh process that loads it
from the cache. Ours and scipy are each the median of ``--repeat`` runs in the same process:
the ratio between them is what compares across machines. The last line is::

    RESULT map=monaco n=<largest size> ch_s=<s> scipy_s=<s> speedup=<x> add2_ms=<ms>
           ch_build_s=<s> grid_nodes=<n> grid_speedup=<x> grid_rss_mb=<mb> grid_data_mb=<mb>

(one line in the output, wrapped here).

Usage: ``.venv/bin/python scripts/bench_matrix.py [--sizes 50,200,1000] [--grid-side 110] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import dijkstra

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid_city import write_grid_city  # noqa: E402

from routing.streets.ch_build import build_hierarchy  # noqa: E402
from routing.streets.network import SnapError, SnappedPoint, StreetNetwork  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def random_points(net: StreetNetwork, count: int, seed: int) -> list[SnappedPoint]:
    """``count`` reproducible points snapped inside the network's bounding box."""
    rng = np.random.default_rng(seed)
    lat0, lon0, lat1, lon1 = net.bbox
    points: list[SnappedPoint] = []
    while len(points) < count:
        try:
            points.append(net.snap(rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)))
        except SnapError:
            continue
    return points


def timed(fn, *args):  # type: ignore[no-untyped-def]
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def source_nodes(net: StreetNetwork, points: list[SnappedPoint]) -> np.ndarray:
    """One graph node per point (its segment's first node) for the node-level baselines."""
    return np.array([int(net.graph.seg_u[p.segment]) for p in points], dtype=np.int64)


def networkx_time(net: StreetNetwork, nodes: np.ndarray, nx_max: int) -> str:
    """Seconds for networkx single-source Dijkstra from every node (extrapolated past nx_max)."""
    g = nx.DiGraph()
    tail = net.graph.tail()
    g.add_weighted_edges_from(zip(tail.tolist(), net.graph.head.tolist(), net.weights.tolist(), strict=True))
    run = nodes[:nx_max]
    seconds, _ = timed(lambda: [nx.single_source_dijkstra_path_length(g, int(s)) for s in run])
    if run.size == nodes.size:
        return f"{seconds:8.3f}"
    return f"{seconds * nodes.size / run.size:8.3f} est"


def igraph_time(net: StreetNetwork, nodes: np.ndarray) -> str:
    """Seconds for igraph's C Dijkstra from every node to the same nodes, or n/a."""
    try:
        import igraph  # noqa: PLC0415 - optional comparison only
    except ImportError:
        return "     n/a"
    edges = list(zip(net.graph.tail().tolist(), net.graph.head.tolist(), strict=True))
    g = igraph.Graph(n=net.graph.n_nodes, edges=edges, directed=True)
    seconds, _ = timed(lambda: g.distances(
        source=nodes.tolist(), target=np.unique(nodes).tolist(), weights=net.weights.tolist(), mode="out"))
    return f"{seconds:8.3f}"


def median_time(repeat: int, fn, *args) -> float:  # type: ignore[no-untyped-def]
    """Median seconds of ``repeat`` calls: on a shared machine one short call can be preempted."""
    return statistics.median(timed(fn, *args)[0] for _ in range(repeat))


def bench_sizes(net: StreetNetwork, sizes: list[int], nx_max: int, repeat: int) -> dict[int, tuple[float, float]]:
    """Print one line per size; return {size: (ours_s, scipy_s)}, each the median of ``repeat``."""
    print(f"{'size':>9} {'ours s':>8} {'scipy s':>8} {'networkx s':>12} {'igraph s':>9} {'vs scipy':>8}")
    points = random_points(net, max(sizes), seed=42)
    out = {}
    for size in sizes:
        pts = points[:size]
        nodes = source_nodes(net, pts)
        ours = median_time(repeat, net.matrix, pts)
        scipy_s = median_time(repeat, lambda nodes=nodes: dijkstra(net._fwd, indices=nodes)[:, nodes])
        nx_s = networkx_time(net, nodes, nx_max)
        ig_s = igraph_time(net, nodes)
        print(f"{size:>4}x{size:<4} {ours:8.3f} {scipy_s:8.3f} {nx_s:>12} {ig_s:>9} {scipy_s / ours:7.1f}x")
        out[size] = (ours, scipy_s)
    return out


def bench_add2(net: StreetNetwork, base: int = 300, reps: int = 7) -> float:
    """Median ms to add a delivery (pickup + dropoff, never seen before) to a live matrix."""
    live = net.live_matrix()
    live.add(random_points(net, base, seed=1))
    fresh = random_points(net, 2 * reps, seed=2)
    times = []
    for i in range(reps):
        seconds, idx = timed(live.add, fresh[2 * i : 2 * i + 2])
        times.append(seconds * 1000)
        live.remove(idx)
    return statistics.median(times)


def rss_of_cached_load(path: Path, cache_dir: Path) -> tuple[float, float, float]:
    """(MB resident, of which MB the loaded network, seconds) for a fresh process loading it.

    The rest is the interpreter and its libraries (NumPy, SciPy, shapely, numba's compiled
    kernels), paid once per process whatever the map.
    """
    code = (
        "import time,sys;from pathlib import Path;"
        "rss=lambda:int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1]);"
        "from routing.streets.network import StreetNetwork;r0=rss();t=time.perf_counter();"
        f"n=StreetNetwork.load(Path({str(path)!r}),cache_dir=Path({str(cache_dir)!r}));"
        "d=time.perf_counter()-t;r=rss();"
        "print(r/1024, (r-r0)/1024, d)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    mb, data_mb, seconds = out.stdout.split()
    return float(mb), float(data_mb), float(seconds)


def load_timed(path: Path, cache_dir: Path, label: str) -> StreetNetwork:
    """Load (building the graph and hierarchy if not cached) and print what it cost."""
    seconds, net = timed(lambda: StreetNetwork.load(path, cache_dir=cache_dir))
    s = net.summary()
    levels = int(net.engine.level.max()) + 1  # type: ignore[attr-defined]
    print(f"\n== {label}: {s['nodes']} nodes, {s['edges']} edges, {s['km']} km, "
          f"{levels} CH levels; load {seconds:.1f} s")
    return net


def build_seconds(net: StreetNetwork) -> float:
    """Seconds to contract the network's graph from scratch (what a first load pays)."""
    graph = net.graph
    seconds, _ = timed(lambda: build_hierarchy(graph.n_nodes, graph.tail(), graph.head, net.weights))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monaco", type=Path, default=REPO.parent / "shared/data/osm/monaco.osm.pbf")
    parser.add_argument("--sizes", default="50,200,1000")
    parser.add_argument("--nx-max", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="ours and scipy: median of this many runs")
    parser.add_argument("--grid-side", type=int, default=110, help="intersections per side")
    parser.add_argument("--grid-shape", type=int, default=4, help="shape nodes per block side")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "coopdispatch-bench")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    args.cache_dir.mkdir(parents=True, exist_ok=True)

    monaco = load_timed(args.monaco, args.cache_dir, "Monaco")
    figures = bench_sizes(monaco, sizes, args.nx_max, args.repeat)
    add2_ms = bench_add2(monaco)
    print(f"add one delivery (2 points) to a live 300-point matrix: {add2_ms:.1f} ms (median of 7)")
    build_s = build_seconds(monaco)
    print(f"contraction hierarchy built from scratch: {build_s:.2f} s")

    grid_name = f"grid-{args.grid_side}-{args.grid_shape}.osm"
    grid_path = write_grid_city(args.cache_dir / grid_name, args.grid_side, args.grid_shape)
    grid = load_timed(grid_path, args.cache_dir, f"grid city {args.grid_side}x{args.grid_side}")
    grid_figures = bench_sizes(grid, sizes, min(args.nx_max, 50), args.repeat)
    print(f"add one delivery to a live 300-point matrix: {bench_add2(grid):.1f} ms")
    rss_mb, data_mb, load_s = rss_of_cached_load(grid_path, args.cache_dir)
    print(f"fresh process loading the cached grid network: {rss_mb:.0f} MB resident "
          f"({data_mb:.0f} MB for the network), {load_s:.2f} s")

    big = max(sizes)
    ours, scipy_s = figures[big]
    grid_ours, grid_scipy = grid_figures[big]
    print(f"RESULT map=monaco n={big} ch_s={ours:.3f} scipy_s={scipy_s:.3f} speedup={scipy_s / ours:.1f} "
          f"add2_ms={add2_ms:.1f} ch_build_s={build_s:.2f} grid_nodes={grid.graph.n_nodes} "
          f"grid_speedup={grid_scipy / grid_ours:.1f} grid_rss_mb={rss_mb:.0f} grid_data_mb={data_mb:.0f}")


if __name__ == "__main__":
    main()
