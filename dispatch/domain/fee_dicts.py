"""JSON-able dicts for rule sets, trips, fee lines, splits and quotes; exact round trips.

Pure. These are what the database stores (JSON columns) and the API returns. Every
``*_from_dict`` checks types and names the first bad key, so a corrupt row fails loudly:
rule-set keys raise :class:`FeeRuleError`, trip keys :class:`TripInputError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from typing import Any, cast

from dispatch.domain.fee_rules import (
    PARTIES,
    FeeError,
    FeeRuleError,
    LoadMeasure,
    LoadSurcharge,
    Party,
    PayBasis,
    RuleSet,
    TimeSurcharge,
    TripInputError,
    WeatherSurcharge,
    validate_rule_set,
)
from dispatch.domain.fees import FeeLine, Quote, Split, TripEstimate, validate_trip
from dispatch.domain.instants import OutOfRange, check_day

JsonDict = dict[str, Any]


class _Reader:
    """Typed access to a JSON object, raising ``error(prefix + key, ...)`` on a bad value."""

    def __init__(self, data: object, prefix: str, error: type[FeeError]) -> None:
        if not isinstance(data, Mapping):
            raise error(prefix.rstrip(".") or "<root>", f"must be an object, got {data!r}")
        self.data, self.prefix, self.error = data, prefix, error

    def get(self, key: str, kind: type, default: object = ...) -> Any:
        if key not in self.data:
            if default is not ...:
                return default
            raise self.error(self.prefix + key, "is missing")
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(self.prefix + key, f"must be {kind.__name__}, got {value!r}")
        return value

    def items(self, key: str) -> list[_Reader]:
        return [_Reader(item, f"{self.prefix}{key}[{i}].", self.error)
                for i, item in enumerate(self.get(key, list, []))]


def rule_set_to_dict(rules: RuleSet) -> JsonDict:
    """A rule set as a JSON-able dict (dates as ISO strings, tuples as lists).

    Examples
    --------
    >>> from dispatch.domain.fee_rules import DEFAULT_RULE_SET
    >>> rule_set_from_dict(rule_set_to_dict(DEFAULT_RULE_SET)) == DEFAULT_RULE_SET
    True
    """
    data = asdict(rules)
    data["effective_from"] = rules.effective_from.isoformat()
    data["rounding_order"] = list(rules.rounding_order)
    for key in ("load_surcharges", "time_surcharges", "weather_surcharges"):
        data[key] = list(data[key])
    return data


def _effective_from(reader: _Reader) -> date:
    text = reader.get("effective_from", str)
    try:
        return check_day(date.fromisoformat(text))
    except OutOfRange as exc:
        raise FeeRuleError("effective_from", str(exc)) from None
    except ValueError:
        raise FeeRuleError("effective_from", f"must be an ISO date, got {text!r}") from None


def rule_set_from_dict(data: Mapping[str, Any]) -> RuleSet:
    """Read and validate a rule set written by :func:`rule_set_to_dict`.

    Raises
    ------
    FeeRuleError
        Naming the missing or invalid key (``"load_surcharges[0].above"``, ...).
    """
    r = _Reader(data, "", FeeRuleError)
    loads = tuple(LoadSurcharge(cast(LoadMeasure, x.get("measure", str)), x.get("above", int),
                                x.get("cents_per_unit", int)) for x in r.items("load_surcharges"))
    times = tuple(TimeSurcharge(x.get("start_hour", int), x.get("end_hour", int),
                                x.get("percent_bp", int), x.get("flat_cents", int))
                  for x in r.items("time_surcharges"))
    weather = tuple(WeatherSurcharge(x.get("condition", str), x.get("cents", int),
                                     x.get("label_en", str), x.get("label_fr", str))
                    for x in r.items("weather_surcharges"))
    order = tuple(cast(Party, p) for p in r.get("rounding_order", list, list(PARTIES)))
    ints = {k: r.get(k, int) for k in (
        "version", "base_cents", "per_km_cents", "per_active_minute_cents", "minimum_fee_cents",
        "courier_floor_cents_per_hour", "coop_share_bp", "merchant_rebate_bp")}
    texts = {k: r.get(k, str) for k in ("adopted_by", "description_en", "description_fr",
                                        "currency")}
    return validate_rule_set(RuleSet(
        effective_from=_effective_from(r), load_surcharges=loads, time_surcharges=times,
        weather_surcharges=weather, rounding_order=order,
        pay_courier_on=cast(PayBasis, r.get("pay_courier_on", str)), **ints, **texts))


def trip_to_dict(trip: TripEstimate) -> JsonDict:
    """A trip estimate as a JSON-able dict (its fields, plus the derived ``active_s``)."""
    return {**asdict(trip), "active_s": trip.active_s}


def trip_from_dict(data: Mapping[str, Any]) -> TripEstimate:
    """Read and validate a trip written by :func:`trip_to_dict` (``active_s`` is ignored).

    Raises
    ------
    TripInputError
        Naming the bad key as ``trip.<key>``.
    """
    r = _Reader(data, "trip.", TripInputError)
    ints = {k: r.get(k, int) for k in ("distance_m", "ride_to_pickup_s", "pickup_service_s",
                                       "ride_s", "dropoff_service_s", "load_g", "load_ml",
                                       "pickup_hour")}
    weather = r.get("weather", object, None)
    return validate_trip(TripEstimate(**ints, weather=weather,
                                      merchant_is_member=r.get("merchant_is_member", bool)))


def line_to_dict(line: FeeLine) -> JsonDict:
    """A fee line as a JSON-able dict."""
    return asdict(line)


def line_from_dict(data: Mapping[str, Any]) -> FeeLine:
    """Read a fee line written by :func:`line_to_dict`, as stored (never recomputed)."""
    r = _Reader(data, "line.", FeeRuleError)
    return FeeLine(r.get("code", str), r.get("label_en", str), r.get("label_fr", str),
                   r.get("quantity", int), r.get("quantity_unit", str),
                   r.get("rate_cents", int), r.get("per", int), r.get("amount_cents", int))


def split_to_dict(split: Split) -> JsonDict:
    """The three shares as ``{"courier_cents", "coop_cents", "merchant_cents"}``."""
    return asdict(split)


def split_from_dict(data: Mapping[str, Any], prefix: str = "split.") -> Split:
    """Read a split written by :func:`split_to_dict`."""
    r = _Reader(data, prefix, FeeRuleError)
    return Split(r.get("courier_cents", int), r.get("coop_cents", int),
                 r.get("merchant_cents", int))


def quote_to_dict(q: Quote) -> JsonDict:
    """A quote as the API shows it: rule-set version, inputs, lines, fee and split."""
    return {
        "rule_set_version": q.rule_set_version,
        "currency": q.rules.currency,
        "trip": trip_to_dict(q.trip),
        "lines": [line_to_dict(line) for line in q.lines],
        "fee_cents": q.fee_cents,
        "courier_floor_cents": q.courier_floor_cents,
        "split": split_to_dict(q.split),
    }
