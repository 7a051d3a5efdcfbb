"""Route removal with an ejection pool (after Nagata & Bräysy), in plain Python.

To take one route away, its deliveries go into a pool and are put back one at a time into the
remaining routes with the cheapest feasible insertion (``routing.planning.insertion.Evaluator``). When a
delivery fits nowhere, its penalty counter grows and it is forced in by ejecting one delivery
(or, failing that, two from the same route) whose counters add up least; the ejected go into
the pool. Now and then a few deliveries are moved at random to shake the routes up. The route
is gone when the pool is empty; then the next smallest route is tried. Benchmark mode (hard
windows, distance cost). Pure and deterministic for a seed (apart from the time limit).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from routing.planning.insertion import Evaluator, apply_insertion
from routing.planning.problem import Courier, Delivery
from routing.planning.schedule import Visit

Routes = dict[str, list[Visit]]
TRIALS = 40  # full schedules per insertion attempt into the remaining routes
EJECT_TRIALS = 6  # full schedules per insertion attempt after an ejection (cheapest first)
PAIR_TRIALS = 400  # two-delivery ejections tried per stuck delivery
SHAKE_EVERY = 50  # pool steps between random moves
SHAKE_MOVES = 5


def remove_routes(
    evaluator: Evaluator,
    couriers: Sequence[Courier],
    routes: Routes,
    until: float,
    seed: int,
) -> Routes:
    """Remove routes one at a time, while the others can take their deliveries.

    Parameters
    ----------
    evaluator : costs and feasibility for the (benchmark-mode) problem.
    couriers : every vehicle; those with an empty route are not used.
    routes : a feasible plan, courier key -> visits (not modified).
    until : ``time.perf_counter()`` deadline.
    seed : for the random choices.

    Returns
    -------
    Routes : the plan with the fewest routes found, feasible.
    """
    rng = random.Random(seed)
    best = {k: list(v) for k, v in routes.items()}
    while time.perf_counter() < until:
        used = [c for c in couriers if best.get(c.key)]
        if len(used) <= 1:
            break
        victim = min(used, key=lambda c: (len(best[c.key]), rng.random()))
        found = _empty_one(evaluator, [c for c in used if c is not victim], best, victim, until,
                           rng)
        if found is None:
            break
        best = found
    return best


def _empty_one(
    evaluator: Evaluator,
    rest: list[Courier],
    routes: Routes,
    victim: Courier,
    until: float,
    rng: random.Random,
) -> Routes | None:
    trial = {c.key: list(routes[c.key]) for c in rest}
    pool = _deliveries(routes[victim.key])
    penalty: dict[str, int] = {}
    steps = 0
    while pool:
        if time.perf_counter() >= until:
            return None
        d = pool.pop()
        steps += 1
        ins = evaluator.cheapest(trial, rest, d, TRIALS)
        if ins is not None:
            apply_insertion(trial[ins[1]], d, ins[2], ins[3])
            continue
        penalty[d.key] = penalty.get(d.key, 0) + 1
        ejected = _eject_and_insert(evaluator, rest, trial, d, penalty, rng)
        if ejected is None:
            pool.insert(0, d)
        else:
            pool.extend(ejected)
        if steps % SHAKE_EVERY == 0:
            _shake(evaluator, rest, trial, rng)
    out = {k: list(v) for k, v in routes.items()}
    out.update(trial)
    out[victim.key] = []
    return out


def _deliveries(visits: Sequence[Visit]) -> list[Delivery]:
    seen: dict[str, Delivery] = {}
    for v in visits:
        seen.setdefault(v.delivery.key, v.delivery)
    return list(seen.values())


def _without(route: Sequence[Visit], keys: set[str]) -> list[Visit]:
    return [v for v in route if v.delivery.key not in keys]


def _eject_and_insert(
    evaluator: Evaluator,
    rest: list[Courier],
    trial: Routes,
    d: Delivery,
    penalty: dict[str, int],
    rng: random.Random,
) -> list[Delivery] | None:
    """Insert ``d`` by ejecting the least-penalised one (or two) deliveries of one route."""
    singles = [(penalty.get(e.key, 0), rng.random(), c, e)
               for c in rest for e in _deliveries(trial[c.key])]
    singles.sort(key=lambda t: (t[0], t[1]))
    for _, _, c, e in singles:
        if _try(evaluator, c, trial, d, [e]):
            return [e]
    pairs = []
    for c in rest:
        ds = _deliveries(trial[c.key])
        pairs += [(penalty.get(a.key, 0) + penalty.get(b.key, 0), rng.random(), c, a, b)
                  for i, a in enumerate(ds) for b in ds[i + 1:]]
    pairs.sort(key=lambda t: (t[0], t[1]))
    for _, _, c, a, b in pairs[:PAIR_TRIALS]:
        if _try(evaluator, c, trial, d, [a, b]):
            return [a, b]
    return None


def _try(evaluator: Evaluator, c: Courier, trial: Routes, d: Delivery,
         out: list[Delivery]) -> bool:
    route = _without(trial[c.key], {e.key for e in out})
    ins = evaluator.cheapest({c.key: route}, [c], d, EJECT_TRIALS)
    if ins is None:
        return False
    apply_insertion(route, d, ins[2], ins[3])
    trial[c.key] = route
    return True


def _shake(evaluator: Evaluator, rest: list[Courier], trial: Routes, rng: random.Random) -> None:
    """Move a few random deliveries to another route where they fit (any feasible place)."""
    for _ in range(SHAKE_MOVES):
        c = rng.choice(rest)
        ds = _deliveries(trial[c.key])
        if not ds:
            continue
        d = rng.choice(ds)
        others = [o for o in rest if o is not c]
        rng.shuffle(others)
        for o in others[:3]:
            ins = evaluator.cheapest({o.key: trial[o.key]}, [o], d, TRIALS)
            if ins is not None:
                trial[c.key] = _without(trial[c.key], {d.key})
                apply_insertion(trial[o.key], d, ins[2], ins[3])
                break
