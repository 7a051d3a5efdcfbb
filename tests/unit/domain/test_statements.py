"""Courier and co-op statements: hours on shift, the floor per hour, and CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fee_strategies import trips
from hypothesis import given
from hypothesis import strategies as st

from dispatch.domain.fees import DEFAULT_RULE_SET, TripEstimate
from dispatch.domain.receipts import issue_receipt
from dispatch.domain.statements import (
    DeliveryRecord,
    ShiftSpan,
    StatementInputError,
    coop_statement,
    coop_statement_to_csv,
    courier_statement,
    courier_statement_to_csv,
)

DAY = datetime(2026, 6, 15, tzinfo=UTC)
LUNCH = TripEstimate(2400, 300, 120, 660, 120, merchant_is_member=True)  # 1092: 874/164/54
SHORT = TripEstimate(1000, 120, 60, 300, 60)  # 300 + 80 + 270 = 650, non-member: 553/97/0


def at(hour: int, minute: int = 0) -> datetime:
    """A time on the statement day, in UTC."""
    return DAY + timedelta(hours=hour, minutes=minute)


def record(delivery_id: str, trip: TripEstimate, delivered_at: datetime, courier_id: str = "c1",
           merchant_id: str = "m1") -> DeliveryRecord:
    """A delivered delivery under the default rules."""
    return DeliveryRecord(delivery_id, courier_id, merchant_id, delivered_at,
                          issue_receipt(DEFAULT_RULE_SET, trip))


@pytest.fixture
def lunch_shift_day() -> tuple[list[DeliveryRecord], list[ShiftSpan]]:
    """c1 rides 11:30-14:00 with two deliveries at 12:xx and none after; c2 does one."""
    deliveries = [record("d1", LUNCH, at(12, 10)), record("d2", LUNCH, at(12, 50)),
                  record("d3", SHORT, at(12, 40), courier_id="c2", merchant_id="m2"),
                  record("d0", LUNCH, at(9, 0))]  # before the period
    shifts = [ShiftSpan("c1", at(11, 30), at(13, 0)), ShiftSpan("c1", at(12, 30), at(14, 0)),
              ShiftSpan("c2", at(12, 0), at(13, 0))]
    return deliveries, shifts


def test_courier_statement_counts_waiting_and_flags_the_idle_hours(
        lunch_shift_day: tuple[list[DeliveryRecord], list[ShiftSpan]]) -> None:
    """2.5 h on shift (overlap once), 1748 cents; 11:00 and 13:00 earned nothing and are flagged."""
    deliveries, shifts = lunch_shift_day
    st_ = courier_statement("c1", deliveries, shifts, at(10), at(18), 1202)
    assert [d.delivery_id for d in st_.deliveries] == ["d1", "d2"]
    assert st_.on_shift_s == 9000 and st_.earnings_cents == 2 * 874
    assert st_.earnings_per_hour_cents == 1748 * 3600 // 9000 == 699
    assert st_.floor_cents == 3005 and st_.below_floor
    assert [(h.start.hour, h.on_shift_s, h.earnings_cents, h.floor_cents, h.below_floor)
            for h in st_.hours] == [(11, 1800, 0, 601, True), (12, 3600, 1748, 1202, False),
                                    (13, 3600, 0, 1202, True)]
    assert [h.start.hour for h in st_.hours_below_floor] == [11, 13]


def test_courier_statement_csv_has_delivery_hour_and_total_rows(
        lunch_shift_day: tuple[list[DeliveryRecord], list[ShiftSpan]]) -> None:
    """The CSV lists each delivery and hour, then the total, with amounts in euros."""
    deliveries, shifts = lunch_shift_day
    text = courier_statement_to_csv(courier_statement("c1", deliveries, shifts, at(10), at(18),
                                                      1202))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["kind"] for r in rows] == ["delivery", "delivery", "hour", "hour", "hour", "total"]
    assert rows[0]["delivery_id"] == "d1" and rows[0]["fee_eur"] == "10.92"
    assert rows[0]["earnings_eur"] == "8.74"
    assert (rows[2]["floor_eur"], rows[2]["below_floor"]) == ("6.01", "yes")
    assert rows[3]["below_floor"] == "no"
    assert (rows[-1]["earnings_eur"], rows[-1]["on_shift_s"], rows[-1]["floor_eur"]) == (
        "17.48", "9000", "30.05")


def test_coop_statement_accounts_for_every_cent_per_merchant(
        lunch_shift_day: tuple[list[DeliveryRecord], list[ShiftSpan]]) -> None:
    """Fees 1092 + 1092 + 650 = 2834 = couriers 2301 + co-op 425 + rebates 108."""
    deliveries, _ = lunch_shift_day
    st_ = coop_statement(deliveries, at(10), at(18))
    total = st_.total
    assert (total.deliveries, total.fees_cents, total.courier_cents, total.coop_cents,
            total.rebate_cents) == (3, 2834, 2301, 425, 108)
    assert [(m.party_id, m.deliveries, m.rebate_cents) for m in st_.merchants] == [
        ("m1", 2, 108), ("m2", 1, 0)]
    rows = list(csv.DictReader(io.StringIO(coop_statement_to_csv(st_))))
    assert [(r["kind"], r["id"]) for r in rows] == [
        ("merchant", "m1"), ("merchant", "m2"), ("courier", "c1"), ("courier", "c2"),
        ("total", "all")]
    assert (rows[-1]["fees_eur"], rows[-1]["coop_eur"], rows[-1]["rebate_eur"]) == (
        "28.34", "4.25", "1.08")


def test_statement_times_in_paris_and_utc_agree() -> None:
    """A shift given in Paris summer time lands in the same UTC hours."""
    paris = timezone(timedelta(hours=2))
    shifts = [ShiftSpan("c1", datetime(2026, 6, 15, 14, 0, tzinfo=paris),
                        datetime(2026, 6, 15, 15, 30, tzinfo=paris))]
    st_ = courier_statement("c1", [], shifts, at(0), at(23), 1202)
    assert [(h.start, h.on_shift_s) for h in st_.hours] == [(at(12), 3600), (at(13), 1800)]
    assert st_.earnings_per_hour_cents == 0


def test_naive_times_are_refused_naming_the_field() -> None:
    """Without a timezone an hour is ambiguous, so the statement refuses it."""
    with pytest.raises(StatementInputError) as caught:
        courier_statement("c1", [], [], datetime(2026, 6, 15), at(23), 1202)
    assert caught.value.parameter == "period_start"


def test_a_period_without_shift_has_no_hourly_rate() -> None:
    """No time on shift: earnings per hour is None and nothing is below a zero floor."""
    st_ = courier_statement("c1", [], [], at(0), at(1), 1202)
    assert st_.earnings_per_hour_cents is None and not st_.below_floor


@given(st.lists(st.tuples(trips(), st.integers(0, 24 * 60 - 1), st.sampled_from(["a", "b"]),
                          st.sampled_from(["x", "y", "z"])), max_size=12))
def test_coop_statement_fees_always_equal_the_sum_of_shares(
        items: list[tuple[TripEstimate, int, str, str]]) -> None:
    """Over any receipts: fees = courier + co-op + rebates, per merchant and in total."""
    records = [record(f"d{i}", trip, at(0, minute), courier, merchant)
               for i, (trip, minute, courier, merchant) in enumerate(items)]
    st_ = coop_statement(records, at(0), at(24))
    for t in (st_.total, *st_.merchants, *st_.couriers):
        assert t.fees_cents == t.courier_cents + t.coop_cents + t.rebate_cents
    assert sum(m.fees_cents for m in st_.merchants) == st_.total.fees_cents
    assert sum(c.deliveries for c in st_.couriers) == st_.total.deliveries == len(records)


def test_hour_buckets_add_up_to_the_time_on_shift_even_with_fractions_of_a_second():
    """Shifts stamped to the microsecond are counted in whole seconds, so hours sum to the total."""
    shift = ShiftSpan("c1", at(9, 10) + timedelta(microseconds=700_000),
                      at(10, 30) + timedelta(microseconds=900_000))
    statement = courier_statement("c1", [], [shift], at(0), at(23), 1202)
    assert statement.on_shift_s == sum(h.on_shift_s for h in statement.hours)
