"""Compiled inner loops of the search engine (``routing.planning.engine``).

Two loops run millions of times in a search: the cost of one courier's route (a walk over
its stops) and the cheapest insertion of one delivery over a set of couriers' routes (every
pickup and dropoff position of every candidate route, each priced in full). Both are plain
loops over small integer arrays that numba compiles to machine code; the search around them
is Python.

The cost is the objective of ``routing.planning.insertion.Evaluator.route_cost``, to the unit
(a test checks the two agree on random problems):

- live mode (``bench == 0``): riding seconds (at the courier's speed) times ``travel_per_s``;
  per dropoff, lateness beyond its window end times ``lateness_per_s`` (soft: never
  infeasible), delay after its ideal time times ``delay_per_s`` (and ``delay_tail_per_s``
  beyond ``delay_tail_s``), the courier's fairness surcharge for an order not yet on board, and
  per cent of this clock hour's floor the route leaves the courier short of, and a fixed cost
  if it leaves them short at all (``routing.planning.fairness``): the dropoffs done before the
  hour ends pay toward it;
- benchmark mode (``bench == 1``): metres ridden; a dropoff after its window end is infeasible.

Stops in a row at one place are one visit in live mode (the courier parks and walks in
once): each adds only the service it takes beyond the longest before it there
(``routing.planning.schedule.service_after``).

Hard in both: capacities in grams and millilitres (starting from what is on board), a
pickup's latest start, each delivery's maximum ride time, the shift end.

Tables (all int64): per node (pickup of delivery ``k`` is node ``2k``, its dropoff ``2k + 1``)
``place, early, due, latest, svc, qg, qml``; per delivery ``ideal, maxride, onboard, prev``
(-1 for none); per courier ``cstart, cend (-1: open route), avail, shift_end, capg, capml,
pct, g0, ml0, surch, first`` (``first``: stops at the start of the route that stay there, the
stop the courier is riding to) and ``hour`` (rows of: when the clock hour ends, cents short of its
floor); per delivery ``pay`` (cents to its courier); ``w``: travel_per_s, lateness_per_s,
delay_per_s, delay_tail_s, delay_tail_per_s, churn_per_move, floor_short_per_cent,
floor_missed_per_hour.
"""

from __future__ import annotations

import numpy as np

from routing.compiled import compiled

BIG = 1 << 60  # "no limit" for times and bounds (fits int64 with room for sums)
INFEASIBLE = -1
TOO_DEAR = -2  # route_cost stopped early: the cost is above the limit it was given


@compiled(inline=True)
def _leg(travel, a, b, pct):  # type: ignore[no-untyped-def]
    """Riding seconds from place ``a`` to ``b`` at ``pct`` % of the matrix (rounded up)."""
    t = travel[a, b] * pct
    return (t + 99) // 100


