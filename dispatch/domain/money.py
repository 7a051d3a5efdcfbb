"""Exact money arithmetic and formatting for people, in integer cents.

Pure: no floats ever touch an amount. Two small tools live here because the fee, receipt and
statement modules all need them:

* rounding of exact fractions to whole cents (:func:`round_half_up`, :func:`ceil_div`), and
* formatting of cents and basis points the way a French or an English reader expects
  (``"1 234,50 €"`` / ``"€1,234.50"``, ``"15 %"`` / ``"15%"``), without Babel.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["en", "fr"]
LANGS: tuple[Lang, ...] = ("en", "fr")

# French typography: a narrow no-break space groups thousands, a no-break space sits before
# the currency sign and the percent sign, so neither is ever orphaned at the end of a line.
_NNBSP = "\u202f"
_NBSP = "\u00a0"
_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}


def round_half_up(numerator: int, denominator: int) -> int:
    """Round ``numerator / denominator`` to the nearest integer, halves away from zero.

    Parameters
    ----------
    numerator : int
        Non-negative numerator.
    denominator : int
        Positive denominator.

    Returns
    -------
    int
        The nearest integer; an exact half goes up (``5 / 2 -> 3``).

    Examples
    --------
    >>> round_half_up(2880, 1000), round_half_up(25, 10), round_half_up(24, 10)
    (3, 3, 2)
    """
    if numerator < 0 or denominator <= 0:
        raise ValueError(f"round_half_up needs numerator >= 0 and denominator > 0, "
                         f"got {numerator}/{denominator}")
    return (2 * numerator + denominator) // (2 * denominator)


def ceil_div(numerator: int, denominator: int) -> int:
    """Smallest integer at least ``numerator / denominator`` (positive denominator).

    Examples
    --------
    >>> ceil_div(7, 2), ceil_div(6, 2), ceil_div(0, 5)
    (4, 3, 0)
    """
    if denominator <= 0:
        raise ValueError(f"ceil_div needs a positive denominator, got {denominator}")
    return -((-numerator) // denominator)


def _group(digits: str, separator: str) -> str:
    groups = []
    while len(digits) > 3:
        groups.append(digits[-3:])
        digits = digits[:-3]
    groups.append(digits)
    return separator.join(reversed(groups))


def format_money(amount_cents: int, lang: Lang, currency: str = "EUR") -> str:
    """Format an amount in cents for a reader of ``lang``.

    Parameters
    ----------
    amount_cents : int
        The amount, in the currency's hundredths; may be negative.
    lang : {"en", "fr"}
        ``"fr"`` writes ``1 234,50 €``; ``"en"`` writes ``€1,234.50``.
    currency : str
        ISO 4217 code; known ones get their symbol, others are written as the code.

    Returns
    -------
    str

    Examples
    --------
    >>> format_money(350, "en"), format_money(-5, "en")
    ('€3.50', '-€0.05')
    >>> format_money(123450, "fr") == "1\u202f234,50\u00a0€"
    True
    """
    sign = "-" if amount_cents < 0 else ""
    units, cents = divmod(abs(amount_cents), 100)
    symbol = _SYMBOLS.get(currency, currency)
    if lang == "fr":
        return f"{sign}{_group(str(units), _NNBSP)},{cents:02d}{_NBSP}{symbol}"
    if lang == "en":
        glue = " " if len(symbol) > 1 else ""
        return f"{sign}{symbol}{glue}{_group(str(units), ',')}.{cents:02d}"
    raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")


def format_decimal_cents(amount_cents: int) -> str:
    """Write cents as a plain decimal in major units, for CSV files (``-1234 -> "-12.34"``).

    Examples
    --------
    >>> format_decimal_cents(123456), format_decimal_cents(-7)
    ('1234.56', '-0.07')
    """
    sign = "-" if amount_cents < 0 else ""
    units, cents = divmod(abs(amount_cents), 100)
    return f"{sign}{units}.{cents:02d}"


def format_bp(basis_points: int, lang: Lang) -> str:
    """Format basis points (1/100 of a percent) as a percentage, dropping needless zeros.

    Examples
    --------
    >>> format_bp(1500, "en"), format_bp(1250, "en"), format_bp(5, "en")
    ('15%', '12.5%', '0.05%')
    >>> format_bp(1250, "fr") == "12,5\u00a0%"
    True
    """
    whole, hundredths = divmod(abs(basis_points), 100)
    sign = "-" if basis_points < 0 else ""
    fraction = f"{hundredths:02d}".rstrip("0")
    if lang == "fr":
        return f"{sign}{whole}{',' + fraction if fraction else ''}{_NBSP}%"
    if lang == "en":
        return f"{sign}{whole}{'.' + fraction if fraction else ''}%"
    raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
