"""Basemap tiles from a tiny OSM file: layers, names in two languages, the archive and glyphs."""

from __future__ import annotations

import gzip
from pathlib import Path

import mapbox_vector_tile
import pytest

from routing.tiles.archive import TileArchive
from routing.tiles.build import build_archive
from routing.tiles.features import read_features
from routing.tiles.glyphs import glyph_range_pbf

TINY_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
 <node id="1" lat="60.1700" lon="24.9400"/><node id="2" lat="60.1700" lon="24.9420"/>
 <node id="3" lat="60.1710" lon="24.9420"/><node id="4" lat="60.1710" lon="24.9400"/>
 <node id="5" lat="60.1705" lon="24.9410"><tag k="amenity" v="restaurant"/><tag k="name" v="Soppa"/></node>
 <node id="6" lat="60.1702" lon="24.9402"><tag k="entrance" v="main"/><tag k="ref" v="A"/></node>
 <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/><tag k="name" v="Rue Longue"/>
  <tag k="name:fr" v="Rue Longue"/><tag k="name:en" v="Long Street"/><tag k="oneway" v="yes"/></way>
 <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="cycleway"/></way>
 <way id="12"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/><tag k="leisure" v="park"/></way>
</osm>
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """Two streets, a park, a restaurant and an entrance."""
    path = tmp_path / "tiny.osm"
    path.write_text(TINY_OSM)
    return path


def test_features_are_sorted_into_layers_with_names_in_two_languages(tiny: Path) -> None:
    """Roads keep class, oneway and name:fr/name:en; the park is green; POI and entrance are points."""
    by_layer = {(f.layer, f.properties.get("class")): f for f in read_features(tiny)}
    street = by_layer[("roads", "minor")]
    assert street.properties == {"class": "minor", "name": "Rue Longue", "name_fr": "Rue Longue",
                                 "name_en": "Long Street", "oneway": 1}
    assert ("roads", "cycleway") in by_layer and ("green", "park") in by_layer
    assert by_layer[("pois", "restaurant")].properties["name"] == "Soppa"
    assert by_layer[("entrances", "main")].properties["ref"] == "A"


def test_the_archive_holds_zooms_10_to_18_and_a_street_tile(tiny: Path, tmp_path: Path) -> None:
    """tippecanoe writes one MBTiles file; the zoom-16 tile of the street decodes with its name."""
    report = build_archive(tiny, tmp_path / "out.mbtiles")
    archive = TileArchive(report.path)
    assert archive.zoom_range() == (10, 18)
    data = archive.tile(16, 37308, 18969)
    assert data is not None
    layers = mapbox_vector_tile.decode(gzip.decompress(data))
    assert any(f["properties"].get("name_en") == "Long Street" for f in layers["roads"]["features"])
    assert archive.tile(16, 0, 0) is None


def test_a_glyph_range_names_its_stack_and_holds_latin_letters() -> None:
    """The protobuf carries the stack name, the range and a glyph for 'é'."""
    import matplotlib

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    pbf = glyph_range_pbf(font, "Sans Regular", 0)
    assert b"Sans Regular" in pbf and b"0-255" in pbf and len(pbf) > 50_000
    with pytest.raises(ValueError, match="multiple of 256"):
        glyph_range_pbf(font, "Sans Regular", 100)


@pytest.mark.shared_data
def test_the_sea_of_monaco_lies_off_its_coast(shared_data: Path) -> None:
    """Coastlines cut by the extract still make a sea: the port's water is in it, the casino not."""
    import shapely

    sea = [f.geometry for f in read_features(shared_data / "osm" / "monaco.osm.pbf")
           if f.layer == "water" and f.properties["class"] == "sea"]
    water = shapely.union_all(sea)
    assert water.contains(shapely.Point(7.4330, 43.7370))  # off the port
    assert not water.contains(shapely.Point(7.4276, 43.7396))  # the casino
