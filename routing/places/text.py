"""How names and typed queries are folded into one comparable form.

Both sides (what the map says and what a person types) go through :func:`normalise`, so an
abbreviation or an accent typed one way matches the map's spelling the other way:
"Av. de la Costa" and "avenue de la costa", "Mannerheimint." and "Mannerheimintie",
"Hauptstr." and "Hauptstraße" all become the same words.
"""

from __future__ import annotations

import re
import unicodedata

# letters NFKD does not split into a base letter and a mark
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th",
                          "ð": "d", "ı": "i", "’": " ", "'": " ", "`": " "})
_PUNCT = re.compile(r"[^\w.]+")

# whole-word abbreviations of the co-ops' languages (fr, en, de, fi, sv, it, es); the full
# word maps to itself, so the table also lists what counts as a street-type word
WORDS: dict[str, str] = {
    "r": "rue", "av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard",
    "blvd": "boulevard", "boul": "boulevard", "pl": "place", "ch": "chemin", "imp": "impasse",
    "all": "allee", "sq": "square", "rte": "route", "fg": "faubourg", "pass": "passage",
    "qu": "quai", "crs": "cours", "esp": "esplanade",
    "rd": "road", "dr": "drive", "ln": "lane", "ct": "court", "hwy": "highway",
    "pkwy": "parkway", "blv": "boulevard", "sta": "station", "stn": "station",
    "str": "strasse", "pz": "piazza", "avda": "avenida",
    "k": "katu", "t": "tie", "kj": "kuja",
}
# Finnish, Swedish and German glue the street type to the name: "Mannerheimint.",
# "Hauptstr.", "Storg." only abbreviate with a trailing dot, so only dotted words expand
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("str.", "strasse"), ("kj.", "kuja"), ("k.", "katu"), ("t.", "tie"), ("g.", "gatan"),
    ("v.", "vagen"),
)
# "st" is "saint" before a name and "street" after it
_ST_FIRST, _ST_LAST = "saint", "street"
_RANGE = re.compile(r"\b(\d{1,5}[a-z]?)\s*[-–/]\s*\d{1,5}[a-z]?\b")  # "4-6": the door is at 4
NUMBER = re.compile(r"^(\d{1,5})([a-z]?)$")
FRENCH_FIRST = frozenset({"rue", "avenue", "boulevard", "place", "chemin", "impasse", "allee", "quai",
                          "route", "cours", "square", "passage", "esplanade", "faubourg", "via",
                          "piazza", "calle", "avenida", "plaza", "corso", "viale"})
ENGLISH_LAST = frozenset({"street", "road", "avenue", "drive", "lane", "court", "way", "boulevard",
                          "place", "highway", "parkway", "terrace", "square"})


def fold(text: str) -> str:
    """Lower case without accents: "Säästöpankinranta" -> "saastopankinranta"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _expand(word: str, position: int, count: int) -> str:
    bare = word.strip(".")
    if bare == "st":
        return _ST_LAST if position == count - 1 and count > 1 else _ST_FIRST
    if bare in WORDS:
        return WORDS[bare]
    if word.endswith(".") and len(word) > 3:
        for short, full in SUFFIXES:
            if word.endswith(short):
                return word[: -len(short)] + full
    return bare


def tokens(text: str) -> list[str]:
    """The normalised words of ``text``: folded, split on punctuation, abbreviations expanded."""
    words = [w for w in _PUNCT.sub(" ", _RANGE.sub(r"\1", fold(text))).replace("_", " ").split() if w.strip(".")]
    words = _split_glued_numbers(words)
    return [_expand(w, i, len(words)) for i, w in enumerate(words)]


def _split_glued_numbers(words: list[str]) -> list[str]:
    """"10a" stays, "10-12" keeps its first number, "Kaivokatu10" splits."""
    out: list[str] = []
    for w in words:
        m = re.match(r"^([a-z]{3,})(\d{1,5}[a-z]?)$", w)
        out.extend(m.groups() if m else [w])
    return out


def normalise(text: str) -> str:
    """One space-joined normalised string (see :func:`tokens`)."""
    return " ".join(tokens(text))


def housenumber_key(value: str) -> str:
    """A house number as compared: "10 A" -> "10a", "10-12" -> "10", "" for no number."""
    words = _PUNCT.sub(" ", fold(value)).replace(".", " ").split()
    if not words:
        return ""
    head = re.match(r"^(\d{1,5}[a-z]?)", words[0])
    if head is None:
        return ""
    key = head.group(1)
    if key.isdigit() and len(words) > 1 and len(words[1]) == 1 and words[1].isalpha():
        key += words[1]
    return key


def is_number(word: str) -> bool:
    """A word that can be a house number ("10", "10a"); "1er" and "7th" are names."""
    return NUMBER.match(word) is not None


def number_first(street: str) -> bool:
    """Whether addresses on ``street`` are written "10 rue X" (French, English) or "X 10"."""
    words = tokens(street)
    return bool(words) and (words[0] in FRENCH_FIRST or words[-1] in ENGLISH_LAST)


def address_label(street: str, housenumber: str, postcode: str = "", city: str = "") -> str:
    """The display label in the street's own convention: "Kaivokatu 1, 00100 Helsinki",
    "6 Quai Antoine 1er, 98000 Monaco"."""
    head = f"{housenumber} {street}" if number_first(street) else f"{street} {housenumber}"
    tail = " ".join(p for p in (postcode, city) if p)
    return f"{head.strip()}, {tail}" if tail else head.strip()
