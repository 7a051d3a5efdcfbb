"""Ruin and recreate over the engine's plans: one search driver, two objectives.

Each step copies the current plan, removes a few related deliveries (``ruin``), puts them back
where each costs least, after the deliveries left out by earlier steps or before them
(``recreate``: in random order, or by the mode's urgency: ready time live, the tightest dropoff
window in benchmark mode), and accepts the result when it costs less than the current plan plus
a threshold that falls linearly to zero (record-to-record travel). The best plan is kept.

The two objectives differ only in their ``Settings`` and in what the engine prices
(``routing.planning.engine``):

- ``LIVE``: the live cost; an unplaced delivery costs ``Weights.unassigned_penalty``; the best
  plan is the cheapest.
- ``BENCH``: distance with hard windows. A delivery that fits nowhere waits in a bank at a
  price per delivery that rises while the bank stays full and falls while the plan is complete
  (strategic oscillation), so a tight plan can pass through states with a delivery missing;
  after ``patience`` steps with a bank the search goes back to the best plan. The best plan is
  the one with fewest unplaced deliveries, then fewest routes, then least distance. Strings of
  stops are taken from the routes of several deliveries near the seed (after SISR), not only
  from the seed's own route.

Deterministic for a seed under an iteration budget.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np

from routing.planning.engine import Engine, Plan


@dataclass(frozen=True, slots=True)
class Settings:
    """How one objective's search goes."""

    ruin_min: int  # deliveries removed per step: between ruin_min and
    ruin_max: int  # ruin_max, and at most the placed ones // ruin_div
    ruin_div: int
    related_share: float  # of the steps that remove related deliveries (others: strings)
    string_routes: int  # routes strings are taken from (1: the seed's own, a run of the size)
    threshold: float  # record-to-record: starting threshold, in mean costs per delivery
    price: float | None  # an unplaced delivery's starting price in mean costs (None: the penalty)
    price_step: float = 1.0  # its factor per step with (without) a delivery left out
    price_range: tuple[float, float] = (0.0, 0.0)  # in mean costs, when it moves
    patience: int | None = None  # steps with a delivery left out before going back to the best
    bank_first: bool = False  # put back the deliveries left out before those just removed
    random_ties: bool = False  # by urgency, equal urgencies in random order (else by index)
    fleet_first: bool = False  # best: fewest unplaced, then routes, then cost


LIVE = Settings(ruin_min=1, ruin_max=10, ruin_div=3, related_share=0.6, string_routes=1,
                threshold=0.02, price=None)
BENCH = Settings(ruin_min=2, ruin_max=12, ruin_div=4, related_share=0.5, string_routes=3,
                 threshold=4.0, price=3.0, price_step=1.03, price_range=(1.0, 30.0), patience=100,
                 bank_first=True, random_ties=True, fleet_first=True)


def search(engine: Engine, plan: Plan, seed: int, until: float, iterations: int | None = None,
           settings: Settings | None = None) -> Plan:
    """Ruin and recreate from ``plan`` until ``until`` or ``iterations`` steps.

    Parameters
    ----------
    engine : the problem's tables and pricing.
    plan : the starting plan (not modified).
    seed : random choices.
    until : ``time.perf_counter()`` deadline.
    iterations : steps, at most (the stop that makes the result a function of the seed).
    settings : ``LIVE`` or ``BENCH`` (default: the engine's mode).

    Returns
    -------
    Plan : the best plan found.
    """
    s = settings or (BENCH if engine.bench else LIVE)
    rng = random.Random(seed)
    mean = engine.total(plan) / max(1, engine.m)
    price = engine.penalty if s.price is None else s.price * mean
    best = current = plan
    best_key = _key(engine, s, plan)
    routed, missing = engine.routed(plan), _missing(plan)
    budget = iterations if iterations is not None else 1 << 62
    started = time.perf_counter()
    span = max(until - started, 1e-3)
    step = banked_for = 0
    while step < budget and engine.movable.any():
        now = time.perf_counter()
        if now >= until:
            break
        progress = step / budget if iterations is not None else (now - started) / span
        if s.patience is not None:
            banked_for = banked_for + 1 if missing else 0
            if banked_for > s.patience:  # lost in plans that cannot take everyone back
                current, routed, missing, banked_for = best, engine.routed(best), _missing(best), 0
        trial = current.copy()
        removed = ruin(engine, trial, rng, s)
        step += 1
        if not removed:  # every removal would have broken a route: try another
            continue
        recreate(engine, trial, removed, rng, s)
        t_routed, t_missing = engine.routed(trial), _missing(trial)
        if t_routed + price * t_missing < routed + price * missing + s.threshold * mean * (1 - progress):
            current, routed, missing = trial, t_routed, t_missing
            key = _key(engine, s, trial)
            if key < best_key:
                best, best_key = trial, key
        if s.price_step != 1.0:  # a bank that stays is priced too low for the room it takes
            low, high = s.price_range
            price = min(price * s.price_step, high * mean) if missing else max(price / s.price_step, low * mean)
    return best


