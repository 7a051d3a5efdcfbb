"""The compact bike graph: the largest strongly connected component as CSR arrays, cached.

:func:`load_graph` reads an OSM file through :mod:`routing.streets.osm`, applies the profile, keeps the
largest strongly connected component (every kept node can reach and be reached from every
other, so every matrix entry is finite), and stores plain NumPy arrays in an ``.npz`` file named
after the source file's SHA-256, the profile's fingerprint and the area. A second start only
loads that file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from routing.streets.osm import MapError, Progress, RawSegments, check_file, read_segments
from routing.streets.profile import Profile

FORMAT_VERSION = 3
EARTH_RADIUS_M = 6_371_008.8
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Graph:
    """A directed street graph in CSR form (edges sorted by tail node).

    Node ``i`` is at (``lat[i]``, ``lon[i]``); its out-edges are ``indptr[i]:indptr[i+1]``,
    edge ``e`` goes to ``head[e]`` and takes ``time_s[e]`` seconds over ``length_m[e]`` metres.
    Segments are the undirected street pieces used for snapping: segment ``k`` joins
    ``seg_u[k]`` to ``seg_v[k]``; ``seg_fwd[k]``/``seg_bwd[k]`` are the edge ids u->v / v->u,
    or -1 when that direction is forbidden.
    """

    lat: FloatArray
    lon: FloatArray
    indptr: IntArray
    head: IntArray
    time_s: FloatArray
    length_m: FloatArray
    seg_u: IntArray
    seg_v: IntArray
    seg_fwd: IntArray
    seg_bwd: IntArray

    @property
    def n_nodes(self) -> int:
        return int(self.lat.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.head.shape[0])

    def tail(self) -> IntArray:
        """The tail node of every edge (the CSR row expanded)."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))

    def save(self, path: Path) -> None:
        """Write the arrays to ``path`` atomically (readers never see half a file)."""
        save_arrays(self, path)

    @classmethod
    def from_file(cls, path: Path) -> Graph:
        """Read a graph written by :meth:`save`."""
        return load_arrays(cls, path)


