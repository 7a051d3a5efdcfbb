"""Plain-language text of a fee rule set and its history, in English and French.

Pure. The public transparency page renders these paragraphs as they are; money and
percentages are formatted for the reader (``€3.50`` / ``3,50 €``, ``15%`` / ``15 %``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from dispatch.domain.fee_rules import BP_WHOLE, LoadSurcharge, RuleSet, TimeSurcharge
from dispatch.domain.money import LANGS, Lang, format_bp, format_money

_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
}
_PARTY = {"en": {"courier": "the courier", "coop": "the co-op", "merchant": "the merchant"},
          "fr": {"courier": "au coursier", "coop": "à la coopérative",
                 "merchant": "au commerçant"}}


def format_date(day: date, lang: Lang) -> str:
    """``1 January 2026`` / ``1er janvier 2026``."""
    month = _MONTHS[lang][day.month - 1]
    if lang == "fr":
        return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{day.day} {month} {day.year}"


def _amount(value: int, lang: Lang) -> str:
    whole, rest = divmod(value, 1000)
    text = f"{whole}" + (f".{rest:03d}".rstrip("0") if rest else "")
    return text.replace(".", ",") if lang == "fr" else text


def _load_sentence(tier: LoadSurcharge, rules: RuleSet, lang: Lang) -> str:
    price = format_money(tier.cents_per_unit, lang, rules.currency)
    if lang == "fr":
        unit, name = ("kg", "kilo") if tier.measure == "weight" else ("l", "litre")
        return f"au-delà de {_amount(tier.above, lang)} {unit}, {price} par {name} en plus"
    unit, name = ("kg", "kg") if tier.measure == "weight" else ("l", "litre")
    return f"above {_amount(tier.above, lang)} {unit}, {price} per extra {name}"


def _time_sentence(tier: TimeSurcharge, rules: RuleSet, lang: Lang) -> str:
    parts = []
    if tier.percent_bp:
        parts.append(format_bp(tier.percent_bp, lang) + (
            " du prix hors suppléments" if lang == "fr" else " of the fee before surcharges"))
    if tier.flat_cents:
        parts.append(format_money(tier.flat_cents, lang, rules.currency))
    both = (" et " if lang == "fr" else " and ").join(parts)
    start, end = tier.start_hour, tier.end_hour % 24
    if lang == "fr":
        return f"les retraits entre {start} h et {end} h ajoutent {both}"
    return f"pickups between {start:02d}:00 and {end:02d}:00 add {both}"


def _price_paragraphs(rules: RuleSet, lang: Lang) -> list[str]:
    def money(cents: int) -> str:
        return format_money(cents, lang, rules.currency)
    fr = lang == "fr"
    text = [(f"Le prix d'une course est de {money(rules.base_cents)}, plus "
             f"{money(rules.per_km_cents)} par kilomètre d'itinéraire et "
             f"{money(rules.per_active_minute_cents)} par minute de temps actif (trajet vers le "
             f"retrait, retrait, trajet, remise)." if fr else
             f"A delivery costs {money(rules.base_cents)}, plus {money(rules.per_km_cents)} "
             f"per kilometre of street route and {money(rules.per_active_minute_cents)} per "
             f"minute of active time (riding to the pickup, picking up, riding, handing over).")]
    if rules.load_surcharges:
        tiers = ("\u00a0; " if fr else "; ").join(
            _load_sentence(t, rules, lang) for t in rules.load_surcharges)
        text.append(f"Charges lourdes ou volumineuses\u00a0: {tiers}." if fr else
                    f"Heavy or bulky loads: {tiers}.")
    if rules.time_surcharges:
        tiers = ("\u00a0; " if fr else "; ").join(
            _time_sentence(t, rules, lang) for t in rules.time_surcharges)
        text.append(f"Majoration horaire\u00a0: {tiers}." if fr else f"Time of day: {tiers}.")
    if rules.weather_surcharges:
        items = ", ".join(f"{(w.label_fr if fr else w.label_en).lower()} {money(w.cents)}"
                          for w in rules.weather_surcharges)
        text.append(f"Supplément météo\u00a0: {items}." if fr else f"Weather surcharge: {items}.")
    if rules.minimum_fee_cents:
        text.append(f"Aucune course ne coûte moins de {money(rules.minimum_fee_cents)}." if fr
                    else f"No delivery costs less than {money(rules.minimum_fee_cents)}.")
    return text


def _split_paragraphs(rules: RuleSet, lang: Lang) -> list[str]:
    fr = lang == "fr"
    coop, rebate = format_bp(rules.coop_share_bp, lang), format_bp(rules.merchant_rebate_bp, lang)
    member = format_bp(BP_WHOLE - rules.coop_share_bp - rules.merchant_rebate_bp, lang)
    other = format_bp(BP_WHOLE - rules.coop_share_bp, lang)
    floor = format_money(rules.courier_floor_cents_per_hour, lang, rules.currency)
    basis = {("fr", "estimated"): "estimé", ("fr", "actual"): "réel",
             ("en", "estimated"): "estimated", ("en", "actual"): "actual"}[
                 (lang, rules.pay_courier_on)]
    first, second, third = (_PARTY[lang][p] for p in rules.rounding_order)
    order = (f"{first}, puis {second}, puis {third}" if fr
             else f"{first}, then {second}, then {third}")
    if fr:
        return [f"Sur chaque course, la coopérative garde {coop} pour son fonctionnement, les "
                f"commerçants sociétaires reçoivent une ristourne coopérative de {rebate}, et le "
                f"coursier reçoit le reste\u00a0: {member} ({other} si le commerçant n'est pas "
                f"sociétaire).",
                f"Le coursier gagne toujours au moins {floor} brut par heure de temps actif "
                f"(temps {basis})\u00a0; un prix qui ne le permet pas est refusé.",
                f"Les parts sont arrondies au centime par la méthode du plus fort reste et "
                f"font exactement le prix\u00a0; à reste égal, le centime va d'abord {order}."]
    return [f"Of every fee, the co-op keeps {coop} for its operations, member merchants get a "
            f"{rebate} cooperative rebate, and the courier gets the rest: {member} ({other} "
            f"when the merchant is not a member).",
            f"A courier always earns at least {floor} gross per hour of active time ({basis} "
            f"time); a price that cannot pay this is refused.",
            f"Shares are rounded to the cent by largest remainder and add up exactly to the "
            f"fee; on equal remainders the cent goes first to {order}."]


def describe_rule_set(rules: RuleSet, lang: Lang) -> list[str]:
    """Plain-language paragraphs explaining a rule set, for the public transparency page.

    Parameters
    ----------
    rules : RuleSet
    lang : {"en", "fr"}

    Returns
    -------
    list of str
        Who adopted it and when, the description, the price, the split and the floor.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    when = format_date(rules.effective_from, lang)
    head = (f"Version {rules.version}, en vigueur depuis le {when}, adoptée par\u00a0: "
            f"{rules.adopted_by}." if lang == "fr" else
            f"Version {rules.version}, in effect from {when}, adopted by: {rules.adopted_by}.")
    description = rules.description_fr if lang == "fr" else rules.description_en
    return [head, description, *_price_paragraphs(rules, lang), *_split_paragraphs(rules, lang)]


def describe_rule_set_history(history: Sequence[RuleSet], lang: Lang) -> list[str]:
    """One line per version, newest first: version, date, who adopted it, its summary and its
    numbers (price, split, floor), so that no version's free text stands without the figures
    it was adopted with."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    lines = []
    for r in sorted(history, key=lambda r: (r.effective_from, r.version), reverse=True):
        when = format_date(r.effective_from, lang)
        numbers = " ".join([*_price_paragraphs(r, lang), *_split_paragraphs(r, lang)])
        if lang == "fr":
            lines.append(f"Version {r.version} (depuis le {when}) — {r.adopted_by}. "
                         f"{r.description_fr} {numbers}")
        else:
            lines.append(f"Version {r.version} (from {when}) — {r.adopted_by}. {r.description_en} "
                         f"{numbers}")
    return lines
