"""The cargo-bike profile decides usable ways, speeds and directions from OSM tags."""

from __future__ import annotations

import dataclasses

import pytest

from routing.streets.profile import VEHICLE_SPEED_PCT, Profile


@pytest.fixture
def profile() -> Profile:
    """The default cargo-bike profile."""
    return Profile()


def test_residential_street_is_ridable_both_ways(profile: Profile) -> None:
    """A plain residential street is usable in both directions at its table speed."""
    rule = profile.way_rule({"highway": "residential"})
    assert rule is not None
    assert rule.forward_mps == rule.backward_mps == pytest.approx(16.0 / 3.6)


def test_oneway_street_forbids_the_backward_direction(profile: Profile) -> None:
    """oneway=yes leaves only the forward direction."""
    rule = profile.way_rule({"highway": "residential", "oneway": "yes"})
    assert rule is not None and rule.forward_mps and rule.backward_mps is None


def test_reverse_oneway_forbids_the_forward_direction(profile: Profile) -> None:
    """oneway=-1 allows only travel against the way's node order."""
    rule = profile.way_rule({"highway": "residential", "oneway": "-1"})
    assert rule is not None and rule.forward_mps is None and rule.backward_mps


@pytest.mark.parametrize(
    "extra",
    [{"oneway:bicycle": "no"}, {"cycleway": "opposite"}, {"cycleway:left": "opposite_lane"}],
)
def test_bicycle_exceptions_open_a_oneway_both_ways(profile: Profile, extra: dict[str, str]) -> None:
    """Contraflow tagging lets bikes ride against a one-way."""
    rule = profile.way_rule({"highway": "residential", "oneway": "yes", **extra})
    assert rule is not None and rule.forward_mps and rule.backward_mps


def test_roundabouts_are_oneway(profile: Profile) -> None:
    """junction=roundabout implies one-way."""
    rule = profile.way_rule({"highway": "tertiary", "junction": "roundabout"})
    assert rule is not None and rule.backward_mps is None


@pytest.mark.parametrize(
    "tags",
    [
        {"highway": "motorway"},
        {"highway": "trunk"},
        {"highway": "residential", "bicycle": "no"},
        {"highway": "service", "access": "private"},
        {"highway": "steps"},
        {"highway": "construction"},
        {"highway": "pedestrian", "area": "yes"},
    ],
)
def test_forbidden_ways_are_unusable(profile: Profile, tags: dict[str, str]) -> None:
    """Motorways, trunks, bicycle=no, private access, steps and areas are never used."""
    assert profile.way_rule(tags) is None


def test_trunk_with_a_cycleway_is_usable(profile: Profile) -> None:
    """A trunk road with a tagged cycle track becomes usable (with a penalty)."""
    rule = profile.way_rule({"highway": "trunk", "cycleway": "track"})
    assert rule is not None and rule.time_factor > 1


def test_private_access_with_bicycle_permission_is_usable(profile: Profile) -> None:
    """bicycle=yes overrides access=no."""
    assert profile.way_rule({"highway": "service", "access": "no", "bicycle": "yes"}) is not None


def test_footway_is_push_walking_unless_bikes_are_allowed(profile: Profile) -> None:
    """A footway is walked at push speed, ridden when bicycle=yes; one-way ignored on foot."""
    walk = profile.way_rule({"highway": "footway", "oneway": "yes"})
    ride = profile.way_rule({"highway": "footway", "bicycle": "yes"})
    assert walk is not None and ride is not None
    assert walk.forward_mps == walk.backward_mps == pytest.approx(profile.push_kmh / 3.6)
    assert ride.forward_mps == pytest.approx(profile.ridden_path_kmh / 3.6)


def test_primary_roads_carry_a_time_penalty(profile: Profile) -> None:
    """Busy primary roads are usable but cost more time than their speed alone."""
    rule = profile.way_rule({"highway": "primary"})
    assert rule is not None and rule.time_factor > 1.0


def test_fingerprint_changes_with_any_table(profile: Profile) -> None:
    """Editing a speed changes the fingerprint (and so the graph cache key)."""
    faster = dict(profile.speed_kmh, residential=20.0)
    assert dataclasses.replace(profile, speed_kmh=faster).fingerprint() != profile.fingerprint()
    assert Profile().fingerprint() == profile.fingerprint()


def test_profile_reads_from_json(tmp_path, profile: Profile) -> None:
    """A coop can keep its profile as a JSON file."""
    path = tmp_path / "profile.json"
    path.write_text('{"name": "slow", "push_kmh": 3.0, "push_types": ["footway"]}')
    loaded = Profile.from_json(path)
    assert loaded.name == "slow" and loaded.push_kmh == 3.0 and loaded.push_types == ("footway",)


def test_cargo_bikes_are_slower_than_bikes() -> None:
    """The vehicle table makes cargo bikes slower and e-cargo faster than a plain bike."""
    assert VEHICLE_SPEED_PCT["cargo_bike"] > VEHICLE_SPEED_PCT["bike"] > VEHICLE_SPEED_PCT["e_cargo"]
