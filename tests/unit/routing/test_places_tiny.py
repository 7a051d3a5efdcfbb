"""The address index on a tiny hand-made map: what people type finds the right door."""

from __future__ import annotations

import pytest
from tiny_places import latlon, write_places_osm

from routing.places import PlaceIndex, records_from_osm
from routing.places.text import housenumber_key, normalise


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory: pytest.TempPathFactory) -> PlaceIndex:
    """The index of the tiny map (read once for the module)."""
    path = write_places_osm(tmp_path_factory.mktemp("places") / "tiny.osm")
    return PlaceIndex(records_from_osm(path))


def test_accents_case_and_abbreviations_fold_to_the_same_words() -> None:
    """"Av." is "avenue", "Hauptstr." is "Hauptstraße", "Mannerheimint." is "-tie", accents go."""
    assert normalise("Av. Victor-Hugo") == normalise("AVENUE VICTOR HUGO")
    assert normalise("Hauptstr.") == normalise("Hauptstraße")
    assert normalise("Mannerheimint.") == normalise("Mannerheimintie")
    assert normalise("r. de l'Eglise") == normalise("Rue de l’Église")
    assert housenumber_key("10 A") == housenumber_key("10a") == "10a"


def test_a_number_on_a_street_of_two_postcodes_is_ambiguous_without_the_postcode(tiny_index: PlaceIndex) -> None:
    """Two "Rue de l'Église" both have a number 1: no silent guess, both are candidates."""
    res = tiny_index.resolve("1 rue de l'eglise")
    assert res.match is None and res.problem == "ambiguous"
    assert {m.postcode for m in res.candidates} == {"75001", "75002"}


@pytest.mark.parametrize("typed", ["1 r. de l eglise, 75002", "Rue de l'Église 1 75002", "75002 1 RUE DE L EGLISE"])
def test_the_postcode_picks_the_street_whatever_the_word_order(tiny_index: PlaceIndex, typed: str) -> None:
    """Number before or after the street, postcode anywhere: the 75002 door."""
    res = tiny_index.resolve(typed)
    assert res.match is not None and res.match.postcode == "75002"
    assert "postcode" in res.match.matched and "housenumber" in res.match.matched


def test_the_nearer_of_two_equal_matches_comes_first(tiny_index: PlaceIndex) -> None:
    """Search ranks equal matches by distance to the merchant's pickup."""
    south = latlon(13)
    assert tiny_index.search("1 rue de l'eglise", near=south)[0].postcode == "75002"
    assert tiny_index.search("1 rue de l'eglise", near=latlon(10))[0].postcode == "75001"


def test_a_typo_in_the_street_still_finds_the_door(tiny_index: PlaceIndex) -> None:
    """One wrong letter ("Manerheimintie") is forgiven."""
    res = tiny_index.resolve("Manerheimintie 2")
    assert res.match is not None and res.match.housenumber == "2"


def test_a_building_outline_is_found_at_its_centroid(tiny_index: PlaceIndex) -> None:
    """Number 10 is a closed building way: its door is the outline's centre."""
    m = tiny_index.resolve("av victor hugo 10").match
    assert m is not None and m.kind == "address"
    assert m.lat == pytest.approx(60.00225, abs=1e-5) and m.lon == pytest.approx(25.01055, abs=1e-5)


def test_numbers_missing_from_osm_come_from_the_interpolation_way(tiny_index: PlaceIndex) -> None:
    """8 lies between the tagged 2 and 12 of an even interpolation way, at 60 % of its length."""
    m = tiny_index.resolve("Mannerheimint. 8").match
    assert m is not None and m.kind == "interpolated"
    assert m.lon == pytest.approx(25.004, abs=1e-5)
    assert tiny_index.resolve("Mannerheimintie 7").problem == "no_number"  # odd: not on that way


def test_places_are_found_by_name_without_accents(tiny_index: PlaceIndex) -> None:
    """A café with an umlaut, typed plain; a station by name alone."""
    cafe = tiny_index.resolve("cafe umlaut").match
    assert cafe is not None and cafe.name == "Café Ümlaut" and "Rue de l'Église" in cafe.label
    station = tiny_index.resolve("gare centrale").match
    assert station is not None and station.kind == "place"


def test_a_street_alone_is_a_suggestion_but_not_a_door(tiny_index: PlaceIndex) -> None:
    """Typing the street lists it; resolving it asks for a number."""
    assert tiny_index.search("hauptstr")[0].kind == "street"
    assert tiny_index.resolve("Hauptstraße").problem == "no_number"


def test_typing_a_number_in_progress_suggests_the_numbers_it_starts(tiny_index: PlaceIndex) -> None:
    """"Mannerheimintie 1" while typing also offers 10 and 12."""
    numbers = {m.housenumber for m in tiny_index.search("Mannerheimintie 1")}
    assert {"10", "12"} <= numbers


def test_nothing_like_it_resolves_to_none(tiny_index: PlaceIndex) -> None:
    """A name the map does not have is refused, not guessed."""
    assert tiny_index.resolve("Xylophone Boulevard 99").problem == "none"


def test_reverse_labels_a_door_a_street_and_a_point_in_between(tiny_index: PlaceIndex) -> None:
    """Near a door: its address; on a street far from doors: the street; a few hundred metres
    away: "near"; off the map (a phone without a fix at 0, 0, or 5 km out): no label."""
    door = tiny_index.reverse(*latlon(11))
    assert door is not None and door.label.startswith("3 Rue de l'Église")
    street = tiny_index.reverse(60.0, 25.0000)
    assert street is not None and street.kind in ("street", "address")
    around = tiny_index.reverse(60.005, 25.0)
    assert around is not None and around.matched == ("near",)
    assert tiny_index.reverse(60.05, 25.0) is None
    assert tiny_index.reverse(0.0, 0.0) is None
