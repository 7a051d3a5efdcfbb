"""Fair price: a delivery's fee and its exact three-way split, in integer cents.

Pure: no I/O, no clock, no floats in money. The rule set (:class:`RuleSet`, defined in
:mod:`dispatch.domain.fee_rules` and re-exported here) is a versioned, validated value.

The fee
-------
Every line is ``amount_cents = round_half_up(quantity * rate_cents / per)`` and the fee is the
sum of the lines, so each one can be checked with a pencil:

1. ``base``: 1 delivery at ``base_cents``.
2. ``distance``: street distance in m, at ``per_km_cents`` per 1000 m.
3. ``active_time``: estimated active s (ride to pickup + pickup + ride + dropoff service),
   at ``per_active_minute_cents`` per 60 s.
4. ``load_*``: for each load tier, g (or ml) above its threshold at its rate per 1000 g (ml).
5. ``time_of_day_*``: if pickup's local hour is in a range, ``percent_bp`` per 10000 cents of
   the sum of lines 1-4, and/or a flat amount.
6. ``weather_*``: a flat amount when the trip's weather flag matches a listed condition
   (flags the rule set does not list add nothing).
7. ``minimum_fee_topup``: what is missing to reach ``minimum_fee_cents``, if anything.

The split
---------
Shares are fixed fractions of the fee, in basis points: the merchant gets
``merchant_rebate_bp`` if the merchant is a member (else 0), the co-op ``coop_share_bp`` and the
courier the rest (``10000 - coop - merchant``). Each exact share ``fee * bp / 10000`` is rounded
down; the cents still missing (0, 1 or 2) go one each to the largest fractional remainders
(Hamilton's largest-remainder method). Equal remainders are broken by the rule set's
``rounding_order``, by default courier first, then co-op, then merchant. So the shares always
add up to the fee exactly and none is negative.

The courier's share must then be at least the living-wage floor:
``ceil(courier_floor_cents_per_hour * active_s / 3600)``. If it is not, :func:`quote` raises
:class:`FloorNotMet` (``parameter == "courier_floor_cents_per_hour"``): the co-op refuses to
quote a price that underpays rather than quietly paying less. (At delivery, when the rule set
pays on actual time, :mod:`dispatch.domain.receipts` tops the courier up from the co-op share.)

Worked example (``DEFAULT_RULE_SET``; member merchant; 3200 m; 420 + 180 + 780 + 120 = 1500 s
active; 12 kg, 20 l; pickup at 22:xx; rain)::

    base                 1 x 300 / 1                          =  300
    distance          3200 x  80 / 1000 = 256                 =  256
    active_time       1500 x  30 / 60   = 750                 =  750
    load weight       2000 x  10 / 1000 = 20   (12 kg - 10 kg) =   20
    time_of_day       1326 x 1000 / 10000 = 132.6 -> 133        =  133
    weather_rain         1 x 100 / 1                          =  100
    fee                                                       = 1559

    courier 1559 x 8000/10000 = 1247.2   floor 1247  remainder .2
    co-op   1559 x 1500/10000 =  233.85  floor  233  remainder .85  +1 -> 234
    merchant 1559 x 500/10000 =   77.95  floor   77  remainder .95  +1 ->  78
    1247 + 234 + 78 = 1559; courier floor ceil(1202 x 1500 / 3600) = ceil(500.83) = 501 <= 1247
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.domain.fee_rules import (
    BP_WHOLE,
    DEFAULT_RULE_SET,
    MAX_FEE_CENTS,
    PARTIES,
    SMIC_2026_CENTS_PER_HOUR,
    FeeError,
    FeeRuleError,
    FloorNotMet,
    LoadSurcharge,
    Party,
    PayBasis,
    RuleSet,
    TimeSurcharge,
    TripInputError,
    WeatherSurcharge,
    rule_set_in_effect,
    validate_rule_set,
)
from dispatch.domain.fee_split import (
    Split,
    courier_floor_cents,
    split_by_largest_remainder,
    split_fee,
)
from dispatch.domain.fee_text import describe_rule_set, describe_rule_set_history
from dispatch.domain.money import round_half_up

__all__ = [
    "BP_WHOLE", "DEFAULT_RULE_SET", "PARTIES", "SMIC_2026_CENTS_PER_HOUR", "FeeError",
    "FeeLine", "FeeRuleError", "FloorNotMet", "LoadSurcharge", "Party", "PayBasis", "Quote",
    "RuleSet", "Split", "TimeSurcharge", "TripEstimate", "TripInputError", "WeatherSurcharge",
    "courier_floor_cents", "describe_rule_set", "describe_rule_set_history",
    "fee_lines", "quote", "rule_set_in_effect", "split_by_largest_remainder",
    "split_fee", "validate_rule_set", "validate_trip",
]


@dataclass(frozen=True)
class TripEstimate:
    """What a fee is computed from, known before the delivery exists (times in seconds)."""

    distance_m: int
    ride_to_pickup_s: int
    pickup_service_s: int
    ride_s: int
    dropoff_service_s: int
    load_g: int = 0
    load_ml: int = 0
    pickup_hour: int = 12  # local hour of pickup, 0-23
    weather: str | None = None
    merchant_is_member: bool = False

    @property
    def active_s(self) -> int:
        """Estimated active time: ride to pickup + pickup + ride + dropoff service."""
        return self.ride_to_pickup_s + self.pickup_service_s + self.ride_s + self.dropoff_service_s


@dataclass(frozen=True)
class FeeLine:
    """One line of the formula: ``amount_cents = round_half_up(quantity * rate_cents / per)``."""

    code: str
    label_en: str
    label_fr: str
    quantity: int
    quantity_unit: str
    rate_cents: int
    per: int
    amount_cents: int


@dataclass(frozen=True)
class Quote:
    """A fee, its lines and its split for a trip under one rule-set version."""

    rules: RuleSet
    trip: TripEstimate
    lines: tuple[FeeLine, ...]
    fee_cents: int
    courier_floor_cents: int
    split: Split

    @property
    def rule_set_version(self) -> int:
        """Version of the rule set the quote was computed with."""
        return self.rules.version

    @property
    def active_s(self) -> int:
        """Estimated active seconds the quote pays for."""
        return self.trip.active_s


def validate_trip(trip: TripEstimate) -> TripEstimate:
    """Check a trip estimate, naming the first bad field as ``trip.<field>``.

    Raises
    ------
    TripInputError
    """
    for name in ("distance_m", "ride_to_pickup_s", "pickup_service_s", "ride_s",
                 "dropoff_service_s", "load_g", "load_ml"):
        value = getattr(trip, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise TripInputError(f"trip.{name}", f"must be an integer >= 0, got {value!r}")
    if not isinstance(trip.pickup_hour, int) or not 0 <= trip.pickup_hour <= 23:
        raise TripInputError("trip.pickup_hour", f"must be an hour 0-23, got {trip.pickup_hour!r}")
    if trip.weather is not None and not isinstance(trip.weather, str):
        raise TripInputError("trip.weather", f"must be a string or null, got {trip.weather!r}")
    if not isinstance(trip.merchant_is_member, bool):
        raise TripInputError("trip.merchant_is_member", "must be true or false")
    return trip


def _line(code: str, labels: tuple[str, str], quantity: tuple[int, str], rate_cents: int,
          per: int) -> FeeLine:
    amount = round_half_up(quantity[0] * rate_cents, per)
    return FeeLine(code, labels[0], labels[1], quantity[0], quantity[1], rate_cents, per, amount)


def _thousandths(value: int, lang: str) -> str:
    whole, rest = divmod(value, 1000)
    text = f"{whole}" + (f".{rest:03d}".rstrip("0") if rest else "")
    return text.replace(".", ",") if lang == "fr" else text


def _load_line(tier: LoadSurcharge, trip: TripEstimate) -> FeeLine | None:
    load, unit, big = ((trip.load_g, "g", "kg") if tier.measure == "weight"
                       else (trip.load_ml, "ml", "l"))
    if load <= tier.above or tier.cents_per_unit == 0:
        return None
    en, fr = _thousandths(tier.above, "en"), _thousandths(tier.above, "fr")
    labels = (f"Load above {en} {big}", f"Charge au-delà de {fr} {big}")
    code = f"load_{tier.measure}_above_{tier.above}_{unit}"
    return _line(code, labels, (load - tier.above, unit), tier.cents_per_unit, 1000)


def _time_lines(tier: TimeSurcharge, before_surcharges_cents: int) -> list[FeeLine]:
    span = f"{tier.start_hour:02d}:00-{tier.end_hour % 24:02d}:00"
    code = f"time_of_day_{tier.start_hour}_{tier.end_hour}"
    lines = []
    if tier.percent_bp:
        labels = (f"Time-of-day surcharge {span}", f"Majoration horaire {span}")
        lines.append(_line(f"{code}_percent", labels, (before_surcharges_cents, "cents"),
                           tier.percent_bp, BP_WHOLE))
    if tier.flat_cents:
        labels = (f"Time-of-day flat surcharge {span}", f"Forfait horaire {span}")
        lines.append(_line(f"{code}_flat", labels, (1, "delivery"), tier.flat_cents, 1))
    return lines


def fee_lines(rules: RuleSet, trip: TripEstimate) -> tuple[FeeLine, ...]:
    """The lines of the fee formula for a trip, in the documented order (see module docstring).

    Parameters
    ----------
    rules : RuleSet
    trip : TripEstimate

    Returns
    -------
    tuple of FeeLine
        Their ``amount_cents`` sum to the fee.
    """
    lines = [
        _line("base", ("Base fee", "Forfait de base"), (1, "delivery"), rules.base_cents, 1),
        _line("distance", ("Distance", "Distance"), (trip.distance_m, "m"),
              rules.per_km_cents, 1000),
        _line("active_time", ("Active time (to pickup, pickup, ride, dropoff)",
                              "Temps actif (approche, retrait, trajet, remise)"),
              (trip.active_s, "s"), rules.per_active_minute_cents, 60),
    ]
    lines += [ln for tier in rules.load_surcharges if (ln := _load_line(tier, trip))]
    before_surcharges = sum(ln.amount_cents for ln in lines)
    for tod in rules.time_surcharges:
        if tod.applies_at(trip.pickup_hour):
            lines += _time_lines(tod, before_surcharges)
    for wx in rules.weather_surcharges:
        if wx.cents and trip.weather == wx.condition:
            lines.append(_line(f"weather_{wx.condition}", (wx.label_en, wx.label_fr),
                               (1, "delivery"), wx.cents, 1))
    missing = rules.minimum_fee_cents - sum(ln.amount_cents for ln in lines)
    if missing > 0:
        lines.append(_line("minimum_fee_topup", ("Top-up to the minimum fee",
                                                 "Complément jusqu'au prix minimum"),
                           (1, "delivery"), missing, 1))
    return tuple(lines)


def quote(rules: RuleSet, trip: TripEstimate) -> Quote:
    """Price a trip under a rule set and split the fee, refusing to underpay the courier.

    Parameters
    ----------
    rules : RuleSet
        Validated first; a bad parameter raises :class:`FeeRuleError`.
    trip : TripEstimate
        Validated first; a bad field raises :class:`TripInputError`.

    Returns
    -------
    Quote

    Raises
    ------
    FloorNotMet
        If the courier share is below ``courier_floor_cents(floor, trip.active_s)``.

    Examples
    --------
    >>> trip = TripEstimate(3200, 420, 180, 780, 120, load_g=12_000, load_ml=20_000,
    ...                     pickup_hour=22, weather="rain", merchant_is_member=True)
    >>> q = quote(DEFAULT_RULE_SET, trip)
    >>> q.fee_cents, q.split
    (1559, Split(courier_cents=1247, coop_cents=234, merchant_cents=78))
    """
    validate_rule_set(rules)
    validate_trip(trip)
    lines = fee_lines(rules, trip)
    fee = sum(line.amount_cents for line in lines)
    if fee > MAX_FEE_CENTS:  # a bounded rule set cannot get here with a trip the API accepts
        raise TripInputError("trip", f"the fee would be {fee} cents, above {MAX_FEE_CENTS}")
    split = split_fee(rules, fee, trip.merchant_is_member)
    floor = courier_floor_cents(rules.courier_floor_cents_per_hour, trip.active_s)
    if split.courier_cents < floor:
        raise FloorNotMet(floor, split.courier_cents, trip.active_s,
                          rules.courier_floor_cents_per_hour)
    return Quote(rules, trip, lines, fee, floor, split)