@compiled()
def route_cost(nodes, n, c, bench, travel, dist, place, early, due, latest, svc, qg, qml,  # type: ignore[no-untyped-def]
               ideal, maxride, onboard, cstart, cend, avail, shift_end, capg, capml, pct, g0, ml0,
               surch, hour, pay, w, picked, limit=BIG):
    """Cost of courier ``c`` riding ``nodes[:n]`` in order, or ``INFEASIBLE``.

    Every term is non-negative, so the walk stops as soon as the cost passes ``limit`` (the
    answer is then ``TOO_DEAR``): an insertion scan prices most candidates only part way.
    ``picked`` is scratch space, one entry per delivery, all -1 on entry and on return.
    """
    at = cstart[c]
    clock = avail[c]
    g = g0[c]
    ml = ml0[c]
    p = pct[c]
    cost = 0
    ok = True
    dear = False
    visit = 0  # the longest service of the stops in a row at this place so far (live mode)
    got = 0  # pay of the dropoffs done before the courier's clock hour ends
    for x in range(n):
        node = nodes[x]
        k = node // 2
        to = place[node]
        if x == 0 or to != at or bench:
            visit = 0
        leg = _leg(travel, at, to, p)
        if bench:
            cost += dist[at, to]
        else:
            cost += w[0] * leg
        arrival = clock + leg
        start = arrival if arrival > early[node] else early[node]
        if node % 2 == 0:
            g += qg[node]
            ml += qml[node]
            if g > capg[c] or ml > capml[c] or start > latest[node]:
                ok = False
                break
            picked[k] = start
        else:
            g += qg[node]
            ml += qml[node]
            if start > due[node]:
                if bench:
                    ok = False
                    break
                cost += w[1] * (start - due[node])
            best = ideal[k]
            if best >= 0 and start > best:
                cost += w[2] * (start - best)
                if w[4] > 0 and start > best + w[3]:
                    cost += w[4] * (start - best - w[3])
            if picked[k] >= 0 and maxride[k] >= 0 and start - picked[k] > maxride[k]:
                ok = False
                break
            if onboard[k] == 0:
                cost += surch[c]
            if start + svc[node] <= hour[c, 0]:
                got += pay[k]
        if cost > limit:
            dear = True
            break
        # stops in a row at one place are one visit: each adds only the service it takes
        # beyond the longest before it there (benchmark: every node its own service)
        clock = start + (svc[node] - visit if svc[node] > visit else 0)
        if svc[node] > visit and not bench:
            visit = svc[node]
        at = to
    for x in range(n):
        picked[nodes[x] // 2] = -1
    if not ok:
        return INFEASIBLE
    if dear:
        return TOO_DEAR
    if cend[c] >= 0:
        leg = _leg(travel, at, cend[c], p)
        cost += dist[at, cend[c]] if bench else w[0] * leg
        clock += leg
    if clock > shift_end[c]:
        return INFEASIBLE
    if hour[c, 1] > got:
        cost += w[6] * (hour[c, 1] - got) + w[7]
    return cost


@compiled(inline=True)
def _detour(travel, dist, bench, w, p, a, x, b):  # type: ignore[no-untyped-def]
    """Travel cost of riding a -> x -> b instead of a -> b (b < 0: open end, free)."""
    if bench:
        base = dist[a, b] if b >= 0 else 0
        via = dist[a, x] + (dist[x, b] if b >= 0 else 0)
        return via - base
    base = _leg(travel, a, b, p) if b >= 0 else 0
    via = _leg(travel, a, x, p) + (_leg(travel, x, b, p) if b >= 0 else 0)
    return w[0] * (via - base)


@compiled(inline=True)
def _together(travel, dist, bench, w, p, a, x, y, b):  # type: ignore[no-untyped-def]
    """Travel cost of riding a -> x -> y -> b instead of a -> b (b < 0: open end, free)."""
    if bench:
        return dist[a, x] + dist[x, y] + (dist[y, b] - dist[a, b] if b >= 0 else 0)
    return w[0] * (_leg(travel, a, x, p) + _leg(travel, x, y, p)
                   + (_leg(travel, y, b, p) - _leg(travel, a, b, p) if b >= 0 else 0))


@compiled(inline=True)
def _fill(trial, row, n, i, j, pn, dn, carried):  # type: ignore[no-untyped-def]
    """Write ``row[:n]`` with the pickup ``pn`` at position i and the dropoff ``dn`` after the
    stops up to j (carried: the dropoff alone at i) into ``trial``; return its length."""
    for t in range(i):
        trial[t] = row[t]
    if carried:
        trial[i] = dn
        for t in range(i, n):
            trial[t + 1] = row[t]
        return n + 1
    trial[i] = pn
    for t in range(i, j):
        trial[t + 1] = row[t]
    trial[j + 1] = dn
    for t in range(j, n):
        trial[t + 2] = row[t]
    return n + 2


@compiled()
def best_over(routes, lengths, base, cands, k, bound, bench, travel, dist, place, early, due,  # type: ignore[no-untyped-def]
              latest, svc, qg, qml, ideal, maxride, onboard, prev, cstart, cend, avail, shift_end,
              capg, capml, pct, g0, ml0, surch, first, hour, pay, w, picked, trial):
    """The cheapest insertion of delivery ``k`` into the routes of couriers ``cands``.

    Returns ``(added cost, courier, i, j)``: the pickup goes to index ``i`` of the courier's
    stop list and then the dropoff to index ``j`` (``i == -1``: on board, dropoff only), as
    ``list.insert`` would put them; ``(-1, -1, -1, -1)`` when nothing below ``bound`` fits.
    Candidates are priced in full only when their exact travel detour, less what the dropoff
    can take off the courier's shortfall this hour, can beat the best so far (a lower bound:
    the other terms can only grow). ``trial`` is scratch space longer
    than any route plus two.
    """
    pn = 2 * k
    dn = 2 * k + 1
    pp = place[pn]
    dp = place[dn]
    carried = onboard[k] == 1  # only its dropoff is inserted
    best = bound
    bc = -1
    bi = -1
    bj = -1
    for ci in range(cands.shape[0]):
        c = cands[ci]
        n = lengths[c]
        row = routes[c]
        churn = w[5] if prev[k] >= 0 and prev[k] != c else 0
        # the one term an insertion can lower: the route's shortfall this hour, by the pay of
        # the dropoff at most; candidates are pruned on their detour less that
        gain = w[6] * (pay[k] if pay[k] < hour[c, 1] else hour[c, 1]) + (w[7] if hour[c, 1] > 0 else 0)
        if churn - gain >= best or base[c] < 0:  # a broken route takes nothing more
            continue
        p = pct[c]
        f = first[c] if n > 0 else 0
        # position t lies between stop t-1 (or the start) and stop t; the pickup goes at i, the
        # dropoff at j >= i (j == i: right after the pickup; carried: the dropoff alone at i)
        for i in range(f, n + 1):
            a = cstart[c] if i == 0 else place[row[i - 1]]
            b = cend[c] if i == n else place[row[i]]
            pick = 0 if carried else _detour(travel, dist, bench, w, p, a, pp, b)
            for j in range(i, i + 1 if carried else n + 1):
                if carried:
                    lb = _detour(travel, dist, bench, w, p, a, dp, b)
                elif j == i:
                    lb = _together(travel, dist, bench, w, p, a, pp, dp, b)
                else:
                    lb = pick + _detour(travel, dist, bench, w, p, place[row[j - 1]], dp,
                                        cend[c] if j == n else place[row[j]])
                if lb + churn - gain >= best:
                    continue
                size = _fill(trial, row, n, i, j, pn, dn, carried)
                cost = route_cost(trial, size, c, bench, travel, dist, place, early, due, latest, svc,
                                  qg, qml, ideal, maxride, onboard, cstart, cend, avail, shift_end, capg,
                                  capml, pct, g0, ml0, surch, hour, pay, w, picked, best + base[c] - churn)
                if cost >= 0 and cost - base[c] + churn < best:
                    best = cost - base[c] + churn
                    bc, bi, bj = (c, -1, i) if carried else (c, i, j + 1)
    if bc < 0:
        return -1, -1, -1, -1
    return best, bc, bi, bj


@compiled()
def costs_of(routes, lengths, bench, travel, dist, place, early, due, latest, svc, qg, qml,  # type: ignore[no-untyped-def]
             ideal, maxride, onboard, cstart, cend, avail, shift_end, capg, capml, pct, g0, ml0,
             surch, hour, pay, w, picked):
    """``route_cost`` of every courier's route (one call for the whole plan)."""
    out = np.empty(lengths.shape[0], np.int64)
    for c in range(lengths.shape[0]):
        out[c] = route_cost(routes[c], lengths[c], c, bench, travel, dist, place, early, due, latest,
                            svc, qg, qml, ideal, maxride, onboard, cstart, cend, avail, shift_end, capg,
                            capml, pct, g0, ml0, surch, hour, pay, w, picked)
    return out


__all__ = ["BIG", "INFEASIBLE", "TOO_DEAR", "best_over", "costs_of", "route_cost"]
