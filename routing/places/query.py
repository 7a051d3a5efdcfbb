"""Read a typed address into its parts: name, house number, postcode, city."""

from __future__ import annotations

import re
from dataclasses import dataclass

from routing.places.text import is_number, tokens

_TRAILING_SEPARATOR = re.compile(r"[\s,;]$")


@dataclass(frozen=True, slots=True)
class Query:
    """``name``: the normalised street or place words; ``number``: the house number key
    ("10a"); ``partial_number``: the number is still being typed (last, nothing after it)."""

    name: str
    number: str = ""
    partial_number: bool = False
    postcode: str = ""
    city: str = ""


def parse_query(text: str, postcodes: frozenset[str], cities: frozenset[str]) -> Query:
    """Split ``text`` into its parts. A number at either end is the house number ("10 rue X",
    "Kaivokatu 10"); inside, it belongs to the name ("Rue du 8 Mai 1945") unless nothing else
    is a number; a known postcode is the postcode; a known city is dropped from the name."""
    words = tokens(text)
    postcode = next((w for w in words if w in postcodes), "")
    if postcode:
        words.remove(postcode)
    words, city = _without_city(words, cities)
    number, at = _number(words)
    partial = False
    if number:
        taken = 1
        if at + 1 < len(words) and len(words[at + 1]) == 1 and words[at + 1].isalpha() and number.isdigit():
            number += words[at + 1]  # "10 a" -> "10a"
            taken = 2
        partial = at + taken == len(words) and not postcode and not _TRAILING_SEPARATOR.search(text)
        del words[at: at + taken]
    return Query(" ".join(words), number, partial, postcode, city)


def _number(words: list[str]) -> tuple[str, int]:
    numbers = [i for i, w in enumerate(words) if is_number(w)]
    if not numbers or len(words) < 2:
        return "", -1
    for i in (0, len(words) - 1, len(words) - 2):
        if i in numbers and (i != len(words) - 2 or len(words[-1]) == 1):
            return words[i], i
    return (words[numbers[0]], numbers[0]) if len(numbers) == 1 else ("", -1)


def _without_city(words: list[str], cities: frozenset[str]) -> tuple[list[str], str]:
    for size in (3, 2, 1):
        for start in range(len(words) - size, 0, -1):  # never the first word: that is the name
            phrase = " ".join(words[start: start + size])
            if phrase in cities:
                return words[:start] + words[start + size:], phrase
    return words, ""
