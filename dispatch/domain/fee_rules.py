"""A coop's fee rule set: versioned parameters adopted in the open, in integer cents.

Pure (no I/O, no clock). :mod:`dispatch.domain.fees` re-exports everything here; import from
there. How the parameters turn into a fee and a split is documented in that module.

Error tree (all are ``ValueError``; the API answers 422 with ``parameter`` as the rule name)::

    FeeError                 .parameter names the rule-set parameter or trip field
    ├── FeeRuleError         a rule-set parameter is invalid (or missing from stored JSON)
    ├── TripInputError       a trip estimate field is invalid
    └── FloorNotMet          the fee cannot pay the courier the living-wage floor
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from dispatch.domain.instants import EARLIEST_YEAR, LATEST_YEAR, RANGE_TEXT

PayBasis = Literal["estimated", "actual"]
Party = Literal["courier", "coop", "merchant"]
LoadMeasure = Literal["weight", "volume"]
PARTIES: tuple[Party, ...] = ("courier", "coop", "merchant")
BP_WHOLE = 10_000  # basis points in 100 %

#: The 2026 French SMIC, gross, per hour; the default living-wage floor for couriers.
SMIC_2026_CENTS_PER_HOUR = 1202

# Bounds of a rule set. Generous for any real co-op, and small enough that no trip the service
# accepts (at most 1000 kg, 5000 l, a city's distances) can make a fee that overflows a
# database integer: a rule set with ``base_cents: 10**19`` was stored and then broke every
# delivery created under it.
MAX_RATE_CENTS = 1_000_000  # any amount or rate: 10 000.00 in the co-op's currency
MAX_THRESHOLD = 10_000_000  # load thresholds: 10 t or 10 m3
MAX_TIERS = 20  # surcharge entries of each kind
MAX_FEE_CENTS = 100_000_000  # one delivery's fee
MAX_TEXT = {"adopted_by": 500, "description_en": 4000, "description_fr": 4000}
MAX_LABEL = 100


class FeeError(ValueError):
    """Base of the fee errors; ``parameter`` names the rule or field that is at fault."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


class FeeRuleError(FeeError):
    """A rule-set parameter is invalid; ``parameter`` is its name."""


class TripInputError(FeeError):
    """A trip estimate field is invalid; ``parameter`` is ``trip.<field>``."""


class FloorNotMet(FeeError):
    """The fee's courier share is below the living-wage floor for the active time.

    Carries the rule name (``courier_floor_cents_per_hour``), what the floor needs and what the
    fee makes available, both in cents, so the API can say exactly why it refuses.
    """

    def __init__(self, needed_cents: int, available_cents: int, active_s: int,
                 floor_cents_per_hour: int, where: str = "") -> None:
        super().__init__(
            "courier_floor_cents_per_hour",
            f"{where}the courier share would be {available_cents} cents but the floor of "
            f"{floor_cents_per_hour} cents/hour for {active_s} s of active time needs "
            f"{needed_cents} cents; the fee rule set cannot pay this trip fairly",
        )
        self.needed_cents = needed_cents
        self.available_cents = available_cents
        self.active_s = active_s
        self.floor_cents_per_hour = floor_cents_per_hour


@dataclass(frozen=True)
class LoadSurcharge:
    """Extra cents per kg (``weight``) or per litre (``volume``) of load above a threshold.

    Several tiers add up: ``above 10 kg: 10 c/kg`` plus ``above 40 kg: 20 c/kg`` charges
    30 c for each kg beyond 40.
    """

    measure: LoadMeasure
    above: int  # grams for weight, millilitres for volume
    cents_per_unit: int  # per kg (1000 g) or per litre (1000 ml)


@dataclass(frozen=True)
class TimeSurcharge:
    """A surcharge when pickup's local hour is in ``[start_hour, end_hour)``; may wrap midnight.

    ``percent_bp`` is a percentage (basis points) of the fee before surcharges and
    ``flat_cents`` a fixed amount; either may be zero.
    """

    start_hour: int
    end_hour: int
    percent_bp: int = 0
    flat_cents: int = 0

    def applies_at(self, hour: int) -> bool:
        """Whether a pickup at local ``hour`` (0-23) falls in this range."""
        if self.start_hour < self.end_hour:
            return self.start_hour <= hour < self.end_hour
        return hour >= self.start_hour or hour < self.end_hour


@dataclass(frozen=True)
class WeatherSurcharge:
    """A flat surcharge when the trip's weather flag equals ``condition`` (e.g. ``"rain"``)."""

    condition: str
    cents: int
    label_en: str
    label_fr: str


