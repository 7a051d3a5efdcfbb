"""Which map a co-op plans, searches and draws on, and the one map-import pipeline.

A map is identified by ``map_id``: the first 16 hex digits of the OSM file's sha256 (so the
same extract imported twice is one map). The street graph, the places index and the tile
archive of a map are all keyed by it.

Until co-ops carry a map of their own (issue 17), every co-op uses the server's default map
(``settings.map_path`` or the shipped Helsinki extract).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from dispatch.services.context import ServiceContext

if TYPE_CHECKING:
    from routing.network import StreetNetwork


@dataclass(frozen=True)
class CoopMap:
    """A co-op's map: its id, the OSM file it came from and its street network."""

    map_id: str
    source: Path
    network: StreetNetwork


@lru_cache(maxsize=64)
def _map_id_of(path: str, size: int, mtime_ns: int) -> str:
    from routing.graph import file_sha256

    return file_sha256(Path(path))[:16]


def map_id_for_source(source: Path) -> str:
    """The map id of an OSM file (sha256 prefix; cached per path, size and mtime)."""
    st = source.stat()
    return _map_id_of(str(source.resolve()), st.st_size, st.st_mtime_ns)


def coop_map(ctx: ServiceContext, coop_id: str) -> CoopMap:
    """The map ``coop_id`` plans on."""
    net = ctx.network
    return CoopMap(map_id=map_id_for_source(Path(net.source)), source=Path(net.source), network=net)
