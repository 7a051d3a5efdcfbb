"""Vehicle kinds a co-op rides, with default capacities and a travel-time factor.

``speed_pct`` is the travel time in percent of the bike profile's (a loaded cargo bike is
slower than a bike; an e-cargo bike holds a bike's pace with a cargo bike's box).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VehicleKind:
    name: str
    capacity_g: int
    capacity_ml: int
    speed_pct: int


VEHICLES: dict[str, VehicleKind] = {
    "bike": VehicleKind("bike", 15_000, 45_000, 100),
    "cargo_bike": VehicleKind("cargo_bike", 80_000, 200_000, 115),
    "e_cargo": VehicleKind("e_cargo", 150_000, 400_000, 100),
}

LARGEST = max(VEHICLES.values(), key=lambda v: v.capacity_g)