@dataclass(frozen=True)
class RuleSet:
    """One version of a coop's fee rules, as adopted; never edited once receipts cite it."""

    version: int
    effective_from: date
    adopted_by: str
    description_en: str
    description_fr: str
    currency: str = "EUR"
    base_cents: int = 0
    per_km_cents: int = 0
    per_active_minute_cents: int = 0
    load_surcharges: tuple[LoadSurcharge, ...] = ()
    time_surcharges: tuple[TimeSurcharge, ...] = ()
    weather_surcharges: tuple[WeatherSurcharge, ...] = ()
    minimum_fee_cents: int = 0
    courier_floor_cents_per_hour: int = SMIC_2026_CENTS_PER_HOUR
    coop_share_bp: int = 0
    merchant_rebate_bp: int = 0
    pay_courier_on: PayBasis = "estimated"
    rounding_order: tuple[Party, ...] = field(default=PARTIES)


DEFAULT_RULE_SET = RuleSet(
    version=1,
    effective_from=date(2026, 1, 1),
    adopted_by="founding general assembly of 2026-01-10, 23 for, 2 against, 1 abstention",
    description_en=(
        "A delivery costs a base fee, plus a price per kilometre and per minute the courier "
        "is busy with it, plus a small charge for heavy or bulky loads, at night and in "
        "bad weather. Couriers always earn at least the minimum wage for that time."
    ),
    description_fr=(
        "Une course coûte un forfait, plus un prix par kilomètre et par minute où le coursier "
        "s'en occupe, plus un petit supplément pour les charges lourdes ou volumineuses, la "
        "nuit et par mauvais temps. Les coursiers gagnent toujours au moins le SMIC pour ce temps."
    ),
    base_cents=300,
    per_km_cents=80,
    per_active_minute_cents=30,
    load_surcharges=(
        LoadSurcharge("weight", above=10_000, cents_per_unit=10),
        LoadSurcharge("volume", above=40_000, cents_per_unit=5),
    ),
    time_surcharges=(TimeSurcharge(start_hour=22, end_hour=6, percent_bp=1000),),
    weather_surcharges=(
        WeatherSurcharge("rain", 100, "Rain", "Pluie"),
        WeatherSurcharge("snow", 200, "Snow or ice", "Neige ou verglas"),
        WeatherSurcharge("heat", 100, "Heatwave", "Canicule"),
    ),
    minimum_fee_cents=600,
    courier_floor_cents_per_hour=SMIC_2026_CENTS_PER_HOUR,
    coop_share_bp=1500,
    merchant_rebate_bp=500,
    pay_courier_on="estimated",
)


def rule_set_in_effect(history: Sequence[RuleSet], on: date) -> RuleSet:
    """The rule set in effect on a day: the latest ``effective_from`` not after ``on``.

    Parameters
    ----------
    history : sequence of RuleSet
        A coop's versions, in any order.
    on : date
        The day (in the coop's timezone).

    Returns
    -------
    RuleSet
        On equal dates the higher version wins.

    Raises
    ------
    FeeRuleError
        If no version is in effect yet on that day.
    """
    candidates = [r for r in history if r.effective_from <= on]
    if not candidates:
        raise FeeRuleError("effective_from", f"no rule set is in effect on {on.isoformat()}")
    return max(candidates, key=lambda r: (r.effective_from, r.version))


def _require(ok: bool, parameter: str, message: str) -> None:
    if not ok:
        raise FeeRuleError(parameter, message)


def _check_cents(value: object, parameter: str, most: int = MAX_RATE_CENTS) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= most
    _require(ok, parameter, f"must be a whole number between 0 and {most}, got {value!r}")


def _check_text(value: object, parameter: str, most: int) -> None:
    _require(isinstance(value, str) and bool(value.strip()) and len(value) <= most, parameter,
             f"must be a non-empty text of at most {most} characters")


def _check_bp(value: object, parameter: str) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= BP_WHOLE
    _require(ok, parameter, f"must be basis points between 0 and {BP_WHOLE}, got {value!r}")


