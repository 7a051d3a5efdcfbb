"""Bounds (issue 16): a rule set within them can price any trip without overflowing a database
integer; adoption refuses a floor below the legal one or one the prices cannot pay; dates
outside 2000-2099 are refused before anything converts them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given

from dispatch.domain.fee_rules import MAX_FEE_CENTS, FeeError, FeeRuleError, FloorNotMet, validate_rule_set
from dispatch.domain.fee_samples import SAMPLE_TRIPS, check_adoptable
from dispatch.domain.fees import DEFAULT_RULE_SET, RuleSet, TripEstimate, quote
from dispatch.domain.instants import OutOfRange, check_day, check_instant
from tests.unit.domain.fee_strategies import rule_sets, trips

INT32_MAX = 2**31 - 1


@given(rule_sets(), trips())
def test_a_bounded_rule_set_prices_any_trip_within_a_database_integer_or_says_why(rules: RuleSet,
                                                                                  trip: TripEstimate) -> None:
    """Either a fee that fits the fee column, or a FeeError naming a parameter: nothing else."""
    try:
        q = quote(rules, trip)
    except FeeError as exc:
        assert exc.parameter
        return
    assert 0 <= q.fee_cents <= MAX_FEE_CENTS <= INT32_MAX


@pytest.mark.parametrize(("change", "parameter"), [
    ({"base_cents": 10**19}, "base_cents"),
    ({"rounding_order": ("x", {"y": 1})}, "rounding_order"),
    ({"rounding_order": ("courier", "courier", "coop")}, "rounding_order"),
    ({"description_en": "x" * 5000}, "description_en"),
    ({"effective_from": date(1, 1, 1)}, "effective_from"),
    ({"version": True}, "version"),
])
def test_a_parameter_out_of_bounds_is_named(change: dict[str, object], parameter: str) -> None:
    """Junk that used to be stored (or to raise a TypeError) is a FeeRuleError naming it."""
    with pytest.raises(FeeRuleError) as caught:
        validate_rule_set(replace(DEFAULT_RULE_SET, **change))  # type: ignore[arg-type]
    assert caught.value.parameter == parameter


def test_adoption_needs_the_legal_floor_and_prices_that_pay_it_on_every_sample_trip() -> None:
    """The default rules pass; a floor under the legal one, or a courier share of 0 %, fails."""
    assert check_adoptable(DEFAULT_RULE_SET, 1202) is DEFAULT_RULE_SET
    assert len(SAMPLE_TRIPS) >= 40
    with pytest.raises(FeeRuleError, match="legal floor of 1500"):
        check_adoptable(DEFAULT_RULE_SET, 1500)
    with pytest.raises(FloorNotMet, match="on a sample trip of"):
        check_adoptable(replace(DEFAULT_RULE_SET, coop_share_bp=9500, merchant_rebate_bp=500), 1202)


@pytest.mark.parametrize("value", [
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))),
    datetime(1999, 12, 31, 23, tzinfo=UTC),
    datetime(2100, 1, 1, tzinfo=UTC),
    datetime(2026, 6, 1, 12),  # no time zone
])
def test_instants_outside_the_range_or_without_a_time_zone_are_refused(value: datetime) -> None:
    """Refused from the wall clock alone: converting year 1 at +14:00 to UTC would overflow."""
    with pytest.raises(OutOfRange):
        check_instant(value)


def test_days_and_instants_inside_the_range_pass_unchanged() -> None:
    """2000-01-01 and 2099-12-31 are the ends, both inside."""
    assert check_day(date(2000, 1, 1)) == date(2000, 1, 1)
    edge = datetime(2099, 12, 31, 23, 59, tzinfo=UTC)
    assert check_instant(edge) is edge
    assert check_instant(datetime(2026, 6, 1), aware=False) == datetime(2026, 6, 1)
