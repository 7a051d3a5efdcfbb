"""Receipts: a delivery's fee, every line of its formula and its final split, checkable by hand.

Pure. A receipt is issued from the quote the merchant accepted (same rule-set version, same
fee) plus the actual active time recorded at delivery. It embeds the whole rule set it was
computed with, so adopting a new version never changes a receipt already issued, and
:func:`receipt_from_dict` reads stored values back as they are, without recomputing.

Which time pays the courier is the rule-set parameter ``pay_courier_on``:

* ``"estimated"``: the split is the quote's split; actual times are shown for information.
* ``"actual"``: the floor is recomputed on the actual active time,
  ``ceil(courier_floor_cents_per_hour * actual_active_s / 3600)``. The fee never changes (the
  merchant keeps the quoted price) and the courier never gets less than the quote. If the
  courier share is below that floor, the difference moves from the co-op share to the courier
  (``topup_from_coop_cents``); if the co-op share is not enough, what is still missing is shown
  as ``shortfall_cents``, owed to the courier by the co-op outside this fee. Without an actual
  time the estimated time is used and the receipt says so (``paid_time_basis``).

To recompute a receipt from its JSON: each line is
``round_half_up(quantity * rate_cents / per)``; the fee is their sum; ``quoted_split`` is the
largest-remainder split of the fee by ``split_weights_bp`` (ties in ``rounding_order``); then
``split.courier_cents = quoted courier + topup`` and ``split.coop_cents = quoted coop - topup``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from dispatch.domain.fee_dicts import (
    JsonDict,
    line_from_dict,
    line_to_dict,
    rule_set_from_dict,
    rule_set_to_dict,
    split_from_dict,
    split_to_dict,
    trip_from_dict,
    trip_to_dict,
)
from dispatch.domain.fees import (
    BP_WHOLE,
    FeeLine,
    FeeRuleError,
    PayBasis,
    Quote,
    RuleSet,
    Split,
    TripEstimate,
    TripInputError,
    courier_floor_cents,
    quote,
)

RECEIPT_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Receipt:
    """A delivery's final fee and split with everything needed to check it by hand."""

    rules: RuleSet
    trip: TripEstimate
    lines: tuple[FeeLine, ...]
    fee_cents: int
    quoted_split: Split
    actual_active_s: int | None
    paid_time_basis: PayBasis
    paid_active_s: int
    courier_floor_cents: int
    topup_from_coop_cents: int
    shortfall_cents: int
    split: Split

    @property
    def rule_set_version(self) -> int:
        """Version of the rule set the receipt was computed with."""
        return self.rules.version

    @property
    def estimated_active_s(self) -> int:
        """Active seconds estimated when the delivery was quoted."""
        return self.trip.active_s


def receipt_from_quote(q: Quote, actual_active_s: int | None = None) -> Receipt:
    """Issue the final receipt of a quoted delivery, given its actual active time.

    Parameters
    ----------
    q : Quote
        The quote the delivery was created with (its rule set is the one that applies).
    actual_active_s : int or None
        Active seconds actually recorded (to pickup + pickup + ride + dropoff), if known.

    Returns
    -------
    Receipt

    Raises
    ------
    TripInputError
        If ``actual_active_s`` is negative or not an integer.
    """
    if actual_active_s is not None and (not isinstance(actual_active_s, int)
                                        or isinstance(actual_active_s, bool)
                                        or actual_active_s < 0):
        raise TripInputError("actual_active_s", f"must be an integer >= 0, got {actual_active_s!r}")
    on_actual = q.rules.pay_courier_on == "actual" and actual_active_s is not None
    basis: PayBasis = "actual" if on_actual else "estimated"
    paid_s = actual_active_s if on_actual and actual_active_s is not None else q.active_s
    floor = courier_floor_cents(q.rules.courier_floor_cents_per_hour, paid_s)
    missing = max(0, floor - q.split.courier_cents)
    topup = min(missing, q.split.coop_cents)
    final = Split(q.split.courier_cents + topup, q.split.coop_cents - topup,
                  q.split.merchant_cents)
    return Receipt(q.rules, q.trip, q.lines, q.fee_cents, q.split, actual_active_s, basis,
                   paid_s, floor, topup, missing - topup, final)


