"""Cargo-bike routing profile: which OSM ways a cargo bike may use, how fast, in which direction.

The profile is *data*: a frozen :class:`Profile` whose tables a coop can change (by
``dataclasses.replace`` or from a JSON file with :meth:`Profile.from_json`). Every graph built
from it is cached under its :meth:`Profile.fingerprint`, so editing a table invalidates the cache.

Rules, in the order :func:`Profile.way_rule` applies them
--------------------------------------------------------
1. ``area=yes``, ``highway`` of a type not in ``speed_kmh`` nor ``push_types`` (steps, platforms,
   proposed, construction...) -> unusable.
2. ``bicycle=no`` (or ``access=no|private`` without a ``bicycle`` permission) -> unusable.
3. motorways and trunks (``bike_needs_cycleway``) -> unusable unless a cycleway is tagged
   (``cycleway*=track|lane|...``) or bicycles are explicitly allowed.
4. ``push_types`` (footway, pedestrian, corridor...) and ``bicycle=dismount`` -> push-walking at
   ``push_kmh``, unless ``bicycle=yes|designated|permissive`` makes them ridable at ``ridden_path_kmh``.
5. Speed: ``speed_kmh[highway]``; travel time is multiplied by ``time_penalty[highway]`` (busy
   tertiary..primary roads are legal but unpleasant with a cargo bike).
6. One-way: ``oneway=yes|true|1|-1`` or ``junction=roundabout|circular``; bicycles are exempt
   with ``oneway:bicycle=no`` or ``cycleway[:left|:right|:both]=opposite*`` (contraflow lane).
   Push-walking ignores one-way rules (the rider walks on the pavement).

Speeds are for a plain bike; :data:`VEHICLE_SPEED_PCT` gives each vehicle's travel-time
percentage, applied by the solver through ``Courier.speed_pct``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType

#: Travel-time percentage per vehicle type (100 = the graph's times; 115 = 15 % slower).
VEHICLE_SPEED_PCT: Mapping[str, int] = MappingProxyType(
    {"bike": 100, "cargo_bike": 115, "e_cargo": 95}
)

_DEFAULT_SPEED_KMH = {
    "cycleway": 18.0,
    "living_street": 10.0,
    "residential": 16.0,
    "service": 12.0,
    "unclassified": 16.0,
    "road": 14.0,
    "track": 10.0,
    "tertiary": 17.0,
    "tertiary_link": 16.0,
    "secondary": 17.0,
    "secondary_link": 16.0,
    "primary": 17.0,
    "primary_link": 16.0,
    "trunk": 17.0,
    "trunk_link": 16.0,
    "motorway": 17.0,
    "motorway_link": 16.0,
}
_DEFAULT_PENALTY = {
    "tertiary": 1.1,
    "tertiary_link": 1.1,
    "secondary": 1.2,
    "secondary_link": 1.2,
    "primary": 1.3,
    "primary_link": 1.3,
    "trunk": 1.5,
    "trunk_link": 1.5,
    "motorway": 1.5,
    "motorway_link": 1.5,
}
_YES = frozenset({"yes", "designated", "permissive"})
_ONEWAY_YES = frozenset({"yes", "true", "1"})


@dataclass(frozen=True, slots=True)
class WayRule:
    """How a bike may use one way: speeds in m/s per direction (None: forbidden) and penalty."""

    forward_mps: float | None
    backward_mps: float | None
    time_factor: float


@dataclass(frozen=True)
class Profile:
    """A bike profile as plain tables (see the module docstring for the rules).

    Parameters
    ----------
    name : label shown in summaries and used in the cache key.
    speed_kmh : riding speed per ``highway`` value; a type absent here (and from
        ``push_types``) is unusable.
    time_penalty : travel-time multiplier per ``highway`` value (default 1).
    push_types : ``highway`` values usable only on foot, pushing the bike, unless signed for bikes.
    push_kmh : walking speed while pushing.
    ridden_path_kmh : speed on a ``push_types`` way where bicycles are allowed.
    bike_needs_cycleway : ``highway`` values forbidden unless a cycleway or bicycle access is tagged.
    """

    name: str = "cargo_bike"
    speed_kmh: Mapping[str, float] = field(default_factory=lambda: dict(_DEFAULT_SPEED_KMH))
    time_penalty: Mapping[str, float] = field(default_factory=lambda: dict(_DEFAULT_PENALTY))
    push_types: tuple[str, ...] = ("footway", "pedestrian", "path", "corridor", "bridleway")
    push_kmh: float = 4.5
    ridden_path_kmh: float = 14.0
    bike_needs_cycleway: tuple[str, ...] = ("motorway", "motorway_link", "trunk", "trunk_link")

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def fingerprint(self) -> str:
        """A stable hash of every table: the cache key of graphs built with this profile."""
        body = json.dumps(asdict(self), sort_keys=True, default=list)
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    @classmethod
    def from_json(cls, path: str | Path) -> Profile:
        """Read a profile from a JSON object whose keys are this dataclass's fields."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        for key in ("push_types", "bike_needs_cycleway"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)

    def way_rule(self, tags: Mapping[str, str]) -> WayRule | None:
        """Return how a bike may use a way with these OSM tags, or None when it may not.

        Parameters
        ----------
        tags : the way's OSM tags.

        Returns
        -------
        WayRule or None
            Speeds per direction in m/s (None for a forbidden direction) and the time factor.
        """
        highway = tags.get("highway", "")
        if not highway or tags.get("area") == "yes" or not _access_allows(tags):
            return None
        bike_ok = tags.get("bicycle", "") in _YES
        if highway in self.bike_needs_cycleway and not (bike_ok or _has_cycleway(tags)):
            return None
        if highway in self.push_types or tags.get("bicycle") == "dismount":
            if bike_ok:
                return _directed(tags, self.ridden_path_kmh / 3.6, 1.0)
            walk = self.push_kmh / 3.6
            return WayRule(walk, walk, 1.0)
        if highway not in self.speed_kmh:
            return None
        factor = float(self.time_penalty.get(highway, 1.0))
        return _directed(tags, float(self.speed_kmh[highway]) / 3.6, factor)


def _access_allows(tags: Mapping[str, str]) -> bool:
    bicycle = tags.get("bicycle", "")
    if bicycle in ("no", "private", "use_sidepath"):
        return False
    if tags.get("access", "") in ("no", "private") and bicycle not in _YES:
        return False
    return tags.get("highway") not in ("proposed", "construction", "abandoned")


def _has_cycleway(tags: Mapping[str, str]) -> bool:
    keys = ("cycleway", "cycleway:both", "cycleway:left", "cycleway:right")
    return any(tags.get(k, "no") not in ("no", "none", "separate") for k in keys)


def _contraflow(tags: Mapping[str, str]) -> bool:
    if tags.get("oneway:bicycle") == "no":
        return True
    keys = ("cycleway", "cycleway:both", "cycleway:left", "cycleway:right")
    return any(tags.get(k, "").startswith("opposite") for k in keys)


def _directed(tags: Mapping[str, str], speed_mps: float, factor: float) -> WayRule:
    oneway = tags.get("oneway", "")
    if tags.get("oneway:bicycle") in _ONEWAY_YES:
        oneway = "yes"
    roundabout = tags.get("junction") in ("roundabout", "circular")
    if oneway in ("no", "false", "0") or _contraflow(tags):
        return WayRule(speed_mps, speed_mps, factor)
    if oneway == "-1":
        return WayRule(None, speed_mps, factor)
    if oneway in _ONEWAY_YES or roundabout:
        return WayRule(speed_mps, None, factor)
    return WayRule(speed_mps, speed_mps, factor)
