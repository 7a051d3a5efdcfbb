"""Addresses and named places of a map: read from its OSM file, searched as people type them.

``records_from_osm(path)`` reads everything searchable (pure: a path in, records out);
``PlaceIndex(records)`` answers ``search`` (autocomplete), ``resolve`` (one place or why not)
and ``reverse`` (the label of a point). The service stores the records per map and builds the
index from them (``dispatch/services/places.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from routing.places.extract import PlaceRecord, read_places
from routing.places.index import Match, PlaceIndex, Resolution, record_label
from routing.places.streets import LocalXY, street_records
from routing.places.text import address_label, normalise

__all__ = ["LocalXY", "Match", "PlaceIndex", "PlaceRecord", "Resolution", "address_label",
           "normalise", "record_label", "records_from_osm"]


def records_from_osm(path: Path) -> list[PlaceRecord]:
    """Every searchable record of an OSM file: addresses, interpolated numbers, named places
    and streets (grouped by name and neighbourhood).

    Raises
    ------
    MapError
        If the file is missing, empty or unreadable.
    """
    records, lines = read_places(path)
    points = [p for _, line in lines for p in line] + [(r.lat, r.lon) for r in records]
    if not points:
        return records
    arr = np.array(points)
    proj = LocalXY(float(arr[:, 0].mean()), float(arr[:, 1].mean()))
    return records + street_records(lines, [r for r in records if r.kind == "address"], proj)