def _validate_identity(rules: RuleSet) -> None:
    _require(isinstance(rules.version, int) and not isinstance(rules.version, bool)
             and 1 <= rules.version <= 1_000_000, "version",
             f"must be an integer between 1 and 1000000, got {rules.version!r}")
    _require(isinstance(rules.effective_from, date), "effective_from",
             f"must be a date, got {rules.effective_from!r}")
    _require(EARLIEST_YEAR <= rules.effective_from.year <= LATEST_YEAR, "effective_from",
             f"must be a date {RANGE_TEXT}, got {rules.effective_from.isoformat()}")
    for name, most in MAX_TEXT.items():
        text = getattr(rules, name)
        _require(isinstance(text, str) and bool(text.strip()) and len(text) <= most, name,
                 f"must say, in plain words (at most {most} characters), who adopted the rules "
                 "and what they mean")
    _require(isinstance(rules.currency, str) and len(rules.currency) == 3
             and rules.currency.isalpha() and rules.currency.isupper(), "currency",
             f"must be an ISO 4217 code such as 'EUR', got {rules.currency!r}")


def _validate_surcharges(rules: RuleSet) -> None:
    for kind in ("load_surcharges", "time_surcharges", "weather_surcharges"):
        _require(len(getattr(rules, kind)) <= MAX_TIERS, kind, f"at most {MAX_TIERS} entries")
    for i, load in enumerate(rules.load_surcharges):
        name = f"load_surcharges[{i}]"
        _require(load.measure in ("weight", "volume"), f"{name}.measure",
                 f"must be 'weight' or 'volume', got {load.measure!r}")
        _check_cents(load.above, f"{name}.above", MAX_THRESHOLD)
        _check_cents(load.cents_per_unit, f"{name}.cents_per_unit")
    hours_taken: set[int] = set()
    for i, tod in enumerate(rules.time_surcharges):
        name = f"time_surcharges[{i}]"
        _require(isinstance(tod.start_hour, int) and 0 <= tod.start_hour <= 23,
                 f"{name}.start_hour", f"must be an hour 0-23, got {tod.start_hour!r}")
        _require(isinstance(tod.end_hour, int) and 0 <= tod.end_hour <= 24
                 and tod.end_hour % 24 != tod.start_hour, f"{name}.end_hour",
                 f"must be an hour 0-24 other than start_hour, got {tod.end_hour!r}")
        _check_bp(tod.percent_bp, f"{name}.percent_bp")
        _check_cents(tod.flat_cents, f"{name}.flat_cents")
        hours = {h for h in range(24) if tod.applies_at(h)}
        _require(not hours & hours_taken, name, "overlaps an earlier time-of-day range")
        hours_taken |= hours
    seen: set[str] = set()
    for i, wx in enumerate(rules.weather_surcharges):
        name = f"weather_surcharges[{i}]"
        _require(isinstance(wx.condition, str) and bool(wx.condition.strip())
                 and len(wx.condition) <= MAX_LABEL and wx.condition not in seen, f"{name}.condition",
                 f"must be a non-empty condition not listed before, got {wx.condition!r}")
        seen.add(wx.condition)
        _check_cents(wx.cents, f"{name}.cents")
        _check_text(wx.label_en, f"{name}.label_en", MAX_LABEL)
        _check_text(wx.label_fr, f"{name}.label_fr", MAX_LABEL)


def _validate_split(rules: RuleSet) -> None:
    _check_cents(rules.courier_floor_cents_per_hour, "courier_floor_cents_per_hour")
    _check_bp(rules.coop_share_bp, "coop_share_bp")
    _check_bp(rules.merchant_rebate_bp, "merchant_rebate_bp")
    _require(rules.coop_share_bp + rules.merchant_rebate_bp <= BP_WHOLE, "merchant_rebate_bp",
             "coop_share_bp + merchant_rebate_bp must not exceed 10000 (100 %)")
    _require(rules.pay_courier_on in ("estimated", "actual"), "pay_courier_on",
             f"must be 'estimated' or 'actual', got {rules.pay_courier_on!r}")
    order = rules.rounding_order
    _require(isinstance(order, tuple | list) and len(order) == len(PARTIES)
             and all(isinstance(p, str) for p in order) and set(order) == set(PARTIES),
             "rounding_order", f"must list each of {PARTIES} once, got {order!r}")


def validate_rule_set(rules: RuleSet) -> RuleSet:
    """Check every parameter of a rule set, naming the first one that is wrong.

    Parameters
    ----------
    rules : RuleSet

    Returns
    -------
    RuleSet
        The same object, so ``validate_rule_set(RuleSet(...))`` reads naturally.

    Raises
    ------
    FeeRuleError
        With ``parameter`` set to the offending name (``"coop_share_bp"``,
        ``"load_surcharges[1].above"``, ...).
    """
    _validate_identity(rules)
    for name in ("base_cents", "per_km_cents", "per_active_minute_cents", "minimum_fee_cents"):
        _check_cents(getattr(rules, name), name)
    _validate_surcharges(rules)
    _validate_split(rules)
    return rules
