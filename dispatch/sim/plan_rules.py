"""How a courier's route is rebuilt after a plan: the stops it must keep, pickups before dropoffs.

The same rules as the service: an order assigned to a courier keeps both stops on its route, an
order on board keeps its dropoff (it never changes courier), whatever the plan says.
"""

from __future__ import annotations

from dispatch.sim.state import SimCourier, SimOrder, Stop


def needed_stops(c: SimCourier, orders: dict[str, SimOrder]) -> set[Stop]:
    needed: set[Stop] = set()
    for oid, _kind in c.route + ([c.leg.target] if c.leg else []) + ([c.serving] if c.serving else []):
        o = orders[oid]
        if o.courier_id == c.id and o.status == "assigned":
            needed |= {(oid, "pickup"), (oid, "dropoff")}
        elif o.courier_id == c.id and o.status == "picked_up":
            needed.add((oid, "dropoff"))
    for o in orders.values():  # newly assigned orders are not on the route yet
        if o.courier_id == c.id and o.status == "assigned":
            needed |= {(o.id, "pickup"), (o.id, "dropoff")}
    return needed


def pickups_first(route: list[Stop]) -> list[Stop]:
    """Move any dropoff planned before its own pickup to just after it."""
    out: list[Stop] = []
    waiting: dict[str, Stop] = {}
    pickups = {oid for oid, kind in route if kind == "pickup"}
    for s in route:
        if s[1] == "dropoff" and s[0] in pickups and (s[0], "pickup") not in out:
            waiting[s[0]] = s
            continue
        out.append(s)
        if s[1] == "pickup" and s[0] in waiting:
            out.append(waiting.pop(s[0]))
    return out
