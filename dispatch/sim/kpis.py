"""The numbers a co-op cares about, from a finished simulation.

Definitions (minutes unless the name says otherwise)
----------------------------------------------------
- ``click_to_door_p50/p90_min``: placed -> dropoff done, over delivered orders and the orders
  whose customer gave up (status ``unassigned``), those counted at the moment they gave up
  (the promise plus ``abandon_after_s``): the least they waited for nothing. A policy that
  loses its slowest orders must not look faster for it.
- ``ready_to_pickup_p50/p90_min``: ready -> picked up (how long food waits), over picked-up orders.
- ``late_share``: delivered orders whose dropoff started after the promised window end.
- ``late_p90_min``: 90th percentile of minutes late among the late ones (0 when none is late).
- ``delay_p90_min``: 90th percentile of the click-to-door beyond each order's lower bound
  (ready + its pickup service + the direct ride + its dropoff service): the part of the wait
  dispatch is answerable for (a slow kitchen is not); orders given up count as for
  click-to-door.
- ``share_over_target``: delivered orders whose click-to-door exceeds the scenario's soft
  ``target_click_to_door_min`` (None without a target).
- ``deliveries_per_courier_hour``: delivered orders per hour on shift (overtime included).
- ``km_per_delivery``: kilometres ridden by all couriers per delivered order.
- ``utilization``: share of on-shift time with work in hand (riding, waiting or at a stop).
- ``earnings_*``: each delivered order pays the courier share of the fair price
  (``dispatch.domain.fees.quote`` under ``DEFAULT_RULE_SET``, member merchant, estimated times),
  read through a pay statement per courier (``dispatch.domain.statements``):
  ``earnings_per_hour_median_eur``, ``_p10_eur`` (10th percentile) and ``_min_eur`` across
  couriers, per hour on shift, against
  ``floor_per_hour_eur``; ``couriers_below_floor`` over their whole shift and
  ``below_floor_hours``, the clock hours on shift that earned less than the floor for them.
- ``unassigned_share``: orders never assigned to anyone; ``unassigned``: orders that ended
  unassigned (the customer gave up waiting or the day ended).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dispatch.domain.fees import DEFAULT_RULE_SET
from dispatch.domain.statements import ShiftSpan, courier_statement
from dispatch.sim.engine import SimResult
from dispatch.sim.pay import fee_record
from dispatch.sim.state import SimOrder, at

# name -> (label, which way is better: -1 lower, +1 higher, 0 neither)
KPIS: dict[str, tuple[str, int]] = {
    "orders": ("orders", 0),
    "delivered": ("delivered", 1),
    "failed": ("failed", -1),
    "cancelled": ("cancelled", 0),
    "unassigned": ("ended unassigned", -1),
    "unassigned_share": ("share never assigned", -1),
    "click_to_door_p50_min": ("click-to-door p50 (min)", -1),
    "click_to_door_p90_min": ("click-to-door p90 (min)", -1),
    "ready_to_pickup_p50_min": ("ready-to-pickup wait p50 (min)", -1),
    "ready_to_pickup_p90_min": ("ready-to-pickup wait p90 (min)", -1),
    "late_share": ("share late", -1),
    "late_p90_min": ("p90 minutes late (late ones)", -1),
    "delay_p90_min": ("delay beyond lower bound p90 (min)", -1),
    "share_over_target": ("share over target click-to-door", -1),
    "deliveries_per_courier_hour": ("deliveries per courier hour", 1),
    "km_per_delivery": ("km per delivery", -1),
    "utilization": ("courier utilization", 0),
    "earnings_per_hour_median_eur": ("courier earnings/h median (EUR)", 1),
    "earnings_per_hour_p10_eur": ("courier earnings/h p10 (EUR)", 1),
    "earnings_per_hour_min_eur": ("courier earnings/h lowest (EUR)", 1),
    "floor_per_hour_eur": ("living-wage floor/h (EUR)", 0),
    "couriers_below_floor": ("couriers below floor (shift)", -1),
    "below_floor_hours": ("clock hours below floor", -1),
    "decisions": ("dispatch decisions", 0),
    "policy_wall_s": ("time in the policy (s)", -1),
    "wall_s": ("simulation wall time (s)", -1),
}


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def kpis(result: SimResult) -> dict[str, Any]:
    """Every KPI of ``result`` (see the module docstring), as plain JSON values."""
    orders = list(result.orders.values())
    delivered = [o for o in orders if o.status == "delivered"]
    picked = [o for o in orders if o.picked_s is not None]
    late = [(o.dropoff_start_s or 0) - o.window_end_s for o in delivered if (o.dropoff_start_s or 0) > o.window_end_s]
    shift_s = sum((c.ended_s or 0) - (c.started_s or 0) for c in result.couriers.values() if c.started_s is not None)
    busy_s = sum(c.busy_s for c in result.couriers.values())
    km = sum(c.ridden_m for c in result.couriers.values()) / 1000
    count = {s: sum(1 for o in orders if o.status == s) for s in ("delivered", "failed", "cancelled", "unassigned")}
    gave_up = [(o, o.window_end_s + result.config.abandon_after_s) for o in orders if o.status == "unassigned"]
    door = [((o.done_s or 0) - o.spec.placed_s) / 60 for o in delivered]
    door_all = door + [(t - o.spec.placed_s) / 60 for o, t in gave_up]
    wait = [max(0, (o.picked_s or 0) - o.spec.ready_s) / 60 for o in picked]
    never = sum(1 for o in orders if not o.ever_assigned)
    delay = [max(0, (o.done_s or 0) - o.lower_bound_s) / 60 for o in delivered]
    delay += [max(0, t - o.lower_bound_s) / 60 for o, t in gave_up]
    target = result.scenario.target_click_to_door_min
    out: dict[str, Any] = {
        "orders": len(orders), **count, "unassigned_share": _share(never, len(orders)),
        "click_to_door_p50_min": _pct(door_all, 50), "click_to_door_p90_min": _pct(door_all, 90),
        "ready_to_pickup_p50_min": _pct(wait, 50), "ready_to_pickup_p90_min": _pct(wait, 90),
        "late_share": _share(len(late), len(delivered)),
        "late_p90_min": _pct([s / 60 for s in late], 90) if late else 0.0,
        "delay_p90_min": _pct(delay, 90),
        "share_over_target": _share(sum(m > target for m in door), len(door)) if target else None,
        "deliveries_per_courier_hour": round(len(delivered) * 3600 / shift_s, 3) if shift_s else None,
        "km_per_delivery": round(km / len(delivered), 3) if delivered else None,
        "utilization": _share(busy_s, shift_s),
    }
    out |= earnings(result, delivered)
    out |= {"decisions": result.decisions, "policy_wall_s": round(result.policy_wall_s, 2),
            "wall_s": round(result.wall_s, 2)}
    return out


def earnings(result: SimResult, delivered: list[SimOrder]) -> dict[str, Any]:
    floor = DEFAULT_RULE_SET.courier_floor_cents_per_hour
    records = [r for r in (fee_record(o) for o in delivered) if r is not None]
    rates: list[int] = []
    below_couriers = below_hours = 0
    for c in result.couriers.values():
        if c.started_s is None or c.ended_s is None or c.ended_s <= c.started_s:
            continue
        # the courier's day, its last instant included: a shift that runs over ends at the very
        # second of its last dropoff, and that dropoff is paid in the shift it ends
        st = courier_statement(c.id, records, [ShiftSpan(c.id, at(c.started_s), at(c.ended_s))],
                               at(c.started_s), at(c.ended_s + 1), floor)
        rates.append(st.earnings_per_hour_cents or 0)
        below_couriers += st.below_floor
        below_hours += len(st.hours_below_floor)
    return {"earnings_per_hour_median_eur": round(float(np.median(rates)) / 100, 2) if rates else None,
            "earnings_per_hour_p10_eur": round(float(np.percentile(rates, 10)) / 100, 2) if rates else None,
            "earnings_per_hour_min_eur": round(min(rates) / 100, 2) if rates else None,
            "floor_per_hour_eur": floor / 100, "couriers_below_floor": below_couriers,
            "below_floor_hours": below_hours}


def result_line(policy: str, k: dict[str, Any]) -> str:
    """``RESULT policy=<name> p90_click_to_door_min=<x> late_share=<x> ...`` (one line)."""
    def fmt(v: Any) -> str:
        return "nan" if v is None else str(v)

    names = (("p90_click_to_door_min", "click_to_door_p90_min"), ("late_share", "late_share"),
             ("deliveries_per_courier_hour", "deliveries_per_courier_hour"), ("unassigned", "unassigned"),
             ("below_floor_hours", "below_floor_hours"), ("km_per_delivery", "km_per_delivery"),
             ("delay_p90_min", "delay_p90_min"), ("earnings_per_hour_p10_eur", "earnings_per_hour_p10_eur"),
             ("share_over_target", "share_over_target"))
    return f"RESULT policy={policy} " + " ".join(f"{label}={fmt(k.get(key))}" for label, key in names)


def over_the_day(result: SimResult, bucket_s: int = 900) -> dict[str, list[float]]:
    """Per ``bucket_s``: share late of the dropoffs done then, and courier utilization sampled."""
    t0 = min((t for t, *_ in result.samples), default=0)
    t1 = max((t for t, *_ in result.samples), default=0)
    starts = list(range(t0 - t0 % bucket_s, t1 + 1, bucket_s))
    late, util = [], []
    for b in starts:
        done = [o for o in result.orders.values() if o.status == "delivered" and b <= (o.done_s or -1) < b + bucket_s]
        late.append(sum((o.dropoff_start_s or 0) > o.window_end_s for o in done) / len(done) if done else float("nan"))
        sampled = [(on, busy) for t, on, busy, _ in result.samples if b <= t < b + bucket_s and on]
        util.append(sum(busy / on for on, busy in sampled) / len(sampled) if sampled else float("nan"))
    return {"t_h": [b / 3600 for b in starts], "late_share": late, "utilization": util}
