"""The three-way split of a fee: largest remainder, exact to the cent, and the courier floor.

Pure. The rule is documented with a worked example in :mod:`dispatch.domain.fees`, which
re-exports everything here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dispatch.domain.fee_rules import BP_WHOLE, PARTIES, Party, RuleSet
from dispatch.domain.money import ceil_div


@dataclass(frozen=True)
class Split:
    """Where every cent of a fee goes."""

    courier_cents: int
    coop_cents: int
    merchant_cents: int

    @property
    def total_cents(self) -> int:
        """Sum of the three shares; always the fee."""
        return self.courier_cents + self.coop_cents + self.merchant_cents


def split_by_largest_remainder(total_cents: int, weights_bp: Mapping[Party, int],
                               tie_order: tuple[Party, ...] = PARTIES) -> dict[Party, int]:
    """Share ``total_cents`` in proportion to weights summing to 10000, by largest remainder.

    Parameters
    ----------
    total_cents : int
        Amount to share, >= 0.
    weights_bp : mapping of party to basis points
        Must sum to exactly 10000.
    tie_order : tuple of party
        Who gets a leftover cent first when remainders are equal.

    Returns
    -------
    dict
        Party -> cents; the values sum to ``total_cents`` and none is negative.

    Examples
    --------
    >>> split_by_largest_remainder(1, {"courier": 5000, "coop": 5000, "merchant": 0})
    {'courier': 1, 'coop': 0, 'merchant': 0}
    """
    if sum(weights_bp.values()) != BP_WHOLE or min(weights_bp.values()) < 0:
        raise ValueError(f"weights must be >= 0 and sum to {BP_WHOLE}, got {dict(weights_bp)}")
    shares = {p: total_cents * w // BP_WHOLE for p, w in weights_bp.items()}
    remainders = {p: total_cents * w % BP_WHOLE for p, w in weights_bp.items()}
    leftover = total_cents - sum(shares.values())
    by_remainder = sorted(weights_bp, key=lambda p: (-remainders[p], tie_order.index(p)))
    for party in by_remainder[:leftover]:
        shares[party] += 1
    return {p: shares[p] for p in tie_order}


def split_fee(rules: RuleSet, fee_cents: int, merchant_is_member: bool) -> Split:
    """Split a fee between courier, co-op and merchant (see module docstring).

    Returns
    -------
    Split
        ``total_cents == fee_cents``; no share negative. The floor is not checked here.
    """
    merchant_bp = rules.merchant_rebate_bp if merchant_is_member else 0
    weights: dict[Party, int] = {"courier": BP_WHOLE - rules.coop_share_bp - merchant_bp,
                                 "coop": rules.coop_share_bp, "merchant": merchant_bp}
    cents = split_by_largest_remainder(fee_cents, weights, rules.rounding_order)
    return Split(cents["courier"], cents["coop"], cents["merchant"])


def courier_floor_cents(floor_cents_per_hour: int, active_s: int) -> int:
    """The least a courier may earn for ``active_s`` seconds: ``ceil(rate * s / 3600)``.

    Examples
    --------
    >>> courier_floor_cents(1202, 1500)
    501
    """
    return ceil_div(floor_cents_per_hour * active_s, 3600)
