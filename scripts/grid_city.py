"""Write a synthetic grid city as OSM XML, for benchmarks that need a big regular map.

``side x side`` intersections, with ``shape`` OSM shape nodes along each block side (as real
ways have every 10-20 m, so graph nodes are counted the way a real extract's are); streets get a seeded mix of cargo-bike-relevant
types (residential, cycleway, tertiary, secondary, living streets) and every fourth street is
one-way (alternating directions, some with a contraflow cycle lane), like a real centre.
"""

from __future__ import annotations

import random
from pathlib import Path

STEP_DEG = 0.0008  # ~89 m north-south, ~45 m east-west at 60 N: a realistic block
TYPES = ["residential"] * 6 + ["cycleway", "tertiary", "secondary", "living_street", "service"]


def street_tags(index: int, rng: random.Random) -> dict[str, str]:
    """Tags of the ``index``-th street."""
    tags = {"highway": rng.choice(TYPES)}
    if index % 4 == 1:
        tags["oneway"] = "yes"
    elif index % 4 == 3:
        tags["oneway"] = "-1"
        if rng.random() < 0.3:
            tags["cycleway"] = "opposite_lane"
    return tags


def write_grid_city(path: Path, side: int, shape: int = 0, seed: int = 1) -> Path:
    """Write a ``side x side`` grid city to ``path`` (OSM XML) and return the path."""
    rng = random.Random(seed)
    lat0, lon0, k = 60.0, 25.0, shape + 1
    fine = (side - 1) * k + 1
    step = STEP_DEG / k
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="grid">\n')
        for r in range(fine):
            for c in range(fine):
                if r % k == 0 or c % k == 0:
                    fh.write(f'<node id="{r * fine + c + 1}" version="1" '
                             f'lat="{lat0 + r * step:.7f}" lon="{lon0 + c * step * 2:.7f}"/>\n')
        way = 1
        for i in range(side):
            _way(fh, way, [i * k * fine + c + 1 for c in range(fine)], street_tags(i, rng))
            _way(fh, way + 1, [r * fine + i * k + 1 for r in range(fine)], street_tags(i, rng))
            way += 2
        fh.write("</osm>\n")
    return path


def _way(fh, way_id: int, refs: list[int], tags: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    fh.write(f'<way id="{way_id}" version="1">')
    fh.write("".join(f'<nd ref="{r}"/>' for r in refs))
    fh.write("".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()))
    fh.write("</way>\n")