def _missing(plan: Plan) -> int:
    return int(np.count_nonzero(plan.where < 0))


def _key(engine: Engine, s: Settings, plan: Plan) -> tuple[int, ...]:
    if s.fleet_first:
        return _missing(plan), int(np.count_nonzero(plan.lengths)), engine.routed(plan)
    return (engine.total(plan),)


def ruin(engine: Engine, plan: Plan, rng: random.Random, s: Settings) -> list[int]:
    """Remove deliveries related to a random one (near it, or strings of stops around it and
    near it); return those removed. A delivery on board or heading its route stays."""
    movable = np.flatnonzero(engine.movable & (plan.where >= 0))
    if movable.size == 0:
        return []
    size = rng.randint(s.ruin_min, min(s.ruin_max, max(s.ruin_min, movable.size // s.ruin_div)))
    seed_k = int(movable[rng.randrange(movable.size)])
    if rng.random() < s.related_share:
        gone = _related(engine, plan, seed_k, size)
    elif s.string_routes == 1:
        gone = _run(engine, plan, seed_k, size, rng)
    else:
        gone = _strings(engine, plan, seed_k, size, s.string_routes, rng)
    return engine.remove(plan, [k for k in gone if not _heads(engine, plan, k)])


def _related(engine: Engine, plan: Plan, seed_k: int, size: int) -> list[int]:
    """The seed and the nearest placed deliveries that may move, ``size`` in all."""
    gone = []
    for k in engine.near()[seed_k].tolist():
        if engine.movable[k] and plan.where[k] >= 0:
            gone.append(k)
            if len(gone) == size:
                break
    return gone


def _run(engine: Engine, plan: Plan, seed_k: int, size: int, rng: random.Random) -> list[int]:
    """A run of ``size`` stops around the seed on its route."""
    c = int(plan.where[seed_k])
    row = plan.rows[c, :plan.lengths[c]]
    at = int(np.flatnonzero(row == 2 * seed_k)[0])
    lo = max(int(engine.vehicles[10][c]), at - rng.randrange(size))
    return sorted({int(x) // 2 for x in row[lo:lo + size] if engine.movable[int(x) // 2]})


def _strings(engine: Engine, plan: Plan, seed_k: int, size: int, routes: int,
             rng: random.Random) -> list[int]:
    """A string of 1 to ``size`` stops around each of the seed and its nearest deliveries, one
    per route, on up to ``routes`` routes, until ``size`` deliveries are gone."""
    gone: set[int] = set()
    hit: set[int] = set()
    for o in engine.near()[seed_k].tolist():
        c = int(plan.where[o])
        if c < 0 or c in hit:
            continue
        hit.add(c)
        row = plan.rows[c, :plan.lengths[c]]
        at = int(np.flatnonzero(row == 2 * o)[0])
        length = rng.randint(1, size)
        lo = max(int(engine.vehicles[10][c]), at - rng.randint(0, length - 1))
        gone |= {int(x) // 2 for x in row[lo:lo + length] if engine.movable[int(x) // 2]}
        if len(gone) >= size or len(hit) >= routes:
            break
    return sorted(gone)


def _heads(engine: Engine, plan: Plan, k: int) -> bool:
    """Whether ``k``'s pickup is the fixed head of its route (the stop the courier rides to)."""
    c = int(plan.where[k])
    return bool(c >= 0 and engine.vehicles[10][c] and plan.lengths[c] and plan.rows[c, 0] == 2 * k)


def recreate(engine: Engine, plan: Plan, removed: list[int], rng: random.Random, s: Settings) -> list[int]:
    """Put back ``removed`` and every other unplaced delivery where each costs least; return
    what fits nowhere."""
    if rng.random() < 0.5:
        rng.shuffle(removed)
    elif s.random_ties:  # many benchmark windows have one width
        rng.shuffle(removed)
        removed.sort(key=lambda k: engine.urgency[k])
    else:
        removed.sort(key=lambda k: (engine.urgency[k], k))
    lost = [int(k) for k in np.flatnonzero(plan.where < 0) if k not in removed]
    return engine.place_all(plan, lost + removed if s.bank_first else removed + lost)
