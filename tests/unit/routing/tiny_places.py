"""A tiny hand-made map of addresses: two "Rue de l'Église" in two postcodes, an accented
café, a building outline, an interpolation way, abbreviations to type (av., str., -tie)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

BASE_LAT, BASE_LON = 60.0, 25.0  # one unit of offset = 0.001 degree (~111 m north, ~56 m east)
Tags = Mapping[str, str]


def _addr(number: str, street: str, postcode: str = "", **more: str) -> dict[str, str]:
    tags = {"addr:housenumber": number, "addr:street": street, **more}
    if postcode:
        tags["addr:postcode"] = postcode
    return tags


# id: (dlat, dlon, tags)
NODES: dict[int, tuple[float, float, Tags]] = {
    # Rue de l'Église, north part (75001): a street along y = 0, x 0..6
    1: (0, 0, {}), 2: (0, 6, {}),
    10: (0.2, 1, _addr("1", "Rue de l'Église", "75001", **{"addr:city": "Paris"})),
    11: (0.2, 3, _addr("3", "Rue de l'Église", "75001", **{"addr:city": "Paris"})),
    12: (0.3, 5, {"amenity": "cafe", "name": "Café Ümlaut", **_addr("5", "Rue de l'Église", "75001")}),
    # Rue de l'Église again, 2 km south (75002)
    3: (-20, 0, {}), 4: (-20, 6, {}),
    13: (-19.8, 2, _addr("1", "Rue de l'Église", "75002", **{"addr:city": "Paris"})),
    # Avenue Victor Hugo, x = 10 going north, with a building outline at number 10
    5: (0, 10, {}), 6: (6, 10, {}),
    20: (2, 10.3, {}), 21: (2, 10.8, {}), 22: (2.5, 10.8, {}), 23: (2.5, 10.3, {}),
    # Mannerheimintie at y = 10 with numbers 2 and 12 joined by an even interpolation way
    7: (10, 0, {}), 8: (10, 8, {}),
    30: (10.2, 1, _addr("2", "Mannerheimintie", "00100")),
    31: (10.2, 6, _addr("12", "Mannerheimintie", "00100")),
    # Hauptstraße at y = 14
    40: (14, 0, {}), 41: (14, 4, {}),
    42: (14.2, 2, _addr("7", "Hauptstraße", "10115")),
    # a station by name only
    50: (6.2, 10.5, {"railway": "station", "name": "Gare Centrale"}),
}
WAYS: list[tuple[int, Sequence[int], Tags]] = [
    (1, [1, 2], {"highway": "residential", "name": "Rue de l'Église"}),
    (2, [3, 4], {"highway": "residential", "name": "Rue de l'Église"}),
    (3, [5, 6], {"highway": "secondary", "name": "Avenue Victor Hugo"}),
    (4, [20, 21, 22, 23, 20], {"building": "yes", **_addr("10", "Avenue Victor Hugo", "75003")}),
    (5, [7, 8], {"highway": "primary", "name": "Mannerheimintie"}),
    (6, [30, 31], {"addr:interpolation": "even"}),
    (7, [40, 41], {"highway": "residential", "name": "Hauptstraße"}),
    # a street joining the others so the bike graph is one piece
    (8, [1, 5, 7, 40, 3], {"highway": "residential"}),
]


def latlon(node: int) -> tuple[float, float]:
    dlat, dlon, _ = NODES[node]
    return BASE_LAT + dlat * 0.001, BASE_LON + dlon * 0.001


def write_places_osm(path: Path) -> Path:
    """Write the tiny map as OSM XML and return its path."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid in sorted(NODES):
        lat, lon = latlon(nid)
        tags = NODES[nid][2]
        head = f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"'
        if not tags:
            lines.append(head + "/>")
            continue
        lines.append(head + ">")
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </node>")
    for wid, refs, tags in WAYS:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
