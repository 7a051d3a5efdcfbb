"""Pay statements over a period: a courier's earnings per hour on shift, and the co-op's books.

Pure functions over plain dataclasses; the database layer feeds them issued receipts and shifts.

* A **courier statement** counts the courier's delivered receipts in ``[period_start,
  period_end)`` and the time on shift in that period, waiting included (overlapping shifts
  counted once). Earnings are the courier shares plus any floor ``shortfall_cents`` the co-op
  owes. Earnings per hour on shift are compared with the floor; each clock hour on shift is a
  bucket whose earnings (deliveries completed in that hour) are checked against
  ``ceil(floor_cents_per_hour * on_shift_s / 3600)``, and flagged when below.
* A **co-op statement** sums fees collected, courier shares, the co-op share and merchant
  rebates (per merchant). Fees always equal courier + co-op + rebates.

Times must be timezone-aware; hours are clock hours in UTC, which are also clock hours in any
whole-hour zone such as Europe/Paris. ``*_to_csv`` write amounts as exact decimals in major
units (``12.34``) from integer cents.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dispatch.domain.fee_split import courier_floor_cents
from dispatch.domain.money import format_decimal_cents as _eur
from dispatch.domain.receipts import Receipt

_HOUR = timedelta(hours=1)


class StatementInputError(ValueError):
    """A statement input is invalid; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


@dataclass(frozen=True)
class DeliveryRecord:
    """A delivered delivery with its issued receipt."""

    delivery_id: str
    courier_id: str
    merchant_id: str
    delivered_at: datetime
    receipt: Receipt

    @property
    def earnings_cents(self) -> int:
        """What the courier earns for it: their share plus any floor shortfall owed."""
        return self.receipt.split.courier_cents + self.receipt.shortfall_cents


@dataclass(frozen=True)
class ShiftSpan:
    """A courier's time on shift, waiting included."""

    courier_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class HourBucket:
    """One clock hour: seconds on shift, earnings from deliveries completed, and the floor."""

    start: datetime
    on_shift_s: int
    earnings_cents: int
    floor_cents: int

    @property
    def below_floor(self) -> bool:
        """Whether this hour earned less than the floor for its time on shift."""
        return self.earnings_cents < self.floor_cents


@dataclass(frozen=True)
class CourierStatement:
    """A courier's deliveries, earnings and time on shift over a period, against the floor."""

    courier_id: str
    period_start: datetime
    period_end: datetime
    floor_cents_per_hour: int
    deliveries: tuple[DeliveryRecord, ...]
    on_shift_s: int
    hours: tuple[HourBucket, ...]

    @property
    def earnings_cents(self) -> int:
        """Total earnings over the period."""
        return sum(d.earnings_cents for d in self.deliveries)

    @property
    def earnings_per_hour_cents(self) -> int | None:
        """Earnings per hour on shift, rounded down; None without time on shift."""
        return self.earnings_cents * 3600 // self.on_shift_s if self.on_shift_s else None

    @property
    def floor_cents(self) -> int:
        """The floor for the whole time on shift."""
        return courier_floor_cents(self.floor_cents_per_hour, self.on_shift_s)

    @property
    def below_floor(self) -> bool:
        """Whether the period as a whole earned less than the floor for its time on shift."""
        return self.earnings_cents < self.floor_cents

    @property
    def hours_below_floor(self) -> tuple[HourBucket, ...]:
        """The flagged hours."""
        return tuple(h for h in self.hours if h.below_floor)


