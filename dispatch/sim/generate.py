"""Synthetic days that look like a co-op's: merchants in shopping streets, lunch and dinner peaks.

On a street map, merchants cluster where the street graph is densest (many junctions within
150 m: the commercial centres of a city), a few busy ones take most orders (Zipf-like weights),
and dropoffs are street nodes anywhere within ``max_trip_m`` of the merchant. On a plane, the
same shape is drawn in an ``area_km`` square. Order times are a mixture of a flat background and
a Gaussian peak at lunch (12:15) and at dinner (19:00), for the peaks that fall in the day's
window; preparation takes 6-18 minutes; most loads are a few kilos, a few are groceries.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from dispatch.sim.scenario import CourierSpec, OrderSpec, Point, Scenario, clock_s

PEAKS_S = {"lunch": (clock_s("12:15"), 55 * 60), "dinner": (clock_s("19:00"), 65 * 60)}
KINDS = {"lunch": ("10:30", 4.0), "day": ("10:00", 12.0), "meal": ("16:30", 6.0)}
# a heavy meal day (``dispatch.sim.meal``): 1,200 orders, fleet sized from the demand
MEAL_DEFAULTS: dict[str, Any] = {"orders": 1200, "couriers": 0, "merchants": 40, "max_trip_m": 5000.0,
                                 "background_share": 0.3}
VEHICLE_MIX = (("bike", 0.6), ("cargo_bike", 0.25), ("e_cargo", 0.15))


@dataclass(frozen=True, slots=True)
class GenSpec:
    """What to generate. ``kind`` picks the default window: lunch 10:30 + 4 h, day 10:00 + 12 h."""

    kind: str = "lunch"
    orders: int = 500
    couriers: int = 30
    merchants: int = 20
    seed: int = 0
    start: str | None = None
    hours: float | None = None
    max_trip_m: float = 3000.0
    background_share: float = 0.4

    def window_s(self) -> tuple[int, int]:
        start, hours = KINDS.get(self.kind, KINDS["lunch"])
        first = clock_s(self.start or start)
        return first, first + round((self.hours or hours) * 3600)


def spec_for(kind: str, **changes: Any) -> GenSpec:
    if kind not in KINDS:
        raise ValueError(f"unknown scenario kind {kind!r}; choose from {', '.join(KINDS)}")
    base = replace(GenSpec(kind=kind), **MEAL_DEFAULTS) if kind == "meal" else GenSpec(kind=kind)
    return replace(base, **{k: v for k, v in changes.items() if v is not None})


def order_times(spec: GenSpec, rng: random.Random) -> list[int]:
    """``spec.orders`` placement times, sorted, in the window minus its last 20 minutes."""
    lo, hi = spec.window_s()
    hi = max(lo + 60, hi - 20 * 60)
    peaks = [p for p in PEAKS_S.values() if lo <= p[0] <= hi]
    times: list[int] = []
    while len(times) < spec.orders:
        if not peaks or rng.random() < spec.background_share:
            t = rng.uniform(lo, hi)
        else:
            centre, sd = rng.choice(peaks)
            t = rng.gauss(centre, sd)
        if lo <= t < hi:
            times.append(round(t))
    return sorted(times)


def _orders(spec: GenSpec, rng: random.Random, merchants: list[Point], weights: list[float],
            dropoff_for: Any) -> tuple[OrderSpec, ...]:
    out = []
    for n, placed in enumerate(order_times(spec, rng)):
        pickup = rng.choices(merchants, weights)[0]
        ready = placed + round(rng.uniform(6, 18) * 60)
        roll = rng.random()
        kg = rng.uniform(0.5, 4) if roll < 0.85 else rng.uniform(4, 10) if roll < 0.97 else rng.uniform(10, 25)
        litres = kg * rng.uniform(1.5, 3.5)
        out.append(OrderSpec(f"o{n + 1:04d}", placed, ready, pickup, dropoff_for(pickup, rng),
                             round(kg * 1000), None, round(litres * 1000)))
    return tuple(out)


def _couriers(spec: GenSpec, rng: random.Random, merchants: list[Point]) -> tuple[CourierSpec, ...]:
    lo, hi = spec.window_s()
    times = order_times(replace(spec, orders=max(spec.couriers, 1)), rng)
    out = []
    for n in range(spec.couriers):
        length = min(hi - lo, round(rng.uniform(4.0, 5.0) * 3600))
        start = min(max(lo, times[n] - length // 2), hi - length)
        vehicle = rng.choices([v for v, _ in VEHICLE_MIX], [w for _, w in VEHICLE_MIX])[0]
        out.append(CourierSpec(f"c{n + 1:02d}", start, start + length, rng.choice(merchants), vehicle))
    return tuple(out)


def _popularity(n: int) -> list[float]:
    return [1 / (rank + 1) ** 0.8 for rank in range(n)]


def generate_on_map(network: Any, spec: GenSpec, map_path: str | None = None) -> Scenario:
    """A scenario on a street network (``routing.streets.network.StreetNetwork``), lat/lon coordinates."""
    from scipy.spatial import cKDTree

    rng = random.Random(spec.seed)
    g = network.graph
    x, y = network.snapper.to_xy(g.lat, g.lon)
    xy = np.column_stack([x, y])
    tree = cKDTree(xy)
    density = np.array([len(n) for n in tree.query_ball_point(xy, 150.0)])
    centres = _spread_centres(xy, density, max(2, spec.merchants // 5))
    latlon = [(float(a), float(b)) for a, b in zip(g.lat, g.lon, strict=True)]
    merchants = []
    for m in range(spec.merchants):
        near = tree.query_ball_point(xy[centres[m % len(centres)]], 120.0)
        merchants.append(latlon[rng.choice(near)])
    index = {p: i for i, p in enumerate(latlon)}

    def dropoff_for(pickup: Point, r: random.Random) -> Point:
        origin = xy[index[pickup]]
        for _ in range(50):
            i = r.randrange(len(latlon))
            if 200 < math.dist(origin, xy[i]) <= spec.max_trip_m:
                return latlon[i]
        return latlon[r.choice(tree.query_ball_point(origin, spec.max_trip_m))]

    orders = _orders(spec, rng, merchants, _popularity(len(merchants)), dropoff_for)
    return Scenario(f"{spec.kind}-{spec.orders}x{spec.couriers}-seed{spec.seed}", "latlon", orders,
                    _couriers(spec, rng, merchants), map_path)


def _spread_centres(xy: np.ndarray, density: np.ndarray, k: int) -> list[int]:
    """The ``k`` densest nodes at least a sixth of the map apart (fewer if the map is small)."""
    span = float(np.linalg.norm(xy.max(axis=0) - xy.min(axis=0)))
    gap = min(600.0, span / 6)
    chosen: list[int] = []
    for i in np.argsort(-density, kind="stable"):
        if all(math.dist(xy[i], xy[j]) >= gap for j in chosen):
            chosen.append(int(i))
            if len(chosen) == k:
                break
    return chosen


def generate_planar(spec: GenSpec, area_km: float = 6.0, speed_kmh: float = 15.0) -> Scenario:
    """A scenario on a plane of ``area_km`` x ``area_km`` (x, y in metres), straight-line rides."""
    rng = random.Random(spec.seed)
    side = area_km * 1000
    centres = [(rng.uniform(0.2, 0.8) * side, rng.uniform(0.2, 0.8) * side)
               for _ in range(max(2, spec.merchants // 5))]
    merchants = [(round(c[0] + rng.gauss(0, 150), 1), round(c[1] + rng.gauss(0, 150), 1))
                 for c in (centres[m % len(centres)] for m in range(spec.merchants))]

    def dropoff_for(pickup: Point, r: random.Random) -> Point:
        while True:
            p = (round(r.uniform(0, side), 1), round(r.uniform(0, side), 1))
            if 200 < math.dist(p, pickup) <= spec.max_trip_m:
                return p

    orders = _orders(spec, rng, merchants, _popularity(len(merchants)), dropoff_for)
    return Scenario(f"planar-{spec.kind}-{spec.orders}x{spec.couriers}-seed{spec.seed}", "xy", orders,
                    _couriers(spec, rng, merchants), None, speed_kmh)
