"""Plain-language rule-set text and money formatting, in French and English."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from dispatch.domain.fee_text import describe_rule_set, describe_rule_set_history, format_date
from dispatch.domain.fees import DEFAULT_RULE_SET, TimeSurcharge
from dispatch.domain.money import format_bp, format_decimal_cents, format_money

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(("cents", "lang", "text"), [
    (350, "en", "€3.50"), (350, "fr", f"3,50{NBSP}€"), (0, "en", "€0.00"),
    (123456789, "en", "€1,234,567.89"), (123456789, "fr", f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
    (-1202, "en", "-€12.02"), (-1202, "fr", f"-12,02{NBSP}€"),
])
def test_money_is_written_the_way_each_reader_expects(cents: int, lang: str, text: str) -> None:
    """French puts the euro after with a comma; English puts it before with a point."""
    assert format_money(cents, lang) == text  # type: ignore[arg-type]


def test_percentages_and_csv_decimals_are_exact() -> None:
    """Basis points drop needless zeros; CSV decimals come straight from cents."""
    assert (format_bp(1500, "en"), format_bp(1250, "fr"), format_bp(1, "en")) == (
        "15%", f"12,5{NBSP}%", "0.01%")
    assert (format_decimal_cents(5), format_decimal_cents(-105)) == ("0.05", "-1.05")


def test_english_text_states_prices_split_floor_and_adoption() -> None:
    """The English page names the assembly, each price and the split in plain words."""
    text = " ".join(describe_rule_set(DEFAULT_RULE_SET, "en"))
    for phrase in ("Version 1, in effect from 1 January 2026", "founding general assembly",
                   "€3.00", "€0.80 per kilometre", "€0.30 per minute of active time",
                   "above 10 kg, €0.10 per extra kg", "pickups between 22:00 and 06:00 add 10%",
                   "rain €1.00", "No delivery costs less than €6.00", "the co-op keeps 15%",
                   "5% cooperative rebate", "80% (85% when the merchant is not a member)",
                   "€12.02 gross per hour", "(estimated time)", "largest remainder",
                   "first to the courier, then the co-op, then the merchant"):
        assert phrase in text


def test_french_text_uses_french_money_and_typography() -> None:
    """The French page writes 3,00 €, 15 % and the SMIC floor, with no English left."""
    text = " ".join(describe_rule_set(DEFAULT_RULE_SET, "fr"))
    for phrase in ("en vigueur depuis le 1er janvier 2026", f"3,00{NBSP}€",
                   f"0,80{NBSP}€ par kilomètre", f"la coopérative garde 15{NBSP}%",
                   f"ristourne coopérative de 5{NBSP}%", f"12,02{NBSP}€ brut par heure",
                   "entre 22 h et 6 h", "pluie", "plus fort reste", "d'abord au coursier"):
        assert phrase in text
    for english in ("€", "rain", "courier", " per "):
        assert english not in text.replace(f"{NBSP}€", "").replace("founding general assembly"
                                                                    " of 2026-01-10, 23 for, 2 "
                                                                    "against, 1 abstention", "")


def test_text_follows_the_rule_set_it_describes() -> None:
    """Paying on actual time and a flat night fee show up in both languages."""
    rules = replace(DEFAULT_RULE_SET, pay_courier_on="actual",
                    time_surcharges=(TimeSurcharge(20, 24, flat_cents=150),))
    assert "(actual time)" in " ".join(describe_rule_set(rules, "en"))
    fr = " ".join(describe_rule_set(rules, "fr"))
    assert "(temps réel)" in fr and f"entre 20 h et 0 h ajoutent 1,50{NBSP}€" in fr


def test_history_lists_versions_newest_first_with_who_adopted_them() -> None:
    """One line per version, newest first, with the adopting body."""
    v2 = replace(DEFAULT_RULE_SET, version=2, effective_from=date(2026, 7, 1),
                 adopted_by="general assembly of 2026-06-12, 31 for, 4 against")
    en = describe_rule_set_history([DEFAULT_RULE_SET, v2], "en")
    assert en[0].startswith("Version 2 (from 1 July 2026) — general assembly of 2026-06-12")
    assert en[1].startswith("Version 1 (from 1 January 2026)")
    assert describe_rule_set_history([v2], "fr")[0].startswith("Version 2 (depuis le 1er juillet")


def test_dates_read_naturally_in_both_languages() -> None:
    """12 June 2026 / 12 juin 2026."""
    assert (format_date(date(2026, 6, 12), "en"), format_date(date(2026, 6, 12), "fr")) == (
        "12 June 2026", "12 juin 2026")


def test_an_unknown_language_is_refused() -> None:
    """Only en and fr are written."""
    with pytest.raises(ValueError, match="lang"):
        describe_rule_set(DEFAULT_RULE_SET, "de")  # type: ignore[arg-type]
