"""Read the street ways of an OpenStreetMap file (.osm, .osm.bz2, .osm.pbf) offline.

One reader for every format: pyosmium (libosmium) parses XML, bzip2-compressed XML and PBF
alike, so the cargo-bike profile is applied to the raw tags in exactly one way whatever the
input. (osmnx's ``graph_from_xml`` would merge and simplify ways before the profile sees their
tags; it is not used.) Nothing here touches the network.

Error tree
----------
``MapError`` (ValueError): the file is missing, empty, unreadable or has no usable street.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import osmium

from routing.streets.profile import Profile

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Progress = Callable[[str, float], None]


class MapError(ValueError):
    """An OSM file that cannot give a street graph: missing, empty, corrupt or without streets."""


@dataclass(frozen=True)
class RawSegments:
    """Usable way segments straight from the file, before any graph work.

    ``u_ref``/``v_ref`` are OSM node ids in way order; ``forward_mps``/``backward_mps`` the
    speeds (NaN: forbidden direction); ``time_factor`` the profile's penalty. ``node_ref``,
    ``node_lat``, ``node_lon`` give each referenced node's position (ids may repeat).
    """

    u_ref: IntArray
    v_ref: IntArray
    forward_mps: FloatArray
    backward_mps: FloatArray
    time_factor: FloatArray
    node_ref: IntArray
    node_lat: FloatArray
    node_lon: FloatArray


def check_file(path: Path) -> None:
    """Raise :class:`MapError` unless ``path`` is an existing, non-empty file."""
    if not path.is_file():
        raise MapError(f"OSM file not found: {path}")
    if path.stat().st_size == 0:
        raise MapError(f"OSM file is empty: {path}")


def read_segments(path: Path, profile: Profile, progress: Progress | None = None) -> RawSegments:
    """Read every way segment a bike may use under ``profile``.

    Parameters
    ----------
    path : an .osm, .osm.bz2 or .osm.pbf file.
    profile : decides which ways are usable and at what speed.
    progress : optional callback ``(stage, fraction)``.

    Returns
    -------
    RawSegments

    Raises
    ------
    MapError
        If the file is missing, empty, corrupt, or holds no usable street.
    """
    check_file(path)
    acc = _Accumulator()
    try:
        processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        for obj in processor.with_locations():
            if isinstance(obj, osmium.osm.Way) and "highway" in obj.tags:
                rule = profile.way_rule(dict(obj.tags))
                if rule is not None:
                    acc.add_way(obj, rule.forward_mps, rule.backward_mps, rule.time_factor)
                    if progress is not None and acc.ways % 500 == 0:
                        progress("reading ways", -1.0)
    except (RuntimeError, OSError, ValueError) as exc:  # libosmium reports corruption this way
        raise MapError(f"cannot read OSM file {path}: {exc}") from exc
    if not acc.u_ref:
        raise MapError(f"no street usable by bike '{profile.name}' in {path}")
    return acc.result()


class _Accumulator:
    """Growing Python lists, turned into arrays once at the end (cheaper than array appends)."""

    def __init__(self) -> None:
        self.ways = 0
        self.u_ref: list[int] = []
        self.v_ref: list[int] = []
        self.speeds: list[tuple[float, float, float]] = []
        self.nodes: list[tuple[int, float, float]] = []

    def add_way(self, way: osmium.osm.Way, fwd: float | None, bwd: float | None, k: float) -> None:
        self.ways += 1
        prev: tuple[int, float, float] | None = None
        nan = float("nan")
        speed = (nan if fwd is None else fwd, nan if bwd is None else bwd, k)
        for node in way.nodes:
            loc = node.location
            if not loc.valid():  # node cut off by the extract's boundary
                prev = None
                continue
            cur = (int(node.ref), float(loc.lat), float(loc.lon))
            self.nodes.append(cur)
            if prev is not None and prev[0] != cur[0]:
                self.u_ref.append(prev[0])
                self.v_ref.append(cur[0])
                self.speeds.append(speed)
            prev = cur

    def result(self) -> RawSegments:
        speeds = np.asarray(self.speeds, dtype=np.float64)
        nodes = np.asarray(self.nodes, dtype=np.float64)
        return RawSegments(
            u_ref=np.asarray(self.u_ref, dtype=np.int64),
            v_ref=np.asarray(self.v_ref, dtype=np.int64),
            forward_mps=speeds[:, 0],
            backward_mps=speeds[:, 1],
            time_factor=speeds[:, 2],
            node_ref=np.asarray([n[0] for n in self.nodes], dtype=np.int64),
            node_lat=nodes[:, 1],
            node_lon=nodes[:, 2],
        )
