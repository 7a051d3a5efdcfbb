"""The hour the fairness rule reads: the one the pay statement will check."""

from __future__ import annotations

from dispatch.domain.pay_so_far import short_cents, this_hour

H = 3600
NOON = 12 * H


def test_the_hour_runs_from_the_later_start_to_the_earlier_end() -> None:
    # on shift since 10:00 until 16:00: all of 12:00-13:00 counts, deliveries since 12:00
    assert this_hour(NOON + 600, 10 * H, 16 * H) == (NOON, H)
    # started at 12:40: the hour is 20 minutes long and counts deliveries since 12:40
    assert this_hour(NOON + 45 * 60, NOON + 40 * 60, 16 * H) == (NOON + 40 * 60, 20 * 60)
    # planned to end at 12:15: a quarter of an hour
    assert this_hour(NOON + 600, 10 * H, NOON + 15 * 60) == (NOON, 15 * 60)
    # running over at 12:25: the hour lasts at least until now
    assert this_hour(NOON + 25 * 60, 10 * H, NOON + 15 * 60) == (NOON, 25 * 60)


def test_a_short_hour_needs_only_its_share_of_the_floor_as_the_statement_rounds_it() -> None:
    floor = 1202
    _, span = this_hour(NOON + 45 * 60, NOON + 40 * 60, 16 * H)  # 20 minutes on shift
    assert short_cents(0, span, floor) == 401  # a third of 12.02, rounded up
    assert short_cents(400, span, floor) == 1
    assert short_cents(401, span, floor) == 0
    assert short_cents(900, span, floor) == 0  # never negative