def _utc(value: datetime, parameter: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise StatementInputError(parameter, f"must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(UTC)


def _merged_spans(shifts: Iterable[ShiftSpan], start: datetime,
                  end: datetime) -> list[tuple[datetime, datetime]]:
    # whole seconds, so that the hour buckets add up exactly to the time on shift
    clipped = sorted((max(_utc(s.start, "shift.start"), start).replace(microsecond=0),
                      min(_utc(s.end, "shift.end"), end).replace(microsecond=0)) for s in shifts)
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in clipped:
        if hi <= lo:
            continue
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _shift_seconds_per_hour(spans: list[tuple[datetime, datetime]]) -> dict[datetime, int]:
    seconds: dict[datetime, int] = {}
    for lo, hi in spans:
        hour = lo.replace(minute=0, second=0, microsecond=0)
        while hour < hi:
            overlap = min(hi, hour + _HOUR) - max(lo, hour)
            seconds[hour] = seconds.get(hour, 0) + int(overlap.total_seconds())
            hour += _HOUR
    return seconds


def _hour_buckets(spans: list[tuple[datetime, datetime]], deliveries: Sequence[DeliveryRecord],
                  floor_cents_per_hour: int) -> tuple[HourBucket, ...]:
    on_shift = _shift_seconds_per_hour(spans)
    earned: dict[datetime, int] = {}
    for d in deliveries:
        hour = _utc(d.delivered_at, "delivered_at").replace(minute=0, second=0, microsecond=0)
        earned[hour] = earned.get(hour, 0) + d.earnings_cents
    return tuple(
        HourBucket(hour, on_shift.get(hour, 0), earned.get(hour, 0),
                   courier_floor_cents(floor_cents_per_hour, on_shift.get(hour, 0)))
        for hour in sorted(on_shift.keys() | earned.keys()))


def courier_statement(courier_id: str, deliveries: Iterable[DeliveryRecord],
                      shifts: Iterable[ShiftSpan], period_start: datetime, period_end: datetime,
                      floor_cents_per_hour: int) -> CourierStatement:
    """Build a courier's statement for ``[period_start, period_end)``.

    Parameters
    ----------
    courier_id : str
        Records and shifts of other couriers are ignored.
    deliveries : iterable of DeliveryRecord
        Delivered deliveries; those completed inside the period count.
    shifts : iterable of ShiftSpan
        Clipped to the period; overlaps are counted once.
    period_start, period_end : datetime
        Timezone-aware bounds.
    floor_cents_per_hour : int
        The living-wage floor to compare with (usually the rule set in effect).

    Returns
    -------
    CourierStatement
    """
    start, end = _utc(period_start, "period_start"), _utc(period_end, "period_end")
    if end < start:
        raise StatementInputError("period_end", "must not be before period_start")
    mine = tuple(sorted((d for d in deliveries if d.courier_id == courier_id
                         and start <= _utc(d.delivered_at, "delivered_at") < end),
                        key=lambda d: (_utc(d.delivered_at, "delivered_at"), d.delivery_id)))
    spans = _merged_spans((s for s in shifts if s.courier_id == courier_id), start, end)
    on_shift_s = sum(int((hi - lo).total_seconds()) for lo, hi in spans)
    return CourierStatement(courier_id, start, end, floor_cents_per_hour, mine, on_shift_s,
                            _hour_buckets(spans, mine, floor_cents_per_hour))


@dataclass(frozen=True)
class PartyTotals:
    """Per merchant or per courier totals in a co-op statement."""

    party_id: str
    deliveries: int
    fees_cents: int
    courier_cents: int
    coop_cents: int
    rebate_cents: int


@dataclass(frozen=True)
class CoopStatement:
    """The co-op's books over a period: every fee and where it went."""

    period_start: datetime
    period_end: datetime
    total: PartyTotals
    merchants: tuple[PartyTotals, ...]
    couriers: tuple[PartyTotals, ...]
    topup_from_coop_cents: int
    shortfall_cents: int


def _totals(party_id: str, records: Sequence[DeliveryRecord]) -> PartyTotals:
    return PartyTotals(party_id, len(records), sum(d.receipt.fee_cents for d in records),
                       sum(d.receipt.split.courier_cents for d in records),
                       sum(d.receipt.split.coop_cents for d in records),
                       sum(d.receipt.split.merchant_cents for d in records))


def _grouped(records: Sequence[DeliveryRecord], key: str) -> tuple[PartyTotals, ...]:
    ids = sorted({getattr(d, key) for d in records})
    return tuple(_totals(i, [d for d in records if getattr(d, key) == i]) for i in ids)


def coop_statement(deliveries: Iterable[DeliveryRecord], period_start: datetime,
                   period_end: datetime) -> CoopStatement:
    """Sum the receipts delivered in ``[period_start, period_end)``.

    Returns
    -------
    CoopStatement
        ``total.fees_cents == total.courier_cents + total.coop_cents + total.rebate_cents``.
    """
    start, end = _utc(period_start, "period_start"), _utc(period_end, "period_end")
    records = [d for d in deliveries if start <= _utc(d.delivered_at, "delivered_at") < end]
    return CoopStatement(start, end, _totals("all", records),
                         _grouped(records, "merchant_id"), _grouped(records, "courier_id"),
                         sum(d.receipt.topup_from_coop_cents for d in records),
                         sum(d.receipt.shortfall_cents for d in records))


COURIER_CSV_HEADER = ("kind", "start", "end", "delivery_id", "merchant_id", "fee_eur",
                      "earnings_eur", "on_shift_s", "floor_eur", "below_floor")
COOP_CSV_HEADER = ("kind", "id", "deliveries", "fees_eur", "courier_eur", "coop_eur",
                   "rebate_eur")


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def courier_statement_to_csv(statement: CourierStatement) -> str:
    """CSV of a courier statement: one ``delivery`` row each, one ``hour`` row each, a ``total``.

    Amounts are in major units with two decimals; ``below_floor`` is ``yes`` or ``no``.
    """
    yes_no = {True: "yes", False: "no"}
    rows: list[Sequence[object]] = [
        ("delivery", d.delivered_at.isoformat(), "", d.delivery_id, d.merchant_id,
         _eur(d.receipt.fee_cents), _eur(d.earnings_cents), "", "", "")
        for d in statement.deliveries]
    rows += [("hour", h.start.isoformat(), (h.start + _HOUR).isoformat(), "", "", "",
              _eur(h.earnings_cents), h.on_shift_s, _eur(h.floor_cents), yes_no[h.below_floor])
             for h in statement.hours]
    rows.append(("total", statement.period_start.isoformat(), statement.period_end.isoformat(),
                 "", "", _eur(sum(d.receipt.fee_cents for d in statement.deliveries)),
                 _eur(statement.earnings_cents), statement.on_shift_s,
                 _eur(statement.floor_cents), yes_no[statement.below_floor]))
    return _csv(COURIER_CSV_HEADER, rows)


def coop_statement_to_csv(statement: CoopStatement) -> str:
    """CSV of a co-op statement: ``merchant`` rows, ``courier`` rows, then the ``total``."""
    def row(kind: str, t: PartyTotals) -> tuple[object, ...]:
        return (kind, t.party_id, t.deliveries, _eur(t.fees_cents), _eur(t.courier_cents),
                _eur(t.coop_cents), _eur(t.rebate_cents))
    rows = [row("merchant", t) for t in statement.merchants]
    rows += [row("courier", t) for t in statement.couriers]
    rows.append(row("total", statement.total))
    return _csv(COOP_CSV_HEADER, rows)
