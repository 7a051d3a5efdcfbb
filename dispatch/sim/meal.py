"""Heavy meal-delivery days (``--generate meal``): what such days look like, not one data set.

A planar city (``area_km`` square, x/y in metres) ridden in straight lines at one speed for the
day, drawn between 19 and 26 km/h. Tens of restaurants in a few dining districts, with very
uneven demand (Zipf weights 1/rank: of 40, the busiest takes about a fifth of the orders, the
20 least busy a sixth together). Orders come in a dinner-shaped wave over the window;
preparation takes 5 to 60 minutes with a long tail (log-normal, median 13 min), so a kitchen
can be later than the promise, which is ``promise_min`` after the click: those orders replay
as late. A soft target sits beside it (``target_min``). Four minutes at every stop.

Couriers work staggered shifts of 2 to 4 hours whose count follows the expected demand of
each half hour at ``staffing`` of what riding it alone would need (1.0: busy, as a dinner
peak is): they cannot be called in or sent home. They start at a restaurant.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from dispatch.sim.generate import GenSpec, order_times
from dispatch.sim.scenario import CourierSpec, OrderSpec, Point, Scenario, with_warnings

STOP_S = 4 * 60
SPEED_KMH = (19.0, 26.0)
PREP_MEDIAN_MIN, PREP_SIGMA = 13.0, 0.65
PREP_MIN, PREP_MAX = 5.0, 60.0


@dataclass(frozen=True, slots=True)
class MealDay:
    """The knobs of a meal day beside ``GenSpec`` (orders, merchants, seed, window)."""

    area_km: float = 8.0
    promise_min: float = 45.0
    target_min: float = 40.0
    # couriers on shift / couriers needed to ride every order alone. 1.0, a dinner peak staffed
    # for what it needs: at 1.2 the days were light, each order's own lower bound (ready, both
    # stops, the direct ride) had a p90 within 1.5 min of nearest's click-to-door p90 (43.3
    # against 44.6 on seed 1), so no dispatch could be told from another by it
    staffing: float = 1.0
    district_sd_m: float = 350.0
    min_trip_m: float = 300.0


def generate_meal(spec: GenSpec, day: MealDay = MealDay()) -> Scenario:
    """A heavy planar meal day (see the module docstring); ``spec.couriers`` 0 sizes the
    fleet from the demand."""
    rng = random.Random(f"meal:{spec.seed}")
    side = day.area_km * 1000
    speed_kmh = round(rng.uniform(*SPEED_KMH), 1)
    restaurants = _restaurants(spec, day, rng, side)
    weights = [1 / (rank + 1) ** 1.0 for rank in range(len(restaurants))]
    orders = []
    for n, placed in enumerate(order_times(spec, rng)):
        pickup = rng.choices(restaurants, weights)[0]
        prep = min(PREP_MAX, max(PREP_MIN, rng.lognormvariate(math.log(PREP_MEDIAN_MIN), PREP_SIGMA)))
        ready = placed + round(prep * 60)
        orders.append(OrderSpec(f"m{n + 1:05d}", placed, ready, pickup, _dropoff(pickup, spec, day, rng, side),
                                round(rng.uniform(0.4, 3.0) * 1000), placed + round(day.promise_min * 60),
                                round(rng.uniform(1.0, 8.0) * 1000)))
    couriers = _couriers(spec, day, rng, orders, restaurants, speed_kmh)
    name = f"meal-{len(orders)}x{len(couriers)}-seed{spec.seed}"
    return with_warnings(Scenario(name, "xy", tuple(orders), couriers, None, speed_kmh, {}, STOP_S, STOP_S,
                                  day.target_min))


def _restaurants(spec: GenSpec, day: MealDay, rng: random.Random, side: float) -> list[Point]:
    districts = [(rng.uniform(0.25, 0.75) * side, rng.uniform(0.25, 0.75) * side)
                 for _ in range(max(2, spec.merchants // 8))]
    out = []
    for m in range(spec.merchants):
        cx, cy = districts[m % len(districts)]
        out.append((round(_clip(cx + rng.gauss(0, day.district_sd_m), side), 1),
                    round(_clip(cy + rng.gauss(0, day.district_sd_m), side), 1)))
    rng.shuffle(out)  # popularity rank independent of the district
    return out


def _dropoff(pickup: Point, spec: GenSpec, day: MealDay, rng: random.Random, side: float) -> Point:
    for _ in range(200):
        # distance with a mode around 1.5 km, as food orders are mostly from nearby kitchens
        r = min(spec.max_trip_m, day.min_trip_m + rng.gammavariate(2.0, 700.0))
        a = rng.uniform(0, 2 * math.pi)
        p = (pickup[0] + r * math.cos(a), pickup[1] + r * math.sin(a))
        if 0 <= p[0] <= side and 0 <= p[1] <= side:
            return (round(p[0], 1), round(p[1], 1))
    return (round(_clip(pickup[0] + day.min_trip_m, side), 1), pickup[1])


def _clip(v: float, side: float) -> float:
    return min(side, max(0.0, v))


def _couriers(spec: GenSpec, day: MealDay, rng: random.Random, orders: list[OrderSpec],
              restaurants: list[Point], speed_kmh: float) -> tuple[CourierSpec, ...]:
    """Shifts following the demand of each half hour (a courier rides one order alone in
    about the time to reach the kitchen, two stops and the trip)."""
    lo, hi = spec.window_s()
    slot = 1800
    mps = speed_kmh / 3.6
    need: dict[int, float] = {}
    for o in orders:
        trip_s = math.dist(o.pickup, o.dropoff) / mps
        busy_s = 2 * STOP_S + trip_s + 0.6 * trip_s  # ~0.6 of a trip to reach the next kitchen
        need[(o.ready_s - lo) // slot] = need.get((o.ready_s - lo) // slot, 0.0) + busy_s / slot
    slots = max(1, math.ceil((hi - lo) / slot))
    want = [day.staffing * need.get(k, 0.0) for k in range(slots)]
    if spec.couriers:
        scale = spec.couriers / max(1.0, sum(want) * slot / (3 * 3600))
        want = [w * scale for w in want]
    ends: list[int] = []
    out: list[CourierSpec] = []
    for k in range(slots):
        t = lo + k * slot
        on = sum(1 for e in ends if e > t)
        for _ in range(max(0, round(want[k]) - on)):
            length = rng.choice((2, 2.5, 3, 3.5, 4)) * 3600
            start = t - rng.randrange(0, 600)
            ends.append(start + round(length))
            out.append(CourierSpec(f"k{len(out) + 1:03d}", max(lo - 900, start), start + round(length),
                                   rng.choice(restaurants), "bike"))
    return tuple(out)
