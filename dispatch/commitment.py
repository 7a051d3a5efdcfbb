"""When an order is given to a courier: hold it while a better bundle may form, commit it when
the courier must set off for it.

Pure. The solver re-plans every order not yet picked up each round. An order the plan puts
late in a courier's route is not told to anyone yet: it stays pending (the dispatcher sees
it held, and for whom), so the next rounds may pair it with an order from the same kitchen or
give it to a courier who frees up, at no churn price. An order is committed when its pickup
opens the courier's next run of new pickups and at most ``ahead_stops`` stops come before it
(the courier is on the way to the last stop before it), so a courier always knows where to go
after the current stop, and only when the food will be nearly ready when they get there (they
would wait at most ``wait_s`` at the counter): a courier sent at once to an order whose
kitchen needs 20 more minutes rides there and stands idle, unavailable for food that is ready
sooner. Until then the order stays held and the courier free; the dispatch loop's periodic
round looks at it again. What a courier was already given, or carries, stays committed; an
order the plan moves from one courier to another moves at once (the churn price was paid).
"""

from __future__ import annotations

from typing import Protocol

from routing.planning.problem import Plan, Route, Stop, StopKind


class _Given(Protocol):
    """What ``hold`` reads of a delivery (``dispatch.planning.LiveDelivery``)."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def courier_id(self) -> str | None: ...


def hold(plan: Plan, deliveries: tuple[_Given, ...], ahead_stops: int = 1,
         wait_s: int | None = None) -> tuple[Plan, dict[str, str]]:
    """The plan with only the stops committed now, and each held order's reason
    (``ahead_stops``: ``routing.planning.problem.Weights.commit_ahead_stops``; ``wait_s``:
    ``Weights.commit_wait_s``, None for no such bound)."""
    given = {d.id: d.courier_id for d in deliveries if d.status in ("assigned", "picked_up")}
    routes, held = [], {}
    for route in plan.routes:
        kept, waiting = _committed(route, given, ahead_stops, wait_s)
        routes.append(Route(route.courier, kept, route.travel_s, route.distance_m))
        for key, ahead in waiting.items():
            held[key] = (f"held: planned for courier {route.courier} after {ahead} stop(s); "
                         "committed when they set off for it")
    kept_plan = Plan(routes=tuple(routes), unassigned=plan.unassigned, objective=plan.objective,
                     explanations=tuple(e for e in plan.explanations if e.delivery not in held), meta=plan.meta)
    return kept_plan, held


def _committed(route: Route, given: dict[str, str | None], ahead_stops: int,
               wait_s: int | None) -> tuple[tuple[Stop, ...], dict[str, int]]:
    """The stops of ``route`` committed now, and the held deliveries with the stops before them.

    A run opens only when its first pickup's food is nearly ready when the courier gets there
    (they would wait at most ``wait_s``): otherwise the courier would ride to the kitchen and
    stand there, blocked for orders that are ready sooner."""
    run = "before"  # the run of new pickups committed now: before it, in it, after it
    now: set[str] = set()
    kept: list[Stop] = []
    held: dict[str, int] = {}
    for position, s in enumerate(route.stops):
        new_pickup = s.kind is StopKind.PICKUP and s.delivery not in given
        opens = (run == "before" and position <= ahead_stops
                 and (wait_s is None or s.start_s - s.arrival_s <= wait_s))
        if new_pickup and s.delivery not in now and (run == "in" or opens):
            now.add(s.delivery)
            kept.append(s)
            run = "in"
            continue
        if new_pickup and run == "before":  # the courier does not set off for it yet: nor for what follows
            run = "after"
        if s.delivery in given or s.delivery in now:  # given before (a move is priced as churn)
            kept.append(s)
        else:
            held.setdefault(s.delivery, position)
        if run == "in":
            run = "after"
    return tuple(kept), held
