"""Where a plan starts: each courier's forced stops and what the plan in force still gives
them. Pure. Shared by the live solver and the benchmark search (``routing.bench.bench_search``),
so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Sequence

from routing.planning.nearest import forced_prefixes
from routing.planning.problem import Delivery, Plan, Problem, Stop, StopKind
from routing.planning.schedule import Visit


def start_routes(problem: Problem, keep: Sequence[Delivery], initial: Plan | None) -> dict[str, list[Visit]]:
    """What every plan starts from: each courier's forced stops (the stop it rides to, what is
    on board), then what ``initial`` still validly gives it, in its order."""
    routes = forced_prefixes(problem, keep)
    placed = {v.delivery.key for visits in routes.values() for v in visits}
    by_key = {d.key: d for d in keep}
    if initial is not None:
        for route in initial.routes:
            if route.courier in routes:
                kept = _kept_stops(by_key, placed, route.courier, route.stops)
                routes[route.courier].extend(kept)
                placed |= {v.delivery.key for v in kept}
    return routes


def _kept_stops(
    by_key: dict[str, Delivery], placed: set[str], courier: str, stops: Sequence[Stop]
) -> list[Visit]:
    """The stops of a previous route still valid for ``courier``, in their order.

    A carried delivery keeps only its dropoff; a loose one is kept from its pickup; a delivery
    now pinned or carried elsewhere, or already placed, is left for insertion.
    """
    kept: list[Visit] = []
    picked: set[str] = set()
    for s in stops:
        d = by_key.get(s.delivery)
        if d is None or d.key in placed or (d.on_board_of or d.pinned_to or courier) != courier:
            continue
        if s.kind is StopKind.PICKUP and d.on_board_of is None:
            picked.add(d.key)
            kept.append(Visit(d, s.kind))
        elif s.kind is StopKind.DROPOFF and (d.on_board_of or d.key in picked):
            kept.append(Visit(d, s.kind))
    return kept
