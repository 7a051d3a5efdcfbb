"""The engine's route minimisation phase (benchmark mode): fewer routes by an ejection pool.

After Nagata & Bräysy (2009): to take one route away (the one with fewest stops), its
deliveries go into a pool and are put back one at a time where each costs least in the other
routes in use; one that fits nowhere is forced in by ejecting the one or two deliveries of a
single route whose penalty counters (how often each delivery was hard to place) add up least,
and the ejected go into the pool; random feasible relocations shake the plan between steps. A
route is gone when the pool is empty; then the next one is tried, until the deadline (or the
step budget) runs out while a pool is still full.

Insertions are asked of the routes' slack tables (``routing.planning.slack``), so this phase
needs a problem they fit. Deterministic for a seed under a step budget.
"""

from __future__ import annotations

import random
import time

import numpy as np

from routing.planning.engine import Engine, Plan

PAIR_TRIALS = 300  # two-delivery ejections tried per stuck delivery (cheapest penalties first)
PERTURB_MOVES = 8  # random feasible relocations after each ejection


def minimise_routes(engine: Engine, plan: Plan, seed: int, until: float, iterations: int | None = None,
                    floor: int = 1) -> Plan:
    """Remove routes by ejection search until ``until`` (``time.perf_counter()``).

    Parameters
    ----------
    engine : the problem's tables, in benchmark mode with slack tables.
    plan : a plan with every delivery placed (not modified).
    seed : random choices.
    until : deadline.
    iterations : pool steps, at most, over all routes tried (a deterministic stop).
    floor : stop at this many routes (a lower bound).

    Returns
    -------
    Plan : the plan with the fewest routes found, every delivery placed.
    """
    assert plan.slack is not None, "route minimisation asks the slack tables (benchmark mode)"
    rng = random.Random(seed)
    best = plan
    budget = [iterations if iterations is not None else 1 << 62]
    while int(np.count_nonzero(best.lengths)) > floor and time.perf_counter() < until:
        used = np.flatnonzero(best.lengths).tolist()
        victim = min(used, key=lambda c: (int(best.lengths[c]), rng.random()))
        found = _empty_route(engine, best, victim, until, budget, rng)
        if found is None:
            break
        best = found
    return best


def _requests(plan: Plan, c: int) -> list[int]:
    """The deliveries on route ``c``, in pickup order."""
    return [int(x) // 2 for x in plan.rows[c, :plan.lengths[c]] if x % 2 == 0]


def _empty_route(engine: Engine, routes: Plan, victim: int, until: float, budget: list[int],
                 rng: random.Random) -> Plan | None:
    plan = routes.copy()
    pool = engine.remove(plan, _requests(plan, victim))
    rng.shuffle(pool)
    penalty = [1] * engine.m
    steps = 0
    while pool:
        steps += 1
        budget[0] -= 1
        if budget[0] < 0 or (steps % 16 == 0 and time.perf_counter() >= until):
            return None
        k = pool.pop()
        at = engine.cheapest(plan, k)
        if at is not None:
            engine.insert(plan, k, at)
            continue
        penalty[k] += 1
        ejected = _eject_insert(engine, plan, k, penalty, rng)
        if ejected is None:
            pool.insert(0, k)
        else:
            pool.extend(ejected)
        _perturb(engine, plan, rng, PERTURB_MOVES)
    return plan


def _eject_insert(engine: Engine, plan: Plan, k: int, penalty: list[int],
                  rng: random.Random) -> list[int] | None:
    """Insert ``k`` by ejecting one or two deliveries of one route, least penalised first."""
    singles: list[tuple[int, float, int, tuple[int, ...]]] = []
    pairs: list[tuple[int, float, int, tuple[int, ...]]] = []
    for c in np.flatnonzero(plan.lengths).tolist():
        reqs = _requests(plan, c)
        for x, a in enumerate(reqs):
            singles.append((penalty[a], rng.random(), c, (a,)))
            pa = penalty[a]
            for b in reqs[x + 1:]:
                pairs.append((pa + penalty[b], rng.random(), c, (a, b)))
    singles.sort()
    pairs.sort()
    for cand in singles:
        if _try_eject(engine, plan, k, cand[2], cand[3]):
            return list(cand[3])
    for cand in pairs[:PAIR_TRIALS]:
        if _try_eject(engine, plan, k, cand[2], cand[3]):
            return list(cand[3])
    return None


def _try_eject(engine: Engine, plan: Plan, k: int, c: int, out: tuple[int, ...]) -> bool:
    """Whether ``k`` fits in route ``c`` without ``out``; if so, the plan takes that route."""
    assert engine.slack is not None
    gone = {2 * o for o in out} | {2 * o + 1 for o in out}
    reduced = engine.slack.route(c, np.array([x for x in plan.rows[c, :plan.lengths[c]].tolist()
                                              if x not in gone], np.int64))
    if reduced is None:
        return False
    found = engine.slack.best(reduced, c, k)
    if found is None:
        return False
    engine.remove(plan, list(out))
    engine.insert(plan, k, (found[0], c, found[1], found[2] + 1))
    return True


def _perturb(engine: Engine, plan: Plan, rng: random.Random, moves: int) -> None:
    """Relocate a few random deliveries to another route where they fit."""
    assert engine.slack is not None and plan.slack is not None
    used = np.flatnonzero(plan.lengths).tolist()
    if len(used) < 2:
        return
    for _ in range(moves):
        a = rng.randrange(len(used))
        reqs = _requests(plan, used[a])
        if not reqs:
            continue
        k = rng.choice(reqs)
        b = rng.randrange(len(used) - 1)
        b += b >= a
        c = used[b]
        found = engine.slack.best(plan.slack[c], c, k)
        if found is not None:
            engine.remove(plan, [k])
            engine.insert(plan, k, (found[0], c, found[1], found[2] + 1))