def haversine_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> FloatArray:
    """Great-circle distance in metres between arrays of points (degrees)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h)), dtype=np.float64)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_file(cache_dir: Path, source: Path, profile: Profile, area: Any = None) -> Path:
    """Where the graph of ``source`` under ``profile`` (and optional area polygon) is cached."""
    area_key = hashlib.sha256(shapely.to_wkb(area)).hexdigest()[:8] if area is not None else "all"
    name = f"graph-{file_sha256(source)[:20]}-{profile.fingerprint()}-{area_key}-v{FORMAT_VERSION}.npz"
    return cache_dir / name


def load_graph(
    source: Path,
    profile: Profile,
    cache_dir: Path,
    area: Any = None,
    progress: Progress | None = None,
) -> tuple[Graph, Path]:
    """Load the cached graph of ``source`` or build and cache it.

    Parameters
    ----------
    source : OSM file (.osm, .osm.bz2, .osm.pbf).
    profile : the bike profile; part of the cache key.
    cache_dir : folder of cached graphs (created if needed).
    area : optional shapely polygon (lon, lat); only streets inside it are kept.
    progress : optional callback ``(stage, fraction)``.

    Returns
    -------
    (Graph, Path)
        The graph and its cache file (derived caches sit beside it).

    Raises
    ------
    MapError
        If the file is missing, empty, corrupt, or has no usable street.
    """
    check_file(source)
    path = cache_file(cache_dir, source, profile, area)
    if path.is_file():
        try:
            return Graph.from_file(path), path
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)  # a damaged cache is rebuilt, never trusted
    graph = build_graph(read_segments(source, profile, progress), area, progress)
    cache_dir.mkdir(parents=True, exist_ok=True)
    graph.save(path)
    return graph, path


def build_graph(raw: RawSegments, area: Any = None, progress: Progress | None = None) -> Graph:
    """Turn raw segments into the CSR graph of their largest strongly connected component."""
    refs, first = np.unique(raw.node_ref, return_index=True)
    lat, lon = raw.node_lat[first], raw.node_lon[first]
    u, v = np.searchsorted(refs, raw.u_ref), np.searchsorted(refs, raw.v_ref)
    length = haversine_m(lat[u], lon[u], lat[v], lon[v])
    tails = np.concatenate([u, v])
    heads = np.concatenate([v, u])
    lengths = np.concatenate([length, length])
    speed = np.concatenate([raw.forward_mps, raw.backward_mps])
    times = lengths / speed * np.concatenate([raw.time_factor, raw.time_factor])
    keep = np.isfinite(times) & (tails != heads)
    if area is not None:
        inside = shapely.contains_xy(area, lon, lat)
        keep &= inside[tails] & inside[heads]
    if progress is not None:
        progress("building graph", 0.5)
    return _compact(lat, lon, tails[keep], heads[keep], lengths[keep], times[keep])


def _compact(
    lat: FloatArray, lon: FloatArray, tails: IntArray, heads: IntArray,
    lengths: FloatArray, times: FloatArray,
) -> Graph:
    if tails.size == 0:
        raise MapError("no usable street inside the requested area")
    # parallel ways between the same two nodes: keep the fastest
    order = np.lexsort((times, heads, tails))
    tails, heads, lengths, times = tails[order], heads[order], lengths[order], times[order]
    first = np.ones(tails.size, dtype=bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    tails, heads, lengths, times = tails[first], heads[first], lengths[first], times[first]
    n = lat.shape[0]
    adj = csr_matrix((np.ones(tails.size), (tails, heads)), shape=(n, n))
    _, labels = connected_components(adj, directed=True, connection="strong")
    used = np.zeros(n, dtype=bool)
    used[tails] = True
    biggest = np.bincount(labels[used]).argmax()
    node_keep = labels == biggest
    new_id = np.cumsum(node_keep) - 1
    e_keep = node_keep[tails] & node_keep[heads]
    t, h = new_id[tails[e_keep]], new_id[heads[e_keep]]
    n_new = int(node_keep.sum())
    indptr = np.zeros(n_new + 1, dtype=np.int64)
    np.cumsum(np.bincount(t, minlength=n_new), out=indptr[1:])
    seg_u, seg_v, seg_fwd, seg_bwd = _segments(t, h)
    return Graph(
        lat=lat[node_keep], lon=lon[node_keep], indptr=indptr, head=h.astype(np.int64),
        time_s=times[e_keep], length_m=lengths[e_keep],
        seg_u=seg_u, seg_v=seg_v, seg_fwd=seg_fwd, seg_bwd=seg_bwd,
    )


def _segments(tails: IntArray, heads: IntArray) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Pair each directed edge with its reverse into undirected segments (edges sorted by tail)."""
    lo, hi = np.minimum(tails, heads), np.maximum(tails, heads)
    keys = lo * (int(hi.max()) + 1) + hi
    uniq, seg_of_edge = np.unique(keys, return_inverse=True)
    n_seg = uniq.shape[0]
    seg_fwd = np.full(n_seg, -1, dtype=np.int64)
    seg_bwd = np.full(n_seg, -1, dtype=np.int64)
    edge_ids = np.arange(tails.shape[0], dtype=np.int64)
    is_fwd = tails < heads
    seg_fwd[seg_of_edge[is_fwd]] = edge_ids[is_fwd]
    seg_bwd[seg_of_edge[~is_fwd]] = edge_ids[~is_fwd]
    seg_u = np.empty(n_seg, dtype=np.int64)
    seg_v = np.empty(n_seg, dtype=np.int64)
    seg_u[seg_of_edge] = lo
    seg_v[seg_of_edge] = hi
    return seg_u, seg_v, seg_fwd, seg_bwd


def save_arrays(tables: Any, path: Path) -> None:
    """Write a dataclass of arrays to ``path`` atomically (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        np.savez(fh, **{f.name: getattr(tables, f.name) for f in fields(tables)})
    os.replace(tmp, path)


def load_arrays(cls: Any, path: Path) -> Any:
    """Read a dataclass of arrays written by :func:`save_arrays`."""
    with np.load(path) as data:
        return cls(**{f.name: data[f.name] for f in fields(cls)})