def issue_receipt(rules: RuleSet, trip: TripEstimate,
                  actual_active_s: int | None = None) -> Receipt:
    """Quote ``trip`` under ``rules`` and issue its receipt (see :func:`receipt_from_quote`).

    Raises
    ------
    FeeRuleError, TripInputError, FloorNotMet
        As :func:`dispatch.domain.fees.quote` does.

    Examples
    --------
    >>> from dispatch.domain.fees import DEFAULT_RULE_SET
    >>> r = issue_receipt(DEFAULT_RULE_SET, TripEstimate(2000, 300, 120, 480, 60), 1200)
    >>> r.fee_cents == r.split.total_cents, r.paid_time_basis
    (True, 'estimated')
    """
    return receipt_from_quote(quote(rules, trip), actual_active_s)


def split_weights_bp(rules: RuleSet, merchant_is_member: bool) -> dict[str, int]:
    """The basis points of the fee each party gets before rounding (they sum to 10000)."""
    merchant = rules.merchant_rebate_bp if merchant_is_member else 0
    return {"courier": BP_WHOLE - rules.coop_share_bp - merchant,
            "coop": rules.coop_share_bp, "merchant": merchant}


def receipt_to_dict(receipt: Receipt) -> JsonDict:
    """The receipt as JSON: inputs, rule set, lines, fee, shares and the floor check.

    Everything a person needs to recompute it by hand is in the dict itself.
    """
    rules = receipt.rules
    return {
        "schema_version": RECEIPT_SCHEMA_VERSION,
        "currency": rules.currency,
        "rule_set_version": rules.version,
        "rule_set": rule_set_to_dict(rules),
        "inputs": {
            "trip": trip_to_dict(receipt.trip),
            "estimated_active_s": receipt.estimated_active_s,
            "actual_active_s": receipt.actual_active_s,
            "paid_time_basis": receipt.paid_time_basis,
            "paid_active_s": receipt.paid_active_s,
        },
        "lines": [line_to_dict(line) for line in receipt.lines],
        "fee_cents": receipt.fee_cents,
        "split_weights_bp": split_weights_bp(rules, receipt.trip.merchant_is_member),
        "rounding": {"method": "largest_remainder", "rounding_order": list(rules.rounding_order)},
        "quoted_split": split_to_dict(receipt.quoted_split),
        "courier_floor": {
            "cents_per_hour": rules.courier_floor_cents_per_hour,
            "paid_active_s": receipt.paid_active_s,
            "floor_cents": receipt.courier_floor_cents,
            "topup_from_coop_cents": receipt.topup_from_coop_cents,
            "shortfall_cents": receipt.shortfall_cents,
        },
        "split": split_to_dict(receipt.split),
    }


def receipt_from_dict(data: Mapping[str, Any]) -> Receipt:
    """Read a stored receipt exactly as issued (nothing is recomputed).

    Raises
    ------
    FeeRuleError, TripInputError
        Naming the first missing or malformed key.
    """
    try:
        inputs, floor = data["inputs"], data["courier_floor"]
        basis = inputs["paid_time_basis"]
        if basis not in ("estimated", "actual"):
            raise FeeRuleError("inputs.paid_time_basis", f"must be 'estimated' or 'actual', "
                                                         f"got {basis!r}")
        return Receipt(
            rule_set_from_dict(data["rule_set"]), trip_from_dict(inputs["trip"]),
            tuple(line_from_dict(line) for line in data["lines"]), int(data["fee_cents"]),
            split_from_dict(data["quoted_split"], "quoted_split."), inputs["actual_active_s"],
            cast(PayBasis, basis), int(inputs["paid_active_s"]), int(floor["floor_cents"]),
            int(floor["topup_from_coop_cents"]), int(floor["shortfall_cents"]),
            split_from_dict(data["split"]))
    except (KeyError, TypeError) as exc:
        raise FeeRuleError("receipt", f"stored receipt is malformed: {exc!r}") from None
